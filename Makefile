# SPDX-License-Identifier: GPL-2.0
# KVM Book3S PR shadow MMU: base kernel + our files + patches -> build/.
#
#   make run     build base and patched kernels, boot each nested under QEMU
#                and run a real Linux guest with qemu -enable-kvm under kvm-pr
#   make check   the test suite (pipeline tests, nested tests, both kernels)
#
# Variables: KSRC=/path/to/linux (your own base tree), JOBS, CHECK_PAGES,
# CHECK_MACHINES, RUN_PAGE, RUN_MACHINES, RUN_PROCS (see README).

S := scripts
export KSRC JOBS CHECK_PAGES CHECK_MACHINES RUN_PAGE RUN_MACHINES RUN_PROCS

.PHONY: help run check tree kernels matrix series export-patches clean

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

# The mailing-list series: build/series/0000-cover-letter.patch and one
# mail per patch, ready for git send-email; applies with git am on base.
series: tree
	@$(S)/mkseries

# After editing commits in build/edit (a worktree of build/linux), write
# them back to patches/.
export-patches:
	@$(S)/export-patches

clean:
	rm -rf build
