# SPDX-License-Identifier: GPL-2.0
# Common helpers for the pipeline scripts.  Sourced, never run.

set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
SHARED=${SHARED:-$TOP/../shared}

# The pinned base: Debian's linux-source-7.3 package.
BASE_PKG=linux-source-7.3
BASE_VER=7.3.4-1~bpo13+1
BASE_DEB=${BASE_PKG}_${BASE_VER}_all.deb

step() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a long command with its output in a log file; print a dot every
# 20 seconds so that the user sees progress, and the log tail on failure.
run_logged() {
	local log=$1; shift
	mkdir -p "$(dirname "$log")"
	local t0=$SECONDS
	("$@") >"$log" 2>&1 &
	local pid=$! shown=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		if (( (SECONDS - t0) / 60 > shown )); then
			shown=$(( (SECONDS - t0) / 60 ))
			info "... ${shown} min, $(wc -l <"$log") log lines ($log)"
		fi
	done
	if ! wait "$pid"; then
		tail -n 40 "$log" >&2
		die "failed after $((SECONDS - t0)) s, full log: $log"
	fi
	info "done in $((SECONDS - t0)) s"
}

# kmake_cmd OBJ CROSS: sets the array kmake to the kernel make command for
# build/linux into OBJ with cross compiler prefix CROSS, through ccache when
# present.  ccache lives outside the repository; CCACHE_BASEDIR makes the
# base and patched builds of one config share their objects.
kmake_cmd() {
	local obj=$1 cross=$2 cc="$2gcc"
	export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
	export CCACHE_BASEDIR=$BUILD
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
	command -v ccache >/dev/null && cc="ccache $cc"
	kmake=(make -C "$BUILD/linux" O="$obj" ARCH=powerpc CROSS_COMPILE="$cross" CC="$cc"
	       -j"${JOBS:-$(nproc)}" KBUILD_BUILD_TIMESTAMP=2026-11-26
	       KBUILD_BUILD_USER=kvm-pr KBUILD_BUILD_HOST=build)
}

# build/linux has one work tree, shared by every step that builds from it:
# lock_tree holds it for the rest of the calling script (fd 9), use_rev
# checks out REV in it.
lock_tree() {
	mkdir -p "$BUILD"
	exec 9>"$BUILD/linux.lock"
	flock 9
}

use_rev() {
	git -C "$BUILD/linux" -c gc.auto=0 checkout -q -f --detach "$1"
}

# hpte_src REV: the files tools/testing/kvm-pr-hpte builds from, taken out of
# build/linux at REV (no checkout, so no lock) into build/hpte/src-REV;
# prints that directory.
hpte_src() {
	local rev=$1 dir=$BUILD/hpte/src-$1 id
	id=$(git -C "$BUILD/linux" rev-parse "$rev^{commit}")
	if [ "$(cat "$dir/.commit" 2>/dev/null)" != "$id" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		git -C "$BUILD/linux" archive "$id" arch/powerpc/kvm/book3s_mmu_hpte.c \
			arch/powerpc/kvm/trace_pr.h arch/powerpc/include/asm/kvm_host.h \
			arch/powerpc/include/asm/kvm_book3s.h tools/include tools/arch/x86/include |
			tar -x -C "$dir"
		echo "$id" >"$dir/.commit"
	fi
	echo "$dir"
}

# kwarnings LOG: the compiler and sparse warnings of a kernel build log, one
# per line as "file: message" (no line numbers, so that base and patched
# compare), sorted.  Debian 12's sparse reports "bad constant expression"
# on every MODULE_*() and module_param() line of 7.3 (base has them in
# book3s_pr.c and kvm_main.c); those are dropped, anything else counts.
kwarnings() {
	local f l msg
	grep -E 'warning:|error:|build failed' "$1" |
	while IFS=: read -r f l _ msg; do
		if [ "$msg" = " error: bad constant expression" ] &&
		   sed -n "${l}p" "$f" 2>/dev/null | grep -Eq '^(MODULE_[A-Z_]+|module_param(_named)?)\('; then
			continue
		fi
		echo "${f#"$BUILD/linux/"}:${msg:-$l}"
	done | sort -u
}

# copy_qemu OUT: Debian's ppc64el qemu-system-ppc64 (build/pkgs/qemu,
# scripts/fetch-ppc64el), the shared libraries it loads (through DT_NEEDED)
# and SLOF, into the root OUT of a nested host that boots guests under
# kvm-pr (make run's workload, scripts/nested-lpar).
copy_qemu() {
	local out=$1 pkgs=$BUILD/pkgs/qemu f lib p d seen=" " todo
	mkdir -p "$out/usr/bin" "$out/usr/share/qemu" "$out/lib64" "$out/lib/powerpc64le-linux-gnu"
	cp "$pkgs/usr/bin/qemu-system-ppc64" "$out/usr/bin/"
	cp "$pkgs/usr/share/qemu/slof.bin" "$pkgs/usr/share/qemu/vof.bin" "$out/usr/share/qemu/"
	todo=("$pkgs/usr/bin/qemu-system-ppc64")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}; todo=("${todo[@]:1}")
		for lib in $(powerpc64le-linux-gnu-readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case "$seen" in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			p=""
			for d in lib/powerpc64le-linux-gnu usr/lib/powerpc64le-linux-gnu; do
				[ -e "$pkgs/$d/$lib" ] && { p=$pkgs/$d/$lib; break; }
			done
			[ -n "$p" ] || die "library $lib of qemu-system-ppc64 not in the downloaded packages"
			cp -L "$p" "$out/lib/powerpc64le-linux-gnu/$lib"
			todo+=("$p")
		done
	done
	cp -L "$pkgs/lib/powerpc64le-linux-gnu/ld64.so.2" "$out/lib64/ld64.so.2"
}

# selftests_root ROOT LIST: the overlay of a nested host that runs the KVM
# selftests of LIST (tests/nested/list format) from the kselftest tarball,
# as a user runs it (tests/nested/ksft): /kselftest, /tests/list.
selftests_root() {
	local root=$1 list=$2 tarball=$BUILD/selftests/kselftest.tar.gz
	[ -f "$tarball" ] || die "no $tarball: run scripts/build-selftests first"
	mkdir -p "$root/tests" "$root/kselftest" "$root/usr/bin"
	tar -xzf "$tarball" -C "$root/kselftest"
	cp "$TOP/tests/nested/ksft" "$TOP/tests/nested/htab-slots" "$root/tests/"
	cp "$TOP/tests/nested/timeout" "$root/usr/bin/"
	cp "$list" "$root/tests/list"
}
