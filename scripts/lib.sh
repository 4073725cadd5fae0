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
