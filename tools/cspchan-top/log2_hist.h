/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Log2 histograms as the BPF side fills them: slot i counts the values v
 * with floor(log2(v)) == i, slot 0 also counting 0.
 */
#ifndef LOG2_HIST_H
#define LOG2_HIST_H

#include <stddef.h>
#include <linux/types.h>

__u64 log2_hist_total(const __u32 *slots, int nr_slots);

/*
 * Estimated @pct-th percentile (0 to 100), interpolating linearly inside
 * the slot that holds it; -1 for an empty histogram.
 */
double log2_hist_percentile(const __u32 *slots, int nr_slots, double pct);

/* The runqlat layout: one line per slot, up to the last non-empty one. */
void print_log2_hist(const __u32 *slots, int nr_slots, const char *unit);

/* Microseconds as "850us", "1.2ms" or "3.40s"; "-" for a negative value. */
const char *fmt_usecs(char *buf, size_t size, double us);

#endif /* LOG2_HIST_H */
