// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Log2 histograms: totals, percentiles, printing (see log2_hist.h). */
#include <stdio.h>

#include "log2_hist.h"

/* Slot i holds [2^i, 2^(i+1)); slot 0 holds [0, 2). */
static double slot_low(int i)
{
	return i ? (double)(1ULL << i) : 0;
}

static double slot_high(int i)
{
	return (double)(1ULL << (i + 1));
}

__u64 log2_hist_total(const __u32 *slots, int nr_slots)
{
	__u64 total = 0;
	int i;

	for (i = 0; i < nr_slots; i++)
		total += slots[i];
	return total;
}

double log2_hist_percentile(const __u32 *slots, int nr_slots, double pct)
{
	__u64 total = log2_hist_total(slots, nr_slots), seen = 0;
	double rank;
	int i;

	if (!total)
		return -1;
	rank = pct / 100.0 * total;
	for (i = 0; i < nr_slots; i++) {
		if (slots[i] && seen + slots[i] >= rank)
			return slot_low(i) + (slot_high(i) - slot_low(i)) *
			       (rank - seen) / slots[i];
		seen += slots[i];
	}
	return slot_low(nr_slots - 1);
}

const char *fmt_usecs(char *buf, size_t size, double us)
{
	if (us < 0)
		snprintf(buf, size, "-");
	else if (us < 1000)
		snprintf(buf, size, "%.0fus", us);
	else if (us < 1000000)
		snprintf(buf, size, "%.1fms", us / 1000);
	else
		snprintf(buf, size, "%.2fs", us / 1000000);
	return buf;
}

static void print_stars(unsigned int val, unsigned int max, int width)
{
	int i, stars = max ? (int)((__u64)val * width / max) : 0;

	for (i = 0; i < width; i++)
		putchar(i < stars ? '*' : ' ');
}

void print_log2_hist(const __u32 *slots, int nr_slots, const char *unit)
{
	unsigned int max = 0;
	int i, last = -1;

	for (i = 0; i < nr_slots; i++) {
		if (slots[i] > max)
			max = slots[i];
		if (slots[i])
			last = i;
	}
	printf("%5s%-19s : count    distribution\n", "", unit);
	for (i = 0; i <= last; i++) {
		printf("%10llu -> %-10llu : %-8u |",
		       (unsigned long long)slot_low(i),
		       (unsigned long long)slot_high(i) - 1, slots[i]);
		print_stars(slots[i], max, 40);
		printf("|\n");
	}
}
