# tests/lib/interop/root.sh: a private root for one POP3 server, where
# apt-get, useradd and /etc changes stay. POSIX sh; source it, then
#
#   root_start NAME      an overlay of / (upper and work dirs on a tmpfs) in
#                        a new mount namespace, with /dev, /proc and /sys
#                        bound in and ROOT_DIR/share bound at /interop; a
#                        holder process sits chrooted in it while
#                        ROOT_OWNER (default: this shell) lives. Exports
#                        ROOT_DIR (host temp dir), ROOT_SHARE, ROOT_HOLDER
#                        (its PID), ROOT_NS (its mount namespace)
#   root_exec CMD...     run CMD inside (mount namespace and root of the
#                        holder; the host's network and PIDs)
#   root_stop            stop every PID listed in ROOT_SHARE/pids (one a
#                        line; the setup scripts add their daemons there),
#                        then whatever else runs in the namespace (its PIDs
#                        in ROOT_LEFT), then the holder; ROOT_REMAINING
#                        lists any process still there after that (none:
#                        the mounts went with the last); remove ROOT_DIR.
#
# Only the network namespace is shared: a daemon started with root_exec
# listens on the host's loopback. Nothing written inside reaches the host
# but ROOT_SHARE.

root_start() {
	ROOT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pouch-interop-$1.XXXXXX") || return 1
	ROOT_SHARE=$ROOT_DIR/share
	mkdir -p "$ROOT_SHARE" "$ROOT_DIR/ovl" || return 1
	chmod 755 "$ROOT_DIR" "$ROOT_SHARE"
	: > "$ROOT_SHARE/pids"
	unshare --mount --propagation private -- /bin/sh -c '
		d=$1
		mount -t tmpfs -o mode=755 pouch-interop "$d/ovl" || exit 1
		mkdir "$d/ovl/upper" "$d/ovl/work" "$d/ovl/root" || exit 1
		mount -t overlay pouch-interop \
			-o "lowerdir=/,upperdir=$d/ovl/upper,workdir=$d/ovl/work" \
			"$d/ovl/root" || exit 1
		for m in dev proc sys; do
			mount --rbind "/$m" "$d/ovl/root/$m" || exit 1
		done
		mkdir -p "$d/ovl/root/interop" &&
		mount --bind "$d/share" "$d/ovl/root/interop" || exit 1
		# The holder: the namespace lives as long as it does. Should
		# its owner die without root_stop (kill -9), it ends every
		# process of the namespace itself, and the mounts go.
		exec chroot "$d/ovl/root" /bin/sh -c '\''
			echo $$ > /interop/holder.pid
			trap "exit 0" TERM
			while kill -0 "$1" 2>/dev/null; do sleep 1; done
			me=$(readlink /proc/$$/ns/mnt)
			for p in /proc/[0-9]*; do
				[ "${p#/proc/}" != $$ ] &&
				[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$me" ] &&
				kill -KILL "${p#/proc/}" 2>/dev/null
			done
			exit 0
		'\'' root-holder "$2"
	' root-unshare "$ROOT_DIR" "${ROOT_OWNER:-$$}" </dev/null >"$ROOT_DIR/holder.log" 2>&1 &
	ROOT_UNSHARE=$!
	i=0
	while [ ! -s "$ROOT_SHARE/holder.pid" ] && [ $i -lt 200 ]; do
		kill -0 "$ROOT_UNSHARE" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	ROOT_HOLDER=$(cat "$ROOT_SHARE/holder.pid" 2>/dev/null)
	if [ -z "$ROOT_HOLDER" ]; then
		echo "root_start: the private root did not come up:" >&2
		cat "$ROOT_DIR/holder.log" >&2
		rm -rf "$ROOT_DIR"
		return 1
	fi
	ROOT_NS=$(readlink "/proc/$ROOT_HOLDER/ns/mnt")
	export ROOT_DIR ROOT_SHARE ROOT_HOLDER ROOT_NS
}

# A clean environment: the host's PATH may lead to tools (pyenv shims,
# ~/.cargo) that are no part of the root's Debian.
root_exec() {
	nsenter --target "$ROOT_HOLDER" --mount --root --wd -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

# PIDs of every process in the private root's mount namespace.
root_procs() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ROOT_NS" ] && echo "${p#/proc/}"
	done
}

root_kill_wait() {
	kill -TERM "$1" 2>/dev/null || return 0
	rk_i=0
	while kill -0 "$1" 2>/dev/null && [ $rk_i -lt 100 ]; do
		sleep 0.05
		rk_i=$((rk_i + 1))
	done
	kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
	return 0
}

root_stop() {
	[ -n "${ROOT_DIR:-}" ] || return 0
	if [ -n "${ROOT_HOLDER:-}" ]; then
		# The daemons first, newest first, each by its PID.
		for p in $(sed '1!G;h;$!d' "$ROOT_SHARE/pids" 2>/dev/null); do
			root_kill_wait "$p"
		done
		# (but the holder's own sleep)
		ROOT_LEFT=
		for p in $(root_procs); do
			[ "$p" = "$ROOT_HOLDER" ] && continue
			[ "$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)" = "$ROOT_HOLDER" ] &&
				continue
			ROOT_LEFT="$ROOT_LEFT$p "
		done
		# Whatever a daemon forked and left behind is ours too: it
		# lives in our private namespace.
		for p in $ROOT_LEFT; do
			root_kill_wait "$p"
		done
		root_kill_wait "$ROOT_HOLDER"
		wait "$ROOT_UNSHARE" 2>/dev/null
		# Empty when the namespace, and with it every mount, is gone.
		ROOT_REMAINING=$(root_procs | tr '\n' ' ')
	fi
	rm -rf "$ROOT_DIR"
	ROOT_DIR='' ROOT_HOLDER=''
}
