// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer entry point (LLVMFuzzerTestOneInput, named by the Makefile):
 * the input bytes are the differential run's choices.
 */
#include <stdlib.h>

#include "cache.h"
#include "diff.h"

int HH_FUZZ_ENTRY(const u8 *data, size_t size);

int HH_FUZZ_ENTRY(const u8 *data, size_t size)
{
	struct diff_stats st;
	struct source src;
	unsigned int capacity;

	if (size < 1)
		return 0;
	/* A small capacity, so that inputs reach the replacement path */
	capacity = hh_evict_batch() ? 64 + data[0] % 200 : 0;
	source_bytes(&src, data + 1, size - 1);
	if (diff_run(&src, ~0UL, capacity, &st))
		abort();
	return 0;
}
