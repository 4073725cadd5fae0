# SPDX-License-Identifier: GPL-2.0
# KVM Book3S PR shadow MMU: base kernel + our files + patches -> build/.
#
#   make run     build base and patched kernels, boot each nested under QEMU
#                and run a real Linux guest with qemu -enable-kvm under kvm-pr
#   make check   the test suite (pipeline tests, nested tests, both kernels)
#   make bench   the shadow MMU in the running kernels, base against patched
#                (nested, alternating; build/bench/kernel.txt, .csv, plots)
#   make bench-cache  the shadow HPTE cache benchmark, base against patched
#   make fuzz-cache   the long fuzz of the patched cache (10^7 operations)
#   make selftests-tarball  the KVM selftests for powerpc as a kselftest
#                tarball, to run on a POWER host (README, "On POWER hardware")
#
# Variables: KSRC=/path/to/linux (your own base tree), JOBS, CHECK_PAGES,
# CHECK_MACHINES, RUN_PAGE, RUN_MACHINES, RUN_PROCS (see README).

S := scripts
export KSRC JOBS CHECK_PAGES CHECK_MACHINES RUN_PAGE RUN_MACHINES RUN_PROCS BENCH_RUNS \
	BENCH_MACHINES BENCH_PAGES BENCH_REPS BENCH_FLAVOUR BENCH_QUICK \
	FUZZ_OPS FUZZ_SECONDS CACHE_FUZZ_SECONDS

.PHONY: help run check tree kernels matrix series export-patches bench bench-cache fuzz-cache \
	selftests-tarball clean

help:
	@sed -n 's/^#   //p;s/^# Variables/Variables/p' Makefile

run:
	@$(S)/run

check:
	@$(S)/check

# The git tree build/linux: tags base and patched.
tree:
	@$(S)/install-host-tools
	@$(S)/fetch-base
	@$(S)/mktree

# The test kernels only (what make check builds).
kernels: tree
	@for p in $${CHECK_PAGES:-64k 4k}; do for t in base patched; do \
		$(S)/build-kernel $$t $$p debug || exit 1; done; done

# ppc64 big-endian and 32-bit Book3S (KVM_BOOK3S_32) builds of base and
# patched with W=1: the series must add no warning and no error.
matrix: tree
	@$(S)/build-matrix

# The shadow MMU's costs in the running kernels: base and patched booted
# nested in turn, pr_shadow_mmu_perf_test in each (scripts/bench) ->
# build/bench/kernel.csv, kernel.txt and kernel-*.svg.
bench: tree
	@$(S)/bench

# The shadow HPTE cache in userspace (tools/testing/kvm-pr-hpte), base and
# patched from the same tree: callgrind instructions and wall time per
# operation -> build/bench/cache.csv, cache.txt and cache.svg.
bench-cache: tree
	@$(S)/bench-cache

# The long differential fuzz of the patched cache: 10^7 operations under
# ASan/UBSan and under valgrind, then libFuzzer (FUZZ_OPS, FUZZ_SECONDS).
fuzz-cache: tree
	@$(S)/fuzz-cache

# The KVM selftests of the patched tree, built for ppc64le (static) as a
# kselftest install: build/selftests/kselftest.tar.gz with run_kselftest.sh.
# make check runs its tests from this same tarball in the nested hosts.
selftests-tarball: tree
	@$(S)/build-selftests

# The mailing-list series as its sender mails it (scripts/mkseries): build/series/0000-cover-letter.patch and one
# mail per patch, ready for git send-email; applies with git am on base.
series: tree
	@$(S)/mkseries

# After editing commits in build/edit (a worktree of build/linux), write
# them back to patches/.
export-patches:
	@$(S)/export-patches

clean:
	rm -rf build
