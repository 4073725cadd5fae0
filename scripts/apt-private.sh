# SPDX-License-Identifier: GPL-2.0
# A private apt state for downloading Debian packages without touching the
# machine's apt configuration.  Sourced by the scripts that need it.
#
# apt_private_init DIR ARCH SUITE...
#	creates DIR with its own sources, lists, cache and an empty dpkg
#	status, for architecture ARCH, and runs apt-get update in it.  The
#	mirror is the one the machine's own apt configuration uses for its
#	main Debian archive; no host name is written here.
# apt_private DIR ARGS...
#	runs apt-get ARGS with that state.

apt_machine_mirror() {
	local codename uri
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v c="$codename" '$2 == c { print $1; exit }')
	[ -n "$uri" ] || uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk '$1 !~ /security/ { print $1; exit }')
	[ -n "$uri" ] || return 1
	echo "${uri%/}"
}

apt_private_opts() {
	local dir=$1
	echo -o "Dir::Etc::SourceList=$dir/sources.list" \
	     -o "Dir::Etc::SourceParts=$dir/sources.list.d" \
	     -o "Dir::Etc::Preferences=$dir/preferences" \
	     -o "Dir::Etc::PreferencesParts=$dir/preferences.d" \
	     -o "Dir::State=$dir/state" \
	     -o "Dir::State::status=$dir/state/status" \
	     -o "Dir::Cache=$dir/cache" \
	     -o "APT::Architecture=$(cat "$dir/arch")" \
	     -o "APT::Architectures=$(cat "$dir/arch")" \
	     -o "APT::Get::AllowUnauthenticated=false" \
	     -o "Acquire::Languages=none" \
	     -o "Debug::NoLocking=1"
}

apt_private() {
	local dir=$1; shift
	# shellcheck disable=SC2046
	apt-get $(apt_private_opts "$dir") "$@"
}

apt_private_init() {
	local dir=$1 arch=$2; shift 2
	local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg suite
	mirror=$(apt_machine_mirror) || { echo "no Debian mirror in the machine's apt configuration" >&2; return 1; }
	mkdir -p "$dir/sources.list.d" "$dir/preferences.d" "$dir/state/lists/partial" "$dir/cache/archives/partial"
	echo "$arch" >"$dir/arch"
	: >"$dir/state/status"
	: >"$dir/preferences"
	: >"$dir/sources.list"
	for suite in "$@"; do
		echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >>"$dir/sources.list"
	done
	apt_private "$dir" -qq update
}
