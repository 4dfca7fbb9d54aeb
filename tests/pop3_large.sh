# pop3_large.sh: the demo mailbox with its 41st message (a 20 MiB
# attachment, about 28 MB on the wire) against a private Dovecot: RETR to a
# file and to stdout byte for byte, TOP of it, and an interrupt (SIGINT) in
# the middle of its RETR: exit 130, nothing deleted.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-large.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --manifest "$t/man" "$t/mb" ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
dovecot_start --maildir "$t/mb" || { echo "Bail out! dovecot_start failed"; exit 1; }
pw=$DOVECOT_PASS
U=$POUCH_URL
p() { "$POUCH" --password-command "echo $pw" --state-dir "$t/state" "$@"; }
pc() { "$PYTHON3" "$top_srcdir/tests/lib/popcheck.py" 127.0.0.1 "$DOVECOT_PORT" alice "$pw" "$@"; }
sums() { "$PYTHON3" -c 'import sys, hashlib
d = open(sys.argv[1], "rb").read()
print(len(d), hashlib.sha256(d).hexdigest())' "$1"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
man() { sed -n "${1}p" "$t/man" | cut -d' ' -f"$2"; }
all_stat="41 $(awk '{s += $2} END {print s}' "$t/man")"

is "$(p "$U" stat 2>&1)" "$all_stat" "stat: 41 messages"
is "$(p "$U" list 41 2>&1)" "41 $(man 41 2)" "list 41: $(man 41 2) octets"
mkdir "$t/o"
p -o "$t/o" "$U" retr 41 >/dev/null 2>"$t/err"; rc=$?
is "$rc" 0 "retr 41 -o DIR: exit 0"
is "$(sums "$t/o/41.eml")" "$(man 41 2) $(man 41 3)" "retr 41 -o DIR: length and sha256 of the manifest"
rm -f "$t/o/41.eml"
p "$U" retr 41 > "$t/41.out" 2>/dev/null; rc=$?
is "$rc:$(sums "$t/41.out")" "0:$(man 41 2) $(man 41 3)" "retr 41 to stdout: byte for byte"
p "$U" top 41 0 > "$t/top" 2>/dev/null
sed '/^\r$/q' "$t/41.out" | cmp -s - "$t/top"
ok $? "top 41 0: the header section of the large message"
rm -f "$t/41.out"
p -o "$t/o" "$U" retr 40-41 >/dev/null 2>&1; rc=$?
is "$rc:$(ls "$t/o" | sort -n | tr '\n' ' ')" "0:40.eml 41.eml " "retr 40-41 -o DIR: both files"
is "$(sums "$t/o/41.eml")" "$(man 41 2) $(man 41 3)" "retr 40-41: 41.eml byte for byte"
rm -rf "$t/o"

# SIGINT while RETR 41 is under way, after a DELE in the same session. The
# output goes into a FIFO that nobody reads until the signal has been sent,
# so pouch is certainly in the middle of the message then.
mkfifo "$t/fifo"
n0=$(grep -c 'Login: user=<alice>' "$DOVECOT_LOG")
# An asynchronous command of a non-interactive shell starts with SIGINT
# ignored; the wrapper gives pouch the default disposition back and execs it,
# so that $! is pouch's PID.
"$PYTHON3" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$POUCH" --password-command "echo $pw" \
	--state-dir "$t/state" "$U" dele 1 -- retr 41 > "$t/fifo" 2>"$t/err" &
ppid=$!
exec 3<"$t/fifo"
# A watchdog, so that a pouch that ignores the signal cannot hang the suite.
( sleep 60; kill -KILL $ppid ) >/dev/null 2>&1 &
wd=$!
at_exit "kill $wd"
# Wait until pouch is blocked writing into the full FIFO.
i=0
blocked=
while [ $i -lt 300 ] && kill -0 $ppid 2>/dev/null; do
	case $(cat /proc/$ppid/wchan 2>/dev/null) in
	*pipe_write*) blocked=1; break ;;
	esac
	sleep 0.05
	i=$((i + 1))
done
kill -INT $ppid
cat <&3 >/dev/null
exec 3<&-
wait $ppid
rc=$?
kill $wd 2>/dev/null
if [ -n "$blocked" ]; then
	is "$rc" 130 "SIGINT while writing retr 41 to a blocked stdout: exit 130"
else
	skip "pouch was not seen blocked in write(2) (/proc/PID/wchan); exit $rc"
fi
head -3 "$t/err" | sed "s/^/# /"
is "$(pc stat)" "$all_stat" "SIGINT after dele 1: a second session still sees 41"
is "$(dovecot_maildir_count)" 41 "SIGINT after dele 1: 41 files on disk"

# SIGINT while pouch waits on the network: the server's pop3 process for
# this session (a child of our Dovecot; its PID is in the Login line) is
# stopped, so RETR 41 stalls half way; it is continued after the signal.
mkdir "$t/o"
n0=$(grep -c 'Login: user=<alice>' "$DOVECOT_LOG")
"$PYTHON3" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$POUCH" --password-command "echo $pw" \
	--state-dir "$t/state" --timeout 20 -o "$t/o" "$U" dele 1 -- retr 41 >/dev/null 2>"$t/err" &
ppid=$!
( sleep 60; kill -KILL $ppid ) >/dev/null 2>&1 &
wd=$!
at_exit "kill $wd"
i=0
while [ $i -lt 200 ] && [ "$(grep -c 'Login: user=<alice>' "$DOVECOT_LOG")" -le "$n0" ]; do
	sleep 0.02
	i=$((i + 1))
done
mpid=$(grep 'Login: user=<alice>' "$DOVECOT_LOG" | tail -1 | sed -n 's/.*mpid=\([0-9]*\).*/\1/p')
if [ -n "$mpid" ] && kill -STOP "$mpid" 2>/dev/null; then
	at_exit "kill -CONT $mpid"
	sleep 1
	kill -INT $ppid
	sleep 0.3
	kill -CONT "$mpid"
	wait $ppid
	rc=$?
	kill $wd 2>/dev/null
	is "$rc" 130 "SIGINT while RETR 41 waits on the network: exit 130"
	head -3 "$t/err" | sed "s/^/# /"
	is "$(pc stat)" "$all_stat" "SIGINT (network wait) after dele 1: a second session still sees 41"
	f=$t/o/41.eml
	[ ! -e "$f" ] || [ "$(sums "$f")" = "$(man 41 2) $(man 41 3)" ]
	ok $? "SIGINT (network wait): no partial 41.eml left behind"
else
	kill $wd 2>/dev/null
	wait $ppid
	skip "the session's pop3 process was not found in Dovecot's log"
	skip "SIGINT (network wait): nothing deleted"
	skip "SIGINT (network wait): no partial file"
fi

# A server that stops answering in the middle of RETR 41: --timeout 2 gives
# exit 5 within a few seconds, and nothing is deleted.
rm -rf "$t/o"
mkdir "$t/o"
n0=$(grep -c 'Login: user=<alice>' "$DOVECOT_LOG")
"$POUCH" --password-command "echo $pw" --state-dir "$t/state" --timeout 2 \
	-o "$t/o" "$U" dele 1 -- retr 41 >/dev/null 2>"$t/err" &
ppid=$!
( sleep 60; kill -KILL $ppid ) >/dev/null 2>&1 &
wd=$!
at_exit "kill $wd"
i=0
while [ $i -lt 200 ] && [ "$(grep -c 'Login: user=<alice>' "$DOVECOT_LOG")" -le "$n0" ]; do
	sleep 0.02
	i=$((i + 1))
done
mpid=$(grep 'Login: user=<alice>' "$DOVECOT_LOG" | tail -1 | sed -n 's/.*mpid=\([0-9]*\).*/\1/p')
if [ -n "$mpid" ] && kill -STOP "$mpid" 2>/dev/null; then
	at_exit "kill -CONT $mpid"
	s0=$(date +%s)
	wait $ppid
	rc=$?
	s1=$(date +%s)
	kill -CONT "$mpid"
	kill $wd 2>/dev/null
	is "$rc" 5 "server stalls mid-RETR, --timeout 2: exit 5"
	[ $((s1 - s0)) -le 15 ]
	ok $? "--timeout 2: gave up after $((s1 - s0)) s"
	head -3 "$t/err" | sed "s/^/# /"
	is "$(pc stat)" "$all_stat" "timeout after dele 1: a second session still sees 41"
else
	kill $wd 2>/dev/null
	wait $ppid
	skip "the session's pop3 process was not found in Dovecot's log"
	skip "--timeout: time taken"
	skip "--timeout: nothing deleted"
fi

done_testing
