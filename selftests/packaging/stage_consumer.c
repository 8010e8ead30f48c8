// SPDX-License-Identifier: GPL-2.0
/*
 * Built only with "pkg-config --cflags --libs cspchan-stage": the stage
 * runner's and the io_uring helpers' headers (which need liburing's) and
 * both libraries link (tools/check-packaging).
 */
#include <stdio.h>
#include <cspchan-stage.h>
#include <cspchan-uring.h>

int main(void)
{
	struct cspchan_stage_opts opts = { .batch = CSPCHAN_STAGE_BATCH };
	int (*run)(int, int, const struct cspchan_stage_ops *,
		   const struct cspchan_stage_opts *) = cspchan_stage_run;

	printf("stage consumer: batch %u, cspchan_stage_run %s\n", opts.batch,
	       run ? "linked" : "missing");
	return run ? 0 : 1;
}
