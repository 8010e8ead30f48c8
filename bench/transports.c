// SPDX-License-Identifier: GPL-2.0
/*
 * cspchan-bench: the transport table.
 *
 * Rows appear in this order.  To add a transport (io_uring, zero-copy),
 * write a struct transport in its own t_*.c file (see bench.h for what
 * each operation must do), declare it in bench.h and list it here; the
 * workloads, the ratios, the CSV/JSON and the targets pick it up.  Its
 * kind (TK_URING, TK_ZEROCOPY, TK_BUSY_POLL) decides which target of
 * README.md judges it.
 */
#include "bench.h"

const struct transport *const bench_transports[] = {
	&transport_cspchan,
	&transport_cspchan_busypoll,
	&transport_cspchan_uring,
	&transport_cspchan_uring_link,
	&transport_cspchan_zc,
	&transport_cspchan_zc_uring,
	&transport_cspchan_zcv_uring,
	&transport_mqueue,
	&transport_pipe,
	&transport_pipe_pkt,
	&transport_seqpacket,
	&transport_shmring,
	&transport_shmring_zc,
	&transport_shmring_futex,
	&transport_kchan_min,
	&transport_kchan_min_iter,
	&transport_kchan_min_uring,
};

const unsigned int bench_nr_transports = ARRAY_SIZE(bench_transports);
