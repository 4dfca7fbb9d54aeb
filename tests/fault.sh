# fault.sh: pouch against tests/lib/faultserver.py, a scripted POP3 server
# that breaks the protocol the ways Dovecot never does. Each case checks the
# exit code, the key words on stderr, that pouch neither crashed (no
# sanitizer report) nor hung (timeout 60 around every run, elapsed time
# bounded by --timeout), and, from the server's log, what pouch sent: above
# all, that no deletion got committed after a failure.
#
# Run by make check, or by hand from a build directory:
#   POUCH=$PWD/pouch top_srcdir=.. top_builddir=$PWD PYTHON3=/usr/bin/python3 sh ../tests/fault.sh
. "$top_srcdir/tests/lib/tap.sh"

: "${PYTHON3:=python3}"
[ -x "$POUCH" ] || skip_all "no pouch binary at '$POUCH'"
"$PYTHON3" -c 'import socket' 2>/dev/null || skip_all "no python3 ('$PYTHON3')"

FS="$top_srcdir/tests/lib/faultserver.py"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pouch-fault.XXXXXX") || exit 99
at_exit "rm -rf '$tmp'"

now_ms() {
	t=$(date +%s%N 2>/dev/null)
	case $t in
	*N|'') echo $(($(date +%s) * 1000)) ;;
	*) echo $((t / 1000000)) ;;
	esac
}

# start_server SCENARIO [faultserver options]: sets $dir, $log, $url.
ncase=0
srv_pid=
start_server() {
	scen=$1
	shift
	ncase=$((ncase + 1))
	dir=$tmp/$ncase-$scen
	log=$dir/log
	mkdir "$dir" || exit 99
	: >"$log"
	"$PYTHON3" "$FS" --scenario "$scen" --port-file "$dir/port" \
		--log "$log" --lifetime 45 "$@" </dev/null &
	srv_pid=$!
	i=0
	while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	port=$(cat "$dir/port" 2>/dev/null)
	[ -n "$port" ] || { echo "Bail out! faultserver did not start ($scen)"; exit 99; }
	url=pop3://u@127.0.0.1:$port
}

# stop_server: gives the server a few seconds to see pouch leave and write
# its last notes, then ends it (by its PID).
stop_server() {
	i=0
	# Nobody came: no point waiting for the server to finish.
	grep -q '^# connection' "$log" || i=50
	while kill -0 "$srv_pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}
at_exit '[ -z "$srv_pid" ] || kill "$srv_pid"'

# pouch_run ARGS...: runs pouch with the common options, sets $rc, $secs
# (whole seconds, rounded up), $out, $err.
pouch_run() {
	pouch_tls --tls none "$@"
}
# pouch_tls: the same, with pouch's own TLS default (the TLS cases).
pouch_tls() {
	out=$dir/out
	err=$dir/err
	t0=$(now_ms)
	timeout 60 "$POUCH" --password-command 'echo x' \
		--state-dir "$tmp/state" "$@" \
		>"$out" 2>"$err" </dev/null
	rc=$?
	t1=$(now_ms)
	secs=$(((t1 - t0 + 999) / 1000))
}

# The server's log without its notes: what pouch sent.
sent() { grep -v '^# ' "$log"; }
# Transaction commands only (the login is libcurl's business), without the
# "LIST n" that pouch may send to learn a message's size before RETR n.
sent_tx() {
	sent | grep -E '^(STAT|LIST|UIDL|TOP|RETR|DELE|RSET|NOOP|LAST|QUIT)( |$)' |
		grep -v '^LIST [0-9]'
}

fails_before=0
case_begin() { fails_before=$tap_fail; what=$1; }
# Checks every run gets: no hang, no sanitizer report; on any failure in the
# case, show what pouch said.
case_end() {
	[ "$rc" -ne 124 ]
	ok $? "$what: pouch ended by itself (not killed by timeout 60)"
	! grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$err"
	ok $? "$what: no sanitizer report"
	stop_server
	if [ "$tap_fail" -ne "$fails_before" ]; then
		diag "exit $rc after ${secs}s; stderr:"
		head -c 2000 "$err" | sed 's/^/#   /'
		diag "server log:"
		head -c 2000 "$log" | sed 's/^/#   /'
	fi
}
has_err() { grep -Eqi -- "$1" "$err"; }
# The key words a user (or a script) looks for, one per class of failure.
KW_CLOSED='connection closed|closed the connection'
KW_TIMEOUT='timed out|timeout'
KW_PROTO='protocol'
KW_SHORT='short'
no_commit() { ! grep -Eq '^# committed: [0-9]' "$log"; }
msg() { "$PYTHON3" "$FS" --scenario "$1" --print-message "$2"; }

# ---------------------------------------------------------------------------
# normal: the checks below are only worth something if they pass on a
# well-behaved server.

start_server normal
case_begin "normal stat/list"
pouch_run "$url" stat -- list
is "$rc" 0 "$what: exit 0"
is "$(cat "$out")" "3 1402
1 122
2 198
3 1082" "$what: output"
is "$(sent_tx)" "STAT
LIST
QUIT" "$what: STAT LIST QUIT sent"
case_end

start_server normal
case_begin "normal retr 2"
pouch_run "$url" retr 2
is "$rc" 0 "$what: exit 0"
msg normal 2 >"$dir/want"
cmp -s "$out" "$dir/want"
ok $? "$what: message bytes unstuffed, as sent"
case_end

start_server normal
case_begin "normal dele 1"
pouch_run "$url" dele 1
is "$rc" 0 "$what: exit 0"
grep -qx '# committed: 1' "$log"
ok $? "$what: the server committed the deletion (QUIT, no RSET)"
case_end

# ---------------------------------------------------------------------------
# drop-mid-retr: the server hangs up halfway through RETR 2.

start_server drop-mid-retr
case_begin "drop-mid-retr -o"
mkdir "$dir/mail"
pouch_run --timeout 5 -o "$dir/mail" "$url" retr 1-3
is "$rc" 5 "$what: exit 5 (network)"
has_err "$KW_CLOSED"
ok $? "$what: stderr says the connection closed ('$KW_CLOSED')"
grep -qx 'pouch: nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
is "$(cd "$dir/mail" && ls -A)" "1.eml" "$what: only 1.eml in the directory (no 2.eml, no temp file)"
msg drop-mid-retr 1 >"$dir/want1"
cmp -s "$dir/mail/1.eml" "$dir/want1"
ok $? "$what: 1.eml complete"
! sent | grep -q '^QUIT'
ok $? "$what: no QUIT on a dead connection"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
case_end

start_server drop-mid-retr
case_begin "drop-mid-retr with a DELE pending"
pouch_run --timeout 5 "$url" dele 1 -- retr 2
is "$rc" 5 "$what: exit 5 (network)"
has_err "$KW_CLOSED"
ok $? "$what: stderr says the connection closed ('$KW_CLOSED')"
grep -qx 'pouch: nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
no_commit
ok $? "$what: no deletion committed"
case_end

start_server drop-mid-retr
case_begin "drop-mid-retr to stdout, a regular file"
pouch_run --timeout 5 "$url" stat -- retr 2
is "$rc" 5 "$what: exit 5 (network)"
is "$(cat "$out")" "3 $(for i in 1 2 3; do msg drop-mid-retr $i; done | wc -c | tr -d ' ')" \
	"$what: the partial message is cut off; STAT's line before it stays"
grep -qx 'pouch: RETR 2: the partial message was cut from standard output' "$err"
ok $? "$what: stderr says the partial message was cut"
case_end

start_server drop-mid-retr
case_begin "drop-mid-retr to stdout appended to a file (>>)"
printf 'From old\nkeep me\n' >"$dir/mbox"
t0=$(now_ms)
timeout 60 "$POUCH" --tls none --password-command 'echo x' --state-dir "$tmp/state" \
	--timeout 5 "$url" retr 2 >>"$dir/mbox" 2>"$dir/err" </dev/null
rc=$?
err=$dir/err
is "$rc" 5 "$what: exit 5 (network)"
is "$(od -c "$dir/mbox")" "$(printf 'From old\nkeep me\n' | od -c)" \
	"$what: the file is as it was before: only the partial message is cut"
grep -qx 'pouch: RETR 2: the partial message was cut from standard output' "$err"
ok $? "$what: stderr says the partial message was cut"
case_end

start_server drop-mid-retr
case_begin "drop-mid-retr to stdout and stderr in one file (2>&1)"
timeout 60 "$POUCH" --tls none --password-command 'echo x' --state-dir "$tmp/state" \
	--timeout 5 "$url" retr 2 >"$dir/both" 2>&1 </dev/null
rc=$?
err=$dir/both
is "$rc" 5 "$what: exit 5 (network)"
grep -q 'connection closed\|closed the connection' "$dir/both"
ok $? "$what: the error line is still in the file (nothing cut)"
grep -q '^pouch: RETR 2: standard output got a partial message ([0-9]* octets)$' "$dir/both"
ok $? "$what: and the file says a partial message is in it"
case_end

start_server drop-mid-retr
case_begin "drop-mid-retr to stdout, a pipe"
{ timeout 60 "$POUCH" --tls none --password-command 'echo x' --state-dir "$tmp/state" \
	--timeout 5 "$url" retr 2 2>"$dir/err" </dev/null; echo $? >"$dir/rc"; } | cat >"$dir/piped"
rc=$(cat "$dir/rc")
is "$rc" 5 "$what: exit 5 (network)"
n=$(sed -n 's/^pouch: RETR 2: standard output got a partial message (\([0-9]*\) octets)$/\1/p' "$dir/err")
[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" = "$(wc -c <"$dir/piped" | tr -d ' ')" ]
ok $? "$what: stderr says how many octets of a partial message went down the pipe (${n:-none})"
err=$dir/err
case_end

start_server drop-mid-retr --pipelining
case_begin "drop-mid-retr -o, pipelined"
mkdir "$dir/mail"
pouch_run --timeout 5 -o "$dir/mail" "$url" dele 3 -- retr 1-3
is "$rc" 5 "$what: exit 5 (network)"
is "$(cd "$dir/mail" && ls -A)" "1.eml" "$what: only 1.eml in the directory (no 2.eml, no temp file)"
no_commit
ok $? "$what: no deletion committed"
case_end

# ---------------------------------------------------------------------------
# stall-mid-retr: half of RETR 2, then silence on an open connection.

start_server stall-mid-retr
case_begin "stall-mid-retr -o"
mkdir "$dir/mail"
pouch_run --timeout 2 -o "$dir/mail" "$url" dele 3 -- retr 1-3
is "$rc" 5 "$what: exit 5 (timeout)"
has_err "$KW_TIMEOUT"
ok $? "$what: stderr says it timed out ('$KW_TIMEOUT')"
grep -q 'nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
is "$(cd "$dir/mail" && ls -A)" "1.eml" "$what: only 1.eml in the directory (no 2.eml, no temp file)"
! sent | grep -q '^QUIT'
ok $? "$what: no QUIT (the reply stream is out of step)"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
case_end

# ---------------------------------------------------------------------------
# err-retr-pending-dele: DELE 1 +OK, RETR 2 -ERR: RSET, then QUIT.

start_server err-retr-pending-dele
case_begin "err-retr-pending-dele"
pouch_run --timeout 5 "$url" dele 1 -- retr 2
is "$rc" 1 "$what: exit 1 (-ERR)"
grep -Fqx 'pouch: RETR 2: server said: -ERR message 2 is locked by another session' "$err"
ok $? "$what: stderr quotes the server"
grep -qx 'pouch: nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
is "$(sent_tx)" "DELE 1
RETR 2
RSET
QUIT" "$what: DELE 1, RETR 2, then RSET, then QUIT"
no_commit
ok $? "$what: no deletion committed"
case_end

# The same with PIPELINING offered: DELE 3, queued behind the failing RETR 2,
# has reached the server before the -ERR came back; RSET must undo it too.
start_server err-retr-pending-dele --pipelining
case_begin "err-retr-pending-dele, pipelined"
pouch_run --timeout 5 "$url" dele 1 -- retr 2 -- dele 3
is "$rc" 1 "$what: exit 1 (-ERR)"
grep -qx 'pouch: nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
is "$(sent_tx | sed -n '$p')" "QUIT" "$what: QUIT last"
is "$(sent_tx | sed -n '$!p' | sed -n '$p')" "RSET" "$what: RSET just before QUIT"
no_commit
ok $? "$what: no deletion committed"
case_end

# ---------------------------------------------------------------------------
# err-quit: QUIT answers -ERR: the deletion may not have happened; pouch
# must not report success.

start_server err-quit
case_begin "err-quit"
pouch_run --timeout 5 "$url" dele 1
is "$rc" 1 "$what: exit 1 (-ERR)"
grep -Fq 'server said: -ERR some deleted messages not removed' "$err"
ok $? "$what: stderr quotes the server's -ERR to QUIT"
grep -qx 'pouch: cannot tell whether the server deleted the messages marked with DELE' "$err"
ok $? "$what: stderr says the deletions are uncertain"
case_end

# ---------------------------------------------------------------------------
# drop-quit: the server commits and hangs up without answering QUIT. pouch
# cannot know whether the deletions happened: it must say so, exit with the
# network status, and not record the session's retrievals for LAST.

start_server drop-quit
case_begin "drop-quit with a DELE pending"
st=$tmp/state-dq
pouch_run --timeout 5 --state-dir "$st" "$url" retr 1 -- dele 1
is "$rc" 5 "$what: exit 5 (network: no reply to QUIT)"
grep -Eq '^pouch: QUIT: .*(closed|no reply|connection)' "$err"
ok $? "$what: stderr says QUIT got no reply"
grep -qx 'pouch: cannot tell whether the server deleted the messages marked with DELE' "$err"
ok $? "$what: stderr says the deletions are uncertain"
! grep -q 'nothing was deleted' "$err"
ok $? "$what: does not claim that nothing was deleted"
is "$(find "$st" -name 'last-*' ! -name '*.lock' 2>/dev/null | wc -l | tr -d ' ')" 0 \
	"$what: no LAST record written for an unconfirmed session"
case_end

start_server drop-quit
case_begin "drop-quit, nothing marked"
pouch_run --timeout 5 "$url" stat
is "$rc" 5 "$what: exit 5 (network: no reply to QUIT)"
grep -qx 'pouch: nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
case_end

# ---------------------------------------------------------------------------
# new-mail: two sessions on one account end at once. Session 2 lists 3
# messages and retrieves message 1; session 3, started later, sees a 4th
# (new mail), retrieves it and commits first; then session 2 commits. The
# record must keep both: session 2's list could not know message 4, so it
# must not prune its UIDL.

start_server new-mail --connections 4
case_begin "new-mail: two sessions commit the LAST record at once"
st=$tmp/state-nm
pl() {
	timeout 60 "$POUCH" --tls none --password-command 'echo x' --state-dir "$st" \
		--timeout 10 "$url" "$@" </dev/null
}
pl last >/dev/null 2>"$dir/err1"
pl retr 1 >/dev/null 2>"$dir/err2" &
bg=$!
sleep 1
pl retr 4 >/dev/null 2>"$dir/err3"
rc3=$?
wait $bg
rc2=$?
last=$(pl last 2>"$dir/err4")
rc=$rc2
cat "$dir/err1" "$dir/err2" "$dir/err3" "$dir/err4" >"$dir/err"
err=$dir/err
is "$rc2:$rc3" "0:0" "$what: both sessions succeed"
grep -q '^# QUIT of connection 2 held back' "$log"
ok $? "$what: session 2's QUIT was held back while session 3 ran"
rec=$(find "$st" -name 'last-*' ! -name '*.lock' | head -1)
is "$(grep '^uid ' "$rec" 2>/dev/null | sort | tr '\n' ' ')" "uid uid-1 uid uid-4 " \
	"$what: the record keeps both sessions' retrievals (uid-1 and uid-4)"
is "$last" 4 "$what: LAST from the record: 4"
case_end

# ---------------------------------------------------------------------------
# no-capa: a plain RFC 1939 server (CAPA unknown). Must work.

start_server no-capa
case_begin "no-capa"
pouch_run --timeout 5 "$url" stat -- list
is "$rc" 0 "$what: exit 0"
is "$(cat "$out")" "3 1402
1 122
2 198
3 1082" "$what: output"
is "$(sent_tx)" "STAT
LIST
QUIT" "$what: STAT LIST QUIT sent"
case_end

# ---------------------------------------------------------------------------
# err-pass: login refused.

start_server err-pass
case_begin "err-pass"
pouch_run --timeout 5 "$url" stat
is "$rc" 3 "$what: exit 3 (login failed)"
is "$(sent_tx | grep -v '^QUIT')" "" "$what: no transaction command sent"
case_end

# ---------------------------------------------------------------------------
# long-retr: RETR delivers more than LIST said; sizes are advisory, so the
# message is kept whole.

start_server long-retr
case_begin "long-retr"
pouch_run --timeout 5 "$url" retr 1
is "$rc" 0 "$what: exit 0"
msg long-retr 1 >"$dir/want"
cmp -s "$out" "$dir/want"
ok $? "$what: the whole message"
case_end

# ---------------------------------------------------------------------------
# garbage-status: "HELLO" in answer to STAT, with a DELE pending.

start_server garbage-status
case_begin "garbage-status"
pouch_run --timeout 5 "$url" dele 1 -- stat
is "$rc" 6 "$what: exit 6 (protocol)"
has_err "$KW_PROTO"
ok $? "$what: stderr says it is a protocol error ('$KW_PROTO')"
grep -qx 'pouch: nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
no_commit
ok $? "$what: no deletion committed"
case_end

# ---------------------------------------------------------------------------
# lf-only: LF line ends throughout. Must work.

start_server lf-only
case_begin "lf-only stat/list/retr"
pouch_run --timeout 5 "$url" stat -- list -- retr 2
is "$rc" 0 "$what: exit 0"
{
	printf '3 1344\n1 116\n2 189\n3 1039\n'
	msg lf-only 2
} >"$dir/want"
cmp -s "$out" "$dir/want"
ok $? "$what: stat, list and message 2 (LF, unstuffed) as sent"
is "$(sent_tx)" "STAT
LIST
RETR 2
QUIT" "$what: commands sent, QUIT at the end"
case_end

start_server lf-only
case_begin "lf-only retr -o"
mkdir "$dir/mail"
pouch_run --timeout 5 -o "$dir/mail" "$url" retr 1-3
is "$rc" 0 "$what: exit 0"
is "$(cd "$dir/mail" && ls -A | sort | tr '\n' ' ')" "1.eml 2.eml 3.eml " "$what: three files"
all=0
for n in 1 2 3; do
	msg lf-only $n >"$dir/want$n"
	cmp -s "$dir/mail/$n.eml" "$dir/want$n" || all=1
done
ok $all "$what: the three messages as sent"
case_end

# ---------------------------------------------------------------------------
# long-line: a 10 MB status line, no line end.

start_server long-line
case_begin "long-line"
pouch_run --timeout 2 "$url" stat
is "$rc" 6 "$what: exit 6 (protocol: overlong line)"
has_err "$KW_PROTO"
ok $? "$what: stderr says it is a protocol error ('$KW_PROTO')"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
case_end

# ---------------------------------------------------------------------------
# drip: a status line one byte per 100 ms that never ends. Bytes keep
# coming, but a reply line that is not complete within the timeout is a
# timeout (only a multi-line body may take longer while it progresses).

start_server drip
case_begin "drip"
pouch_run --timeout 2 "$url" stat
is "$rc" 5 "$what: exit 5 (timeout)"
has_err "$KW_TIMEOUT"
ok $? "$what: stderr says it timed out ('$KW_TIMEOUT')"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
case_end

start_server drip-greeting
case_begin "drip-greeting"
pouch_run --timeout 2 "$url" stat
is "$rc" 5 "$what: exit 5 (timeout)"
has_err "$KW_TIMEOUT"
ok $? "$what: stderr says it timed out ('$KW_TIMEOUT')"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
case_end

# ---------------------------------------------------------------------------
# no-greeting: connected, silence.

start_server no-greeting
case_begin "no-greeting"
pouch_run --timeout 2 "$url" stat
is "$rc" 5 "$what: exit 5 (timeout)"
has_err "$KW_TIMEOUT"
ok $? "$what: stderr says it timed out ('$KW_TIMEOUT')"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
is "$(sent)" "" "$what: pouch sent nothing before the greeting"
case_end

# ---------------------------------------------------------------------------
# TLS faults. What matters besides a clear exit 4 (or 5 for a timeout): the
# login never goes out in plain text.

start_server stls-refused
case_begin "stls-refused, --tls required"
pouch_tls --timeout 5 --tls required "$url" stat
is "$rc" 4 "$what: exit 4 (TLS)"
grep -q 'refused STLS; the password is not sent in plain text' "$err"
ok $? "$what: stderr says the server refused STLS and the password stays home"
is "$(sent | tr '\n' ' ')" "CAPA STLS " "$what: only CAPA and STLS sent (no USER, no PASS)"
case_end

start_server stls-drop
case_begin "stls-drop, --tls required"
pouch_tls --timeout 5 --tls required "$url" stat
is "$rc" 4 "$what: exit 4 (TLS)"
has_err 'TLS handshake with 127\.0\.0\.1:[0-9]+ failed'
ok $? "$what: stderr says the TLS handshake failed"
is "$(sent | tr '\n' ' ')" "CAPA STLS " "$what: only CAPA and STLS sent (no USER, no PASS)"
case_end

start_server stls-drop
case_begin "stls-drop, loopback default (STLS when offered)"
pouch_tls --timeout 5 "$url" stat
is "$rc" 4 "$what: exit 4 (TLS): STLS accepted then broken is not a reason to go on in plain text"
is "$(sent | tr '\n' ' ')" "CAPA STLS " "$what: only CAPA and STLS sent (no USER, no PASS)"
case_end

start_server stls-plain
case_begin "stls-plain, --tls required"
pouch_tls --timeout 5 --tls required "$url" stat
is "$rc" 4 "$what: exit 4 (TLS)"
has_err 'TLS handshake with 127\.0\.0\.1:[0-9]+ failed'
ok $? "$what: stderr says the TLS handshake failed"
! sent | grep -Eq '^(USER|PASS|AUTH)'
ok $? "$what: no USER, PASS or AUTH sent"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
case_end

start_server normal
case_begin "pop3s:// to a plain-text server"
pouch_tls --timeout 5 "pop3s://u@127.0.0.1:$port" stat
is "$rc" 4 "$what: exit 4 (TLS)"
has_err 'TLS handshake with 127\.0\.0\.1:[0-9]+ failed'
ok $? "$what: stderr says the TLS handshake failed"
! sent | grep -Eq '^(USER|PASS|AUTH)'
ok $? "$what: no USER, PASS or AUTH reached the server"
case_end

start_server no-greeting
case_begin "pop3s://, the handshake is never answered"
pouch_tls --timeout 2 "pop3s://u@127.0.0.1:$port" stat
is "$rc" 5 "$what: exit 5 (timeout)"
has_err "$KW_TIMEOUT"
ok $? "$what: stderr says it timed out ('$KW_TIMEOUT')"
[ "$secs" -lt 10 ]
ok $? "$what: ended in ${secs}s (< 10)"
case_end

# ---------------------------------------------------------------------------
# short-retr: RETR 1 ends with "." before the octets LIST promised.

start_server short-retr
case_begin "short-retr with a DELE pending"
pouch_run --timeout 5 "$url" dele 3 -- retr 1
is "$rc" 6 "$what: exit 6 (protocol: short RETR)"
has_err "$KW_SHORT"
ok $? "$what: stderr says the message was short ('$KW_SHORT')"
grep -qx 'pouch: nothing was deleted' "$err"
ok $? "$what: stderr says nothing was deleted"
no_commit
ok $? "$what: no deletion committed"
case_end

start_server short-retr --pipelining
case_begin "short-retr retr 1-3 -o, LIST pipelined ahead of the RETRs"
mkdir "$dir/mail"
pouch_run --timeout 5 -o "$dir/mail" "$url" retr 1-3
is "$rc" 6 "$what: exit 6 (protocol: short RETR)"
has_err "$KW_SHORT"
ok $? "$what: stderr says the message was short ('$KW_SHORT')"
is "$(cd "$dir/mail" && ls -A)" "" "$what: no file left in the directory"
case_end

start_server short-retr
case_begin "short-retr -o"
mkdir "$dir/mail"
pouch_run --timeout 5 -o "$dir/mail" "$url" retr 1
is "$rc" 6 "$what: exit 6 (protocol: short RETR)"
has_err "$KW_SHORT"
ok $? "$what: stderr says the message was short ('$KW_SHORT')"
is "$(cd "$dir/mail" && ls -A)" "" "$what: no file left in the directory"
case_end

# ---------------------------------------------------------------------------
# bad-list: sizes that overflow 64 bits; garbage in LIST lines.

start_server bad-list
case_begin "bad-list list (2^64)"
pouch_run --timeout 5 "$url" list
is "$rc" 6 "$what: exit 6 (protocol)"
has_err "$KW_PROTO"
ok $? "$what: stderr says it is a protocol error ('$KW_PROTO')"
case_end

start_server bad-list
case_begin "bad-list stat (octets > 2^64)"
pouch_run --timeout 5 "$url" stat
is "$rc" 6 "$what: exit 6 (protocol)"
has_err "$KW_PROTO"
ok $? "$what: stderr says it is a protocol error ('$KW_PROTO')"
case_end

start_server bad-list-garbage
case_begin "bad-list-garbage list"
pouch_run --timeout 5 "$url" list
is "$rc" 6 "$what: exit 6 (protocol)"
has_err "$KW_PROTO"
ok $? "$what: stderr says it is a protocol error ('$KW_PROTO')"
[ ! -s "$out" ] || ! grep -q '^2 12' "$out"
ok $? "$what: the garbage size is not printed as a number"
case_end

# ---------------------------------------------------------------------------
# capa-pipelining: the server offers PIPELINING and reads with a delay, so
# commands that pouch sent before the first reply arrive together.

start_server capa-pipelining
case_begin "capa-pipelining"
pouch_run --timeout 5 "$url" stat -- list -- uidl -- noop
is "$rc" 0 "$what: exit 0"
grep -Eq '^# batch [2-9]' "$log"
ok $? "$what: several commands arrived before the first reply (pipelined)"
is "$(sent_tx)" "STAT
LIST
UIDL
NOOP
QUIT" "$what: commands in order"
case_end

start_server capa-pipelining
case_begin "capa-pipelining --no-pipelining"
pouch_run --timeout 5 --no-pipelining "$url" stat -- list -- uidl -- noop
is "$rc" 0 "$what: exit 0"
! grep -q '^# batch' "$log"
ok $? "$what: one command at a time"
case_end

# ---------------------------------------------------------------------------
# slow-big-retr: 5 MB in 7 chunks, 1 s apart: slower in total than
# --timeout 2, but it never stalls for 2 s, so it must succeed.

start_server slow-big-retr
case_begin "slow-big-retr"
pouch_run --timeout 2 "$url" retr 1
is "$rc" 0 "$what: exit 0 (a progressing transfer does not time out)"
msg slow-big-retr 1 >"$dir/want"
cmp -s "$out" "$dir/want"
ok $? "$what: the 5 MB message intact"
[ "$secs" -ge 5 ]
ok $? "$what: took ${secs}s (>= 5: longer than the timeout, so the case means something)"
case_end

# ---------------------------------------------------------------------------
# SIGINT in the middle of a slow RETR, with a DELE pending: exit 130, no
# file, nothing committed. timeout --foreground passes the signal on to
# pouch once (plain GNU timeout sends it twice: the case after this one).

interrupt_case() {	# NAME SIGNALS
	start_server slow-big-retr
	case_begin "$1"
	mkdir "$dir/mail"
	out=$dir/out
	err=$dir/err
	t0=$(now_ms)
	timeout --foreground 60 "$POUCH" --tls none --password-command 'echo x' \
		--state-dir "$tmp/state" --timeout 5 \
		-o "$dir/mail" "$url" dele 2 -- retr 1 >"$out" 2>"$err" </dev/null &
	pid=$!
	i=0
	while ! grep -q '^RETR' "$log" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
	kill -INT "$pid"
	if [ "$2" -gt 1 ]; then
		sleep 0.02
		kill -INT "$pid"
	fi
	wait "$pid"
	rc=$?
	secs=$((($(now_ms) - t0 + 999) / 1000))
	is "$rc" 130 "$what: exit 130"
	grep -q 'nothing was deleted' "$err"
	ok $? "$what: stderr says nothing was deleted"
	is "$(cd "$dir/mail" && ls -A)" "" "$what: no file left in the directory"
	no_commit
	ok $? "$what: no deletion committed"
	case_end
}
interrupt_case "interrupted mid-RETR" 1

# Two SIGINTs 20 ms apart (a user pressing Ctrl-C twice, or GNU timeout
# signalling pouch and its group): the same clean end, no temporary file.
interrupt_case "two Ctrl-Cs mid-RETR" 2

# ---------------------------------------------------------------------------
# SASL XOAUTH2 and OAUTHBEARER (RFC 7628) with a bearer token from
# --password-command: the exact payload reaches the server, the token never
# reaches the trace, and a wrong token is a login failure (exit 3).

for mech in XOAUTH2 OAUTHBEARER; do
	start_server oauth
	case_begin "$mech"
	timeout 60 "$POUCH" --tls none --password-command 'echo pouch-test-token' \
		--state-dir "$tmp/state" --timeout 5 --auth "$mech" --trace \
		"pop3://alice@127.0.0.1:$port" stat >"$dir/out" 2>"$dir/err" </dev/null
	rc=$?
	out=$dir/out
	err=$dir/err
	is "$rc" 0 "$what: exit 0"
	grep -qx "# sasl $mech ok" "$log"
	ok $? "$what: the server accepted the token"
	grep -q "^C: AUTH $mech" "$err" && ! grep -q "pouch-test-token" "$err"
	ok $? "$what: trace shows AUTH $mech, never the token"
	! grep -q "cG91Y2gtdGVzdC10b2tlbg\|dGVzdC10b2tlbg" "$err"
	ok $? "$what: nor the token in base64"
	case_end

	start_server oauth
	case_begin "$mech wrong token"
	timeout 60 "$POUCH" --tls none --password-command 'echo stale-token' \
		--state-dir "$tmp/state" --timeout 5 --auth "$mech" \
		"pop3://alice@127.0.0.1:$port" stat >"$dir/out" 2>"$dir/err" </dev/null
	rc=$?
	out=$dir/out
	err=$dir/err
	is "$rc" 3 "$what: exit 3 (login failed)"
	grep -qx "# sasl $mech refused" "$log"
	ok $? "$what: the server refused it"
	case_end
done

# ---------------------------------------------------------------------------
# bare-lf-dot (issue 9 item 1): in a CRLF session a "." after a bare LF is
# message text, which a CRLF server never stuffs; only CRLF "." CRLF ends a
# reply. The message comes whole and the next reply is read as a reply.

start_server bare-lf-dot
case_begin "bare-lf-dot retr 2 -- stat"
pouch_run "$url" retr 2 -- stat
is "$rc" 0 "$what: exit 0"
msg bare-lf-dot 2 >"$dir/want"
head -c "$(wc -c <"$dir/want")" "$out" | cmp -s - "$dir/want"
ok $? "$what: message 2 whole, its bare-LF dots as sent"
tail -n 1 "$out" | grep -Eqx '3 [0-9]+'
ok $? "$what: STAT's answer after it, not message text"
case_end

start_server bare-lf-dot
case_begin "bare-lf-dot retr 1-3 -o"
mkdir "$dir/mail"
pouch_run -o "$dir/mail" "$url" retr 1-3
is "$rc" 0 "$what: exit 0"
msg bare-lf-dot 2 >"$dir/want"
cmp -s "$dir/mail/2.eml" "$dir/want"
ok $? "$what: 2.eml complete"
! has_err 'short|longer|kept whole'
ok $? "$what: no size warning"
case_end

# ---------------------------------------------------------------------------
# echo-pass (issue 9 item 4): a server that echoes PASS in its -ERR. The
# password shows neither in the error nor in the trace.

for auth in "" USER; do
	start_server echo-pass
	case_begin "echo-pass${auth:+ --auth $auth}"
	timeout 60 "$POUCH" --tls none --password-command 'echo s3cret-pw' \
		--state-dir "$tmp/state" --trace ${auth:+--auth "$auth"} "$url" stat \
		>"$dir/out" 2>"$dir/err" </dev/null
	rc=$?
	out=$dir/out
	err=$dir/err
	is "$rc" 3 "$what: exit 3 (login)"
	grep -qx 'PASS s3cret-pw' "$log"
	ok $? "$what: the server got the password (and echoed it)"
	! grep -q 's3cret' "$err"
	ok $? "$what: not on stderr, trace included"
	grep -q 'S: -ERR unknown command: PASS \*\*\*\*\*\*\*\*' "$err"
	ok $? "$what: the trace shows the echo masked"
	case_end
done

# ---------------------------------------------------------------------------
# reply-twice (issue 9, worth judging): DELE is answered twice while
# pipelining; the stray reply must not shift RETR's reply into the message.

start_server reply-twice
case_begin "reply-twice dele 1 -- retr 2"
pouch_run "$url" dele 1 -- retr 2
is "$rc" 6 "$what: exit 6 (protocol violation)"
! grep -q '^+OK' "$out"
ok $? "$what: no status line handed over as message text"
no_commit
ok $? "$what: DELE 1 not committed"
case_end

# ---------------------------------------------------------------------------
# digest-md5 (issue 9 item 7): DIGEST-MD5 (RFC 6331, obsolete) is libcurl's
# first pick among "DIGEST-MD5 PLAIN"; pouch closes the first connection at
# the end of CAPA, before any AUTH, and logs in again with PLAIN: the server
# never sees AUTH DIGEST-MD5. Asked for by name, it is used; offered alone,
# it is used by default, on one connection.

start_server digest-md5 --connections 2
case_begin "digest-md5, default login method"
pouch_run --trace "$url" stat
is "$rc" 0 "$what: exit 0"
is "$(cat "$out")" "3 1402" "$what: stat"
is "$(grep -c '^# connection' "$log")" 2 "$what: a second connection"
is "$(sed -n '/^# connection 1$/,/^# connection 2$/p' "$log" | tr '\n' ' ')" \
	"# connection 1 CAPA # closed by client # connection 2 " \
	"$what: the first connection sent CAPA, nothing more"
! grep -qi '^AUTH DIGEST-MD5' "$log"
ok $? "$what: no AUTH DIGEST-MD5 on the wire"
is "$(sent | grep '^AUTH' | cut -d' ' -f1-2 | tr '\n' ' ')" "AUTH PLAIN " \
	"$what: the server sees only AUTH PLAIN"
grep -qx '# sasl PLAIN ok' "$log"
ok $? "$what: logged in with PLAIN"
grep -q '^\*: CAPA offers DIGEST-MD5 (obsolete, RFC 6331) beside other methods' "$err"
ok $? "$what: the trace says why the connection closed"
case_end

# The same when the CAPA is the one before a refused STLS (loopback: TLS
# only tried, so libcurl logs in at once on what that CAPA offered).
start_server stls-refused-digest --connections 2
case_begin "stls-refused-digest, default login method"
pouch_tls "$url" stat
is "$rc" 0 "$what: exit 0"
is "$(sent | grep '^AUTH' | cut -d' ' -f1-2 | tr '\n' ' ')" "AUTH PLAIN " \
	"$what: the server sees only AUTH PLAIN"
is "$(sed -n '/^# connection 1$/,/^# connection 2$/p' "$log" | tr '\n' ' ')" \
	"# connection 1 CAPA STLS # closed by client # connection 2 " \
	"$what: the first connection sent CAPA and STLS, nothing more"
case_end

start_server digest-md5-only
case_begin "digest-md5-only, default login method"
pouch_run "$url" stat
is "$rc" 0 "$what: exit 0"
is "$(cat "$out")" "3 1402" "$what: stat"
is "$(grep -c '^# connection' "$log")" 1 "$what: one connection"
is "$(sent | grep -c '^AUTH DIGEST-MD5$')" 1 "$what: AUTH DIGEST-MD5, the only method offered"
grep -qx '# digest MD5 ok' "$log"
ok $? "$what: the response checks out (RFC 2831)"
case_end

start_server digest-md5-only
case_begin "digest-md5-only, --auth DIGEST-MD5"
pouch_run --auth DIGEST-MD5 "$url" stat
is "$rc" 0 "$what: exit 0"
is "$(cat "$out")" "3 1402" "$what: stat"
grep -qx '# digest MD5 ok' "$log"
ok $? "$what: logged in with DIGEST-MD5, asked for by name"
case_end

start_server digest-md5
case_begin "digest-md5, --auth DIGEST-MD5"
pouch_run --auth DIGEST-MD5 "$url" stat
is "$rc" 3 "$what: exit 3 (the server refuses it)"
grep -qx '# digest response' "$log"
ok $? "$what: DIGEST-MD5 used when asked for"
case_end

# no-capa (issue 9 item 7): CAPA refused at login is not asked again, after
# it or for the capa command, which is answered from that refusal: the
# same words and exit status as a -ERR to the command, the session ended
# with nothing deleted, the commands before it done.
start_server no-capa
case_begin "no-capa stat -- capa"
pouch_run "$url" stat -- capa -- dele 1
is "$rc" 1 "$what: exit 1 (-ERR)"
is "$(cat "$out")" "3 1402" "$what: stat printed first"
is "$(sent | grep -c '^CAPA$')" 1 "$what: CAPA sent once (at login)"
is "$(cat "$err")" "pouch: CAPA: server said: -ERR unknown command
pouch: nothing was deleted" "$what: stderr"
! sent | grep -q '^DELE'
ok $? "$what: the command after it not sent"
no_commit
ok $? "$what: nothing committed"
case_end

# CAPA answered before login, refused after it: the capa command gives
# that refusal, without a third CAPA.
start_server capa-refused-after-login
case_begin "capa-refused-after-login capa"
pouch_run "$url" capa
is "$rc" 1 "$what: exit 1 (-ERR)"
is "$(sent | grep -c '^CAPA$')" 2 "$what: CAPA sent twice (before and after login)"
is "$(cat "$err")" "pouch: CAPA: server said: -ERR no capabilities for you
pouch: nothing was deleted" "$what: stderr"
case_end

# The capa command on a server that answers CAPA: the login's answer after
# login (RFC 2449 section 5), in order among the outputs; CAPA goes out
# twice (before and after login), never a third time.
start_server normal
case_begin "normal stat -- capa -- noop"
pouch_run --trace "$url" stat -- capa -- noop
is "$rc" 0 "$what: exit 0"
is "$(cat "$out")" "3 1402
USER
UIDL
TOP
RESP-CODES" "$what: stdout"
is "$(sent | grep -c '^CAPA$')" 2 "$what: CAPA sent twice (before and after login)"
is "$(sent_tx | tr '\n' ' ')" "STAT NOOP QUIT " "$what: the commands sent"
grep -qx "\*: capa: answered from the login's CAPA" "$err"
ok $? "$what: the trace says where the answer came from"
case_end

# ---------------------------------------------------------------------------
# Issue 9 item 6: the netrc login counts whatever gives the password. With
# --password-command and a URL without user@, pouch logs in as the netrc
# entry's login (from --netrc-file, or from $HOME/.netrc), not as $USER; the
# password is the command's, not the netrc file's.

for how in netrc-file home; do
	start_server normal
	case_begin "netrc login with --password-command ($how)"
	printf 'machine 127.0.0.1 login netrc-user password from-netrc\n' >"$dir/.netrc"
	chmod 600 "$dir/.netrc"
	if [ "$how" = netrc-file ]; then nf="--netrc-file $dir/.netrc"; else nf=; fi
	# shellcheck disable=SC2086
	HOME=$dir USER=env-user timeout 60 "$POUCH" --tls none --password-command 'echo from-command' \
		$nf --state-dir "$tmp/state" --timeout 5 "pop3://127.0.0.1:$port" stat \
		>"$dir/out" 2>"$dir/err" </dev/null
	rc=$?
	out=$dir/out
	err=$dir/err
	is "$rc" 0 "$what: exit 0"
	is "$(sent | grep -E '^(USER|PASS) ')" "USER netrc-user
PASS from-command" "$what: USER from netrc, PASS from the command"
	case_end
done

start_server normal
case_begin "netrc: -u wins over the netrc login; \$USER only without either"
printf 'machine 127.0.0.1 login netrc-user password from-netrc\n' >"$dir/.netrc"
chmod 600 "$dir/.netrc"
HOME=$dir USER=env-user timeout 60 "$POUCH" --tls none -u cli-user \
	--password-command 'echo from-command' --state-dir "$tmp/state" --timeout 5 \
	"pop3://127.0.0.1:$port" stat >"$dir/out" 2>"$dir/err" </dev/null
rc=$?
err=$dir/err
is "$rc" 0 "$what: exit 0"
is "$(sent | grep -E '^USER ')" "USER cli-user" "$what: USER from -u"
case_end

start_server normal
case_begin "no netrc entry: \$USER"
HOME=$dir USER=env-user timeout 60 "$POUCH" --tls none \
	--password-command 'echo from-command' --state-dir "$tmp/state" --timeout 5 \
	"pop3://127.0.0.1:$port" stat >"$dir/out" 2>"$dir/err" </dev/null
rc=$?
err=$dir/err
is "$rc" 0 "$what: exit 0"
is "$(sent | grep -E '^USER ')" "USER env-user" "$what: USER from \$USER"
case_end

# ---------------------------------------------------------------------------
# Issue 9 item 3: a local write failure or EPIPE ends the session at once:
# no more reading, no QUIT, nothing deleted, exit 7. The server's RETR 1
# never ends, so a pouch that goes on reading is stopped only by the
# server's lifetime (45 s).

start_server endless-retr
case_begin "endless RETR to a pipe that closes (EPIPE)"
t0=$(now_ms)
{ timeout 60 "$POUCH" --tls none --password-command 'echo x' --state-dir "$tmp/state" \
	--timeout 10 "$url" retr 1 -- dele 2 2>"$dir/err"; echo $? >"$dir/rc"; } | head -c 100 >"$dir/head"
secs=$((($(now_ms) - t0 + 999) / 1000))
rc=$(cat "$dir/rc")
err=$dir/err
is "$rc" 7 "$what: exit 7 (local error)"
grep -q '^pouch: RETR 1: writing to stdout failed: Broken pipe$' "$err"
ok $? "$what: stderr says the write failed, and why"
[ "$secs" -le 10 ]
ok $? "$what: pouch stopped at once (${secs}s; the server never ends the message)"
grep -q '^# closed by client' "$log"
ok $? "$what: pouch closed the connection (the server did not give up on it)"
! sent | grep -q '^QUIT'
ok $? "$what: no QUIT"
no_commit
ok $? "$what: no deletion committed"
is "$(wc -c <"$dir/head" | tr -d ' ')" 100 "$what: head got its 100 octets"
case_end

start_server endless-retr
case_begin "endless RETR to -o DIR on a file size limit (EFBIG)"
t0=$(now_ms)
(
	trap '' XFSZ
	ulimit -f 2048
	exec timeout 60 "$POUCH" --tls none --password-command 'echo x' --state-dir "$tmp/state" \
		--timeout 10 -o "$dir/mail" "$url" retr 1 -- dele 2 >"$dir/out" 2>"$dir/err" </dev/null
)
rc=$?
secs=$((($(now_ms) - t0 + 999) / 1000))
err=$dir/err
is "$rc" 7 "$what: exit 7 (local error)"
grep -q '^pouch: RETR 1: .*write failed: File too large$' "$err"
ok $? "$what: stderr says the write failed, and why"
[ "$secs" -le 10 ]
ok $? "$what: pouch stopped at once (${secs}s)"
grep -q '^# closed by client' "$log"
ok $? "$what: pouch closed the connection"
! sent | grep -q '^QUIT'
ok $? "$what: no QUIT"
no_commit
ok $? "$what: no deletion committed"
is "$(ls -A "$dir/mail" | wc -l | tr -d ' ')" 0 "$what: no file left in DIR (neither 1.eml nor its temporary file)"
case_end

# ---------------------------------------------------------------------------
# Issue 9 item 2: LAST from pouch's record never goes down and never skips.
# A fresh state directory: the first session cannot know yet that the
# server refuses LAST, so it records a number only; later sessions keep UIDs
# too. The number must still count.

start_server no-last --connections 4
case_begin "no-last: retr 1-3, last, retr 2, last (issue 9 item 2)"
st=$tmp/state-nl
pl() {
	timeout 60 "$POUCH" --tls none --password-command 'echo x' --state-dir "$st" \
		--timeout 10 "$url" "$@" </dev/null
}
pl retr 1-3 -o "$dir/d1" >/dev/null 2>"$dir/err1"
rc1=$?
l1=$(pl last 2>"$dir/err2")
pl retr 2 -o "$dir/d2" >/dev/null 2>"$dir/err3"
rc3=$?
l2=$(pl last 2>"$dir/err4")
rc=$?
cat "$dir/err1" "$dir/err2" "$dir/err3" "$dir/err4" >"$dir/err"
err=$dir/err
is "$rc1:$rc3:$rc" "0:0:0" "$what: every session succeeds"
is "$l1" 3 "$what: LAST after retr 1-3: 3"
is "$l2" 3 "$what: LAST after retr 2 as well: still 3"
case_end

# Issue 9 items 2 and 5: UIDs pouch cannot keep (two messages sharing one,
# one that differs only after a space, one of 300 characters) cost those
# messages their UIDL bookkeeping, never the session, and never make LAST
# count a message that was not retrieved.

for scen in dup-uid spaced-uid long-uid dup-number; do
	start_server "$scen" --connections 5
	case_begin "$scen: last, retr 1, last, retr 3, last"
	st=$tmp/state-$scen
	pl last >/dev/null 2>"$dir/err1"
	pl retr 1 >"$dir/out" 2>"$dir/err2"
	rc2=$?
	l1=$(pl last 2>"$dir/err3")
	pl retr 3 >/dev/null 2>"$dir/err4"
	rc4=$?
	l2=$(pl last 2>"$dir/err5")
	rc=$?
	cat "$dir/err1" "$dir/err2" "$dir/err3" "$dir/err4" "$dir/err5" >"$dir/err"
	err=$dir/err
	is "$rc2:$rc4:$rc" "0:0:0" "$what: every session succeeds"
	msg "$scen" 1 | cmp -s - "$dir/out"
	ok $? "$what: retr 1 delivers message 1 byte for byte"
	is "$l1" 1 "$what: LAST after retr 1: 1 (message 2 was not retrieved)"
	is "$l2" 3 "$what: LAST after retr 3: 3"
	sent | grep -q '^UIDL$'
	ok $? "$what: the record's UIDL was asked for"
	case_end
done

# ---------------------------------------------------------------------------
# Issue 9 item 9: no byte of the server's reaches stderr unescaped: not in
# the ordinary error message, not in --trace (ESC, BEL, C1, and U+202E,
# the right-to-left override, with text.h's one rule in cli_escape).

start_server hostile-text
case_begin "hostile server text on stderr"
pouch_run --trace --timeout 5 "$url" retr 2
is "$rc" 1 "$what: exit 1 (-ERR)"
grep -q '^pouch: RETR 2: server said: -ERR message 2 ' "$err"
ok $? "$what: the -ERR is quoted"
! LC_ALL=C grep -q "$(printf '\033')" "$err"
ok $? "$what: no ESC byte on stderr"
! LC_ALL=C grep -q "$(printf '\007')" "$err"
ok $? "$what: no BEL byte on stderr"
! LC_ALL=C grep -q "$(printf '\302\233')" "$err"
ok $? "$what: no C1 CSI on stderr"
! LC_ALL=C grep -q "$(printf '\342\200\256')" "$err"
ok $? "$what: no U+202E on stderr"
case_end

# ---------------------------------------------------------------------------
# LAST from a server that answers it per session (popa3d, RFC 1460): a new
# session hears 0, below what earlier sessions retrieved. pouch answers the
# higher of the server's number and its record's.

start_server last-per-session --connections 4
case_begin "last-per-session: retr 1-3, last, retr 1 and last in one session"
st=$tmp/state-lps
pl retr 1-3 -o "$dir/d1" >/dev/null 2>"$dir/err1"
rc1=$?
l1=$(pl last 2>"$dir/err2")
rc2=$?
l2=$(pl retr 1 -o "$dir/d2" -- last 2>"$dir/err3")
rc3=$?
cat "$dir/err1" "$dir/err2" "$dir/err3" >"$dir/err"
err=$dir/err
rc=$rc3
is "$rc1:$rc2:$rc3" "0:0:0" "$what: every session succeeds"
is "$l1" 3 "$what: LAST in a new session: 3 (the server said 0)"
is "$l2" 3 "$what: LAST after retr 1 in the session: 3 (the server said 1)"
grep -q "^pouch: LAST: answered from pouch's record (the server said: +OK 0)" "$dir/err2"
ok $? "$what: stderr says the record's answer is over the server's"
case_end

# ---------------------------------------------------------------------------
# UTF8 (RFC 6856): a server that lists UTF8 in CAPA (Courier) may hold back
# a message with raw UTF-8 headers until the client says UTF8. pouch says it
# after login, before any other command of the session, and shows it in
# --trace.

start_server utf8
case_begin "utf8: retr 1 of a message with raw UTF-8 headers"
pouch_run --trace --timeout 10 "$url" retr 1
is "$rc" 0 "$what: exit 0"
msg utf8 1 | cmp -s - "$out"
ok $? "$what: the message itself, byte for byte (not the server's substitute)"
sent_tx_utf8=$(sent | grep -E '^(UTF8|STAT|LIST|UIDL|RETR|LAST|QUIT)( |$)' | head -2 | tr '\n' ' ')
case $sent_tx_utf8 in
"UTF8 "*) ok 0 "$what: UTF8 is the first command after login" ;;
*) ok 1 "$what: UTF8 is the first command after login (sent: $sent_tx_utf8)" ;;
esac
grep -q '^C: UTF8$' "$err"
ok $? "$what: --trace shows UTF8"
case_end

# The listing right behind the post-login CAPA (pop3.h): where the CAPA
# before login offered PIPELINING, sync's UIDL and LIST go out in the same
# flight as that CAPA (one round trip less); UTF8, which only the CAPA after
# login may list, still goes ahead of every RETR, so the message is stored
# as it is, not as the server's substitute.
start_server utf8 --pipelining
case_begin "utf8 + PIPELINING: sync's listing follows the post-login CAPA"
if command -v strace >/dev/null 2>&1; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o "$dir/strace" -e trace=sendto -s 64 \
		"$POUCH" --password-command 'echo x' --tls none --timeout 10 \
		sync --store "$dir/store" "$url" >"$dir/out" 2>"$dir/err"
	rc=$?
	grep -q 'sendto([0-9]*, "CAPA\\r\\nUIDL\\r\\nLIST\\r\\n"' "$dir/strace"
	ok $? "$what: CAPA, UIDL and LIST in one write"
else
	pouch_run --timeout 10 sync --store "$dir/store" "$url"
	ok 0 "# skip strace is not installed"
fi
err=$dir/err
is "$rc" 0 "$what: exit 0"
is "$(sent | grep -E '^(CAPA|UIDL|LIST|UTF8|RETR)( |$)' | sed -n '2,6p' | tr '\n' ' ')" \
	"CAPA UIDL LIST UTF8 RETR 1 " "$what: after login CAPA UIDL LIST, then UTF8 before the first RETR"
msg utf8 1 > "$dir/want"
found=0
for f in "$dir"/store/new/* "$dir"/store/cur/*; do
	[ -f "$f" ] && cmp -s "$f" "$dir/want" && found=1
done
is "$found" 1 "$what: message 1 is stored as it is, not as the server's substitute"
case_end

start_server normal --connections 2
case_begin "normal (no PIPELINING): the listing waits for the post-login CAPA"
pouch_run --timeout 10 sync --store "$dir/store" "$url"
is "$rc" 0 "$what: exit 0"
if command -v strace >/dev/null 2>&1; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -o "$dir/strace" -e trace=sendto -s 64 \
		"$POUCH" --password-command 'echo x' --tls none --timeout 10 \
		sync --store "$dir/store2" "$url" >/dev/null 2>&1
	grep -q 'sendto([0-9]*, "CAPA\\r\\n", 6' "$dir/strace" &&
		! grep -q 'sendto([0-9]*, "CAPA\\r\\nUIDL' "$dir/strace"
	ok $? "$what: CAPA alone, UIDL after its answer"
else
	ok 0 "# skip strace is not installed"
fi
case_end

# ---------------------------------------------------------------------------
# Issue 9 item 8: memory for a huge listing. A UIDL or LIST of 3 million
# lines (~50 MiB) printed by `uidl` and `list`, and taken as the UIDL map by
# `last` and `retr` when the server refuses LAST: the peak RSS (GNU time's
# "Maximum resident set size") stays under 3 times the reply. Under
# AddressSanitizer its quarantine of freed memory is turned off for these
# runs: it is the sanitizer's memory, not pouch's.

huge_lines=3000000
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
	start_server huge-listing-nolast --listing-lines $huge_lines --connections 4
	st=$tmp/state-huge
	# huge_run OUT ARGS...: pouch with GNU time; sets $rc, $rss (KiB).
	huge_run() {
		ho=$1
		shift
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
		timeout 60 /usr/bin/time -v -o "$dir/time" "$POUCH" --tls none \
			--password-command 'echo x' --state-dir "$st" --timeout 30 \
			"$url" "$@" >"$ho" 2>>"$dir/err" </dev/null
		rc=$?
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$dir/time")
		rss=${rss:-999999999}
	}
	: >"$dir/err"
	err=$dir/err
	case_begin "huge listing: uidl, list, last, retr 1 of $huge_lines messages (issue 9 item 8)"
	huge_run "$dir/uidl" uidl
	rc_uidl=$rc rss_uidl=$rss
	huge_run "$dir/list" list
	rc_list=$rc rss_list=$rss
	huge_run "$dir/last" last
	rc_last=$rc rss_last=$rss
	huge_run "$dir/retr" retr 1
	rc_retr=$rc rss_retr=$rss
	is "$rc_uidl:$rc_list:$rc_last:$rc_retr" "0:0:0:0" "$what: every session succeeds"
	is "$(wc -l <"$dir/uidl" | tr -d ' '):$(tail -n 1 "$dir/uidl")" \
		"$huge_lines:$huge_lines u$huge_lines" "$what: uidl prints every line"
	is "$(wc -l <"$dir/list" | tr -d ' '):$(tail -n 1 "$dir/list")" \
		"$huge_lines:$huge_lines ${huge_lines}00" "$what: list prints every line"
	is "$(cat "$dir/last")" 0 "$what: last: 0 (from the record, which took the UIDL map)"
	msg huge-listing-nolast 1 | cmp -s - "$dir/retr"
	ok $? "$what: retr 1 delivers message 1 byte for byte"
	grep -c '^UIDL$' "$log" | grep -qx 3
	ok $? "$what: uidl, last and retr each sent a whole UIDL"
	# The reply on the wire: +OK, each printed line with CRLF, the dot.
	reply_uidl=$(($(wc -c <"$dir/uidl") + huge_lines + 8))
	reply_list=$(($(wc -c <"$dir/list") + huge_lines + 8))
	for x in "uidl $rss_uidl $reply_uidl" "list $rss_list $reply_list" \
		"last $rss_last $reply_uidl" "retr $rss_retr $reply_uidl"; do
		set -- $x
		ratio=$(($2 * 1024 * 100 / $3))
		diag "$1: peak RSS $2 KiB for a reply of $3 octets: $((ratio / 100)).$(printf %02d $((ratio % 100)))x"
		[ "$ratio" -lt 300 ]
		ok $? "$what: $1: peak RSS under 3x the reply"
	done
	case_end
else
	ok 0 "huge listing: peak RSS # SKIP no GNU time at /usr/bin/time"
fi

done_testing
