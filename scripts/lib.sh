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
