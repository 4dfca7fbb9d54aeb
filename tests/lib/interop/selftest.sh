# tests/lib/interop/selftest.sh: scripts/interop --self-test, the harness
# itself, without the package archive and in a few seconds: a private root
# keeps useradd and /etc changes inside and is gone after root_stop, with
# nothing left running and the host as it was; inetd.py serves a program
# from inside on the host's loopback; samemsg.py and maildir2mbox.py on
# small cases. TAP on stdout. Sourced by scripts/interop after tap.sh,
# dovecot.sh and root.sh, with host_state and host_diff defined.

selftest() {
	st=$(mktemp -d "${TMPDIR:-/tmp}/pouch-selftest.XXXXXX") || exit 1
	at_exit "rm -rf '$st'"
	host_state "$st/host0"

	root_start selftest
	ok $? "root_start: a private root (holder PID ${ROOT_HOLDER:-none})"
	[ -n "$ROOT_HOLDER" ] || done_testing
	at_exit root_stop
	[ "$(readlink /proc/$$/ns/mnt)" != "$ROOT_NS" ]
	ok $? "the holder has a mount namespace of its own"
	[ "$(readlink /proc/$$/ns/net)" = "$(readlink "/proc/$ROOT_HOLDER/ns/net")" ]
	ok $? "and the host's network namespace"
	mkdir -p "$ROOT_SHARE/lib"
	cp "$lib"/*.py "$lib"/*.sh "$ROOT_SHARE/lib/"
	root_exec /bin/sh -c 'useradd pouch-selftest-user &&
		echo inside > /etc/pouch-interop-selftest &&
		id -u pouch-selftest-user > /interop/uid'
	ok $? "inside: useradd and a new file in /etc"
	[ -s "$ROOT_SHARE/uid" ]
	ok $? "inside: /interop is the host's $ROOT_SHARE"
	is "$(root_exec cat /etc/pouch-interop-selftest)" inside "inside: the /etc file stays"
	! id pouch-selftest-user >/dev/null 2>&1 && [ ! -e /etc/pouch-interop-selftest ]
	ok $? "the host has neither the user nor the file"

	port=$(dovecot_free_port)
	root_exec /bin/sh -c "python3 /interop/lib/inetd.py 127.0.0.1 $port /interop/inetd.log -- \
		/bin/sh -c 'echo +OK from \$(cat /etc/pouch-interop-selftest)' </dev/null >/dev/null 2>&1 &
		echo \$! >> /interop/pids"
	pid=$(cat "$ROOT_SHARE/pids")
	got=
	i=0
	while [ -z "$got" ] && [ $i -lt 100 ]; do
		got=$("$PYTHON3" -c 'import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    print(s.makefile("rb").readline().decode().strip())
except OSError:
    pass' "$port")
		[ -z "$got" ] && sleep 0.05
		i=$((i + 1))
	done
	is "$got" "+OK from inside" "inetd.py serves a program of the root on 127.0.0.1:$port (PID $pid)"

	dir=$ROOT_DIR ns=$ROOT_NS holder=$ROOT_HOLDER
	root_stop
	kill -0 "$pid" 2>/dev/null || kill -0 "$holder" 2>/dev/null
	ok $(( $? == 0 )) "root_stop: the listener and the holder are gone"
	is "${ROOT_REMAINING:-}" "" "no process left in the namespace"
	ROOT_NS=$ns
	is "$(root_procs | wc -l | tr -d ' ')" 0 "none with its mount namespace ($ns)"
	[ ! -e "$dir" ]
	ok $? "its directory is removed"
	"$PYTHON3" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)' "$port" 2>/dev/null
	ok $(( $? == 0 )) "nothing listens on $port any more"
	host_state "$st/host1"
	is "$(host_diff "$st/host0" "$st/host1")" "" "the host is unchanged: dpkg -l, /etc, users, mounts"

	# An owner killed without root_stop: the holder ends the namespace.
	sleep 2 &
	owner=$!
	ROOT_OWNER=$owner root_start selftest-owner
	ok $? "root_start with an owner that dies (PID $owner)"
	root_exec /bin/sh -c 'sleep 600 </dev/null >/dev/null 2>&1 & echo $! >> /interop/pids'
	inner=$(cat "$ROOT_SHARE/pids")
	kill -0 "$inner" 2>/dev/null
	ok $? "a process inside (PID $inner)"
	wait "$owner"
	i=0
	while [ -n "$(root_procs)" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	is "$(root_procs | tr '\n' ' ')" "" "the owner gone, no process is left in the namespace"
	rm -rf "$ROOT_DIR"
	ROOT_DIR='' ROOT_HOLDER=''

	# samemsg.py
	sm() { "$PYTHON3" "$lib/samemsg.py" "$@" >/dev/null; echo $?; }
	printf 'a\r\nb=_123-456\r\nc\r\n' > "$st/a"
	printf 'a\r\nb=_789-456\r\nc\r\n' > "$st/b"
	printf 'a\r\nb=_345-678\r\nc\r\n' > "$st/f1"  # 456 in both refs, 678 here
	printf 'a\r\nb=_345-678\r\nC\r\n' > "$st/f2"
	printf 'a\r\nb=_3456-678\r\nc\r\n' > "$st/f3"
	printf 'a\r\nB=_345-678\r\nc\r\n' > "$st/f4"
	printf 'a\r\nb=_34 5-678\r\nc\r\n' > "$st/f5"
	is "$(sm "$st/a" "$st/a" "$st/a")" 0 "samemsg: the same bytes"
	is "$(sm "$st/f1" "$st/a" "$st/a")" 1 "samemsg: a line differs, the server varies none"
	is "$(sm "$st/f1" "$st/a" "$st/b")" 0 "samemsg: differs only on the line the server varies"
	is "$(sm "$st/f2" "$st/a" "$st/b")" 1 "samemsg: and on another line"
	is "$(sm "$st/f3" "$st/a" "$st/b")" 0 "samemsg: the varied part with another length"
	is "$(sm "$st/f4" "$st/a" "$st/b")" 1 "samemsg: the varied line with another start"
	is "$(sm "$st/f5" "$st/a" "$st/b")" 1 "samemsg: a space in the varied part"

	# maildir2mbox.py: order, From quoting, count
	mkdir -p "$st/md/cur" "$st/md/new" "$st/md/tmp"
	printf 'Subject: two\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nFrom here on\n--b--\n--c' > "$st/md/cur/2:2,"
	printf 'Subject: one\n\nbody\n' > "$st/md/cur/1:2,"
	"$PYTHON3" "$lib/maildir2mbox.py" "$st/md" "$st/mbox"
	ok $? "maildir2mbox: exit 0"
	is "$(grep -c '^From ' "$st/mbox")" 2 "maildir2mbox: two messages"
	is "$(grep '^Subject' "$st/mbox" | tr '\n' ' ')" "Subject: one Subject: two " \
		"maildir2mbox: in file name order"
	grep -q -x '>From here on' "$st/mbox"
	ok $? "maildir2mbox: a body line 'From ' is quoted '>From '"
	sed -n '/^Subject: two/,$p' "$st/mbox" > "$st/two"
	printf 'Subject: two\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n>From here on\n--b--\n--c\n\n' |
		cmp -s - "$st/two"
	ok $? "maildir2mbox: the bytes kept, a final newline added, then the blank line"

	# popcheck.py --utf8, the reference: sends UTF8 when CAPA lists it, so
	# a server that serves a notice in place of a message with raw UTF-8
	# headers (faultserver's utf8 scenario, as Courier) serves the message.
	"$PYTHON3" "$top/tests/lib/faultserver.py" --scenario utf8 --connections 2 \
		--port-file "$st/fsport" --log "$st/fslog" --lifetime 20 </dev/null &
	fs=$!
	i=0
	while [ ! -s "$st/fsport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	fsport=$(cat "$st/fsport" 2>/dev/null)
	"$PYTHON3" "$top/tests/lib/popcheck.py" --utf8 127.0.0.1 "$fsport" u p retr 1 > "$st/u1"
	ok $? "popcheck --utf8: exit 0"
	"$PYTHON3" "$top/tests/lib/faultserver.py" --scenario utf8 --print-message 1 | cmp -s - "$st/u1"
	ok $? "popcheck --utf8: the message as stored, not the server's notice"
	"$PYTHON3" "$top/tests/lib/popcheck.py" 127.0.0.1 "$fsport" u p retr 1 > "$st/u0"
	grep -q '^Subject: Cannot display Unicode content' "$st/u0"
	ok $? "popcheck without --utf8: the notice (so the check can fail)"
	is "$(grep -c '^# utf8 on' "$st/fslog")" 1 "popcheck: UTF8 sent with --utf8 only"
	wait "$fs"

	# utf8check.py without a server: a copy as stored passes; one that
	# has the header line but other bytes is the server's doing when
	# poplib's is the same, else pouch's.
	mkdir -p "$st/u8/cur" "$st/u8p" "$st/u8r"
	printf 'Subject: Gr\303\274\303\237e\nFrom: a@b\n\nbody\n' > "$st/u8/cur/1:2,"
	printf 'Subject: Gr\303\274\303\237e\r\nFrom: a@b\r\n\r\nbody\r\n' > "$st/u8p/1.eml"
	u8() { "$PYTHON3" "$lib/utf8check.py" "$st/u8" "$st/u8p" "$st/u8r" 127.0.0.1 1 u p | cut -f1; }
	is "$(u8)" pass "utf8check: the copy as stored (CRLF) passes"
	printf 'Received: by test\r\n\tfor <u@test>\r\nSubject: Gr\303\274\303\237e\r\nFrom: a@b\r\n\r\nbody\r\n' > "$st/u8p/1.eml"
	is "$(u8)" pass "utf8check: as stored after fields a delivery added (Cyrus's LMTP)"
	printf 'not a field\r\nSubject: Gr\303\274\303\237e\r\nFrom: a@b\r\n\r\nbody\r\n' > "$st/u8p/1.eml"
	: > "$st/u8r/1.eml"
	is "$(u8)" FAIL "utf8check: not after a line that is no header field"
	printf 'Subject: Gr\303\274\303\237e\r\nFrom: a@b\r\n\r\nbody changed\r\n' > "$st/u8p/1.eml"
	cp "$st/u8p/1.eml" "$st/u8r/1.eml"
	is "$(u8)" skip "utf8check: changed the same way for poplib: the server's doing"
	printf 'other\r\n' > "$st/u8r/1.eml"
	is "$(u8)" FAIL "utf8check: changed for pouch only: FAIL"
	done_testing
}
