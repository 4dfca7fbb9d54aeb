# store_sync.sh: `pouch sync` against a private Dovecot: the store holds
# exactly the server's messages, byte for byte (SHA-256 against an
# independent client, tests/lib/popcheck.py); a second sync fetches
# nothing; a third fetches only the new message; SIGKILL at 24 points of a
# sync (keep and delete), each followed by another sync; disk full and a
# read-only store; two processes; mblaze sees what pouch wrote, and what
# mblaze deletes leaves pouch's index.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-sync.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
dump="$top_builddir/tests/store_dump"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large --manifest "$t/man" "$t/mb" >/dev/null ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
dovecot_start --maildir "$t/mb" || { echo "Bail out! dovecot_start failed"; exit 1; }

U=$POUCH_URL
pw="$DOVECOT_PASS"

# --- the arguments (exit 2, one line saying what is wrong)
: > "$t/empty.conf"
"$POUCH" --config "$t/empty.conf" sync 2>"$t/err"; rc=$?
is "$rc:$(head -1 "$t/err")" "2:pouch: sync: no URL given and no account configured in $t/empty.conf (pouch sync URL, or see pouch.conf(5))" \
	"sync without a URL or an account"
"$POUCH" --delete "$U" stat 2>"$t/err"; rc=$?
is "$rc:$(head -1 "$t/err")" "2:pouch: --delete, --delete-after and --all go with sync only" \
	"--delete without sync"
"$POUCH" sync --delete --delete-after 3 "$U" 2>"$t/err"; rc=$?
is "$rc:$(head -1 "$t/err")" "2:pouch: sync: --delete and --delete-after exclude each other" \
	"--delete with --delete-after"
"$POUCH" sync --delete-after 1x "$U" 2>"$t/err"; rc=$?
is "$rc:$(head -1 "$t/err")" "2:pouch: --delete-after: '1x' is not a number of days (0 to 36500)" \
	"--delete-after with a bad number"
"$POUCH" sync "$U" stat 2>"$t/err"; rc=$?
is "$rc:$(head -1 "$t/err")" "2:pouch: sync: one ACCOUNT or URL, and options before it ('stat' follows it)" \
	"sync with a command after the URL"
p() { "$POUCH" --password-command "echo $pw" "$@"; }
pc() { "$PYTHON3" "$top_srcdir/tests/lib/popcheck.py" 127.0.0.1 "$DOVECOT_PORT" alice "$pw" "$@"; }

# check STORE UIDL SUMS [MUST]: every message of the server (UIDL and SUMS
# from popcheck, one session) is in STORE once, byte-identical; with MUST
# (a file of UIDLs) only those must be there, and the rest may be missing.
# Prints "ok" or what is wrong.
check() {
	"$PYTHON3" - "$@" <<'EOF'
import hashlib, os, re, sys, urllib.parse
store, uidl, sums = sys.argv[1:4]
n2u = dict(l.split() for l in open(uidl) if l.strip())
orig = {n2u[l.split()[0]]: l.split()[2] for l in open(sums) if l.strip()}
must = set(orig) if len(sys.argv) < 5 else {l.strip() for l in open(sys.argv[4]) if l.strip()}
have = {}
for sub in ("new", "cur"):
    d = os.path.join(store, sub)
    for f in (os.listdir(d) if os.path.isdir(d) else []):
        m = re.search(r",U=([^,:]*)", f)
        if not m:
            continue
        u = urllib.parse.unquote(m.group(1))
        data = open(os.path.join(d, f), "rb").read()
        have.setdefault(u, []).append(hashlib.sha256(data).hexdigest())
out = []
dups = [u for u, v in have.items() if len(v) > 1]
if dups: out.append("duplicates %s" % dups[:3])
miss = [u for u in must if u not in have]
if miss: out.append("missing %d" % len(miss))
wrong = [u for u, v in have.items() if u in orig and v[0] != orig[u]]
if wrong: out.append("differ %s" % wrong[:3])
alien = [u for u in have if u not in orig]
if alien: out.append("unknown %s" % alien[:3])
print(" ".join(out) or "ok")
EOF
}
# index STORE: the store's index agrees with its Maildir (count = files,
# no diagnostics once reconciled, no UIDL twice).
index_ok() {
	"$dump" --rw "$1" >/dev/null 2>&1
	"$dump" "$1" > "$t/dump" 2>&1 || { echo "store_dump failed: $(cat "$t/dump")"; return; }
	files=$(ls "$1/new" "$1/cur" | grep -c ',U=')
	count=$(sed -n 's/^count //p' "$t/dump")
	diags=$(grep -c '^diag' "$t/dump")
	uids=$(sed 1d "$t/dump" | grep -v '^diag' | cut -f1 | sort | uniq -d | wc -l)
	echo "files=$files count=$count diags=$diags dupuids=$uids"
}

pc uidl > "$t/uidl0"
pc sums > "$t/sums0"
n0=$(wc -l < "$t/uidl0")

# --- first sync: everything, byte for byte
S="$t/store"
p sync --store "$S" "$U" 2>"$t/err"; rc=$?
is "$rc" 0 "sync: exit 0"
is "$(tail -1 "$t/err")" "pouch: sync: $n0 new (0.1 MB); $n0 on the server, $n0 in $S; 0 deleted from the server" \
	"sync: says what it did"
is "$(check "$S" "$t/uidl0" "$t/sums0")" ok "sync: every message stored once, identical by SHA-256"
is "$(index_ok "$S")" "files=$n0 count=$n0 diags=0 dupuids=0" "sync: the index agrees with the Maildir"
is "$(ls "$S/tmp" | wc -l)" 0 "sync: nothing left in tmp/"
is "$(stat -c %a "$S")" 700 "sync: the store is mode 0700"

# --- second sync: nothing fetched (the trace has no RETR)
p --trace sync --store "$S" "$U" 2>"$t/trace"; rc=$?
is "$rc" 0 "second sync: exit 0"
is "$(grep -c '^C: RETR' "$t/trace")" 0 "second sync: no RETR"
is "$(grep -c '^C: DELE' "$t/trace")" 0 "second sync: no DELE (keep)"
grep -q "^pouch: sync: 0 new" "$t/trace"
ok $? "second sync: 0 new"

# --- a new message: the third sync fetches only it
printf 'From: new@example.org\nSubject: the forty-first\n\nNew mail.\n' > "$t/new.eml"
chmod 644 "$t/new.eml"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$t/new.eml"
mv "$t/new.eml" "$DOVECOT_MAILDIR/new/1800000000.new.host"
p --trace sync --store "$S" "$U" 2>"$t/trace"; rc=$?
is "$rc" 0 "third sync: exit 0"
is "$(grep -c '^C: RETR' "$t/trace")" 1 "third sync: one RETR"
pc uidl > "$t/uidl1"
pc sums > "$t/sums1"
is "$(check "$S" "$t/uidl1" "$t/sums1")" ok "third sync: the new message stored, identical"
"$dump" "$S" | grep -q "	the forty-first$"
ok $? "third sync: its subject in the index"

# --- mblaze sees the same messages; what it deletes leaves pouch's index
if command -v mlist >/dev/null 2>&1 && command -v mscan >/dev/null 2>&1; then
	is "$(mlist "$S" | wc -l)" "$((n0 + 1))" "mblaze: mlist counts the same messages"
	mlist "$S" | mscan -f '%1000s' 2>/dev/null | sed 's/ *$//' | sort > "$t/mb-subj"
	"$dump" "$S" | sed 1d | cut -f4 | sed 's/^$/(no subject)/' | sort > "$t/po-subj"
	is "$(diff "$t/mb-subj" "$t/po-subj" | head -5)" "" "mblaze: mscan shows the same subjects"
	victim=$(mlist "$S" | head -1)
	rm -f "$victim"
	"$dump" --rw "$S" > "$t/dump" 2>&1; rc=$?
	is "$rc:$(sed -n 's/^count //p' "$t/dump"):$(grep -c '^diag' "$t/dump")" "0:$n0:0" \
		"deleted by another client: gone from the index on the next open, without an error"
	p --trace sync --store "$S" "$U" 2>"$t/trace"
	is "$(grep -c '^C: RETR' "$t/trace")" 1 "a sync fetches the message deleted locally again (keep)"
else
	for i in 1 2 3 4; do ok 0 "# skip mblaze is not installed"; done
fi

# --- two processes: the second is refused, and says who holds the store
"$dump" --hold "$S" > "$t/hold" 2>&1 &
holder=$!
at_exit "kill $holder 2>/dev/null"
i=0
while [ ! -s "$t/hold" ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i + 1)); done
p sync --store "$S" "$U" 2>"$t/err"; rc=$?
is "$rc" 7 "locked: exit 7"
grep -q "is in use by another pouch (process $holder)" "$t/err"
ok $? "locked: names the process holding the store"
kill "$holder"; wait "$holder" 2>/dev/null

# --- disk full: RLIMIT_FSIZE (SIGXFSZ ignored, so write fails with EFBIG)
F="$t/full"
# (stderr goes through a pipe: the limit would cut the trace file too.)
(trap '' XFSZ; ulimit -f 2; "$POUCH" --password-command "echo $pw" --trace sync --delete \
	--store "$F" "$U"; echo $? > "$t/rc") 2>&1 | cat > "$t/trace"
rc=$(cat "$t/rc")
is "$rc" 7 "file size limit: exit 7"
grep -q "^pouch: sync: .*: write failed: File too large" "$t/trace"
ok $? "file size limit: a clear error naming the file"
is "$(grep -c '^C: DELE' "$t/trace")" 0 "file size limit: no DELE"
is "$(pc stat | cut -d' ' -f1)" "$((n0 + 1))" "file size limit: every message still on the server"
is "$(index_ok "$F" | cut -d' ' -f3-)" "diags=0 dupuids=0" "file size limit: the store stays consistent"
is "$(ls "$F/tmp" | wc -l)" 0 "file size limit: no partial file left"

if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
	# A full file system: a 64 KiB tmpfs in a mount namespace of our own.
	mkdir -p "$t/tiny"
	unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$t/tiny' &&
		'$POUCH' --password-command 'echo $pw' --trace sync --delete --store '$t/tiny/s' '$U' 2>'$t/trace';
		echo \$? > '$t/rc'; '$dump' --rw '$t/tiny/s' > '$t/dump' 2>&1;
		ls '$t/tiny/s/tmp' | wc -l > '$t/tmpcount'"
	is "$(cat "$t/rc")" 7 "full tmpfs: exit 7"
	grep -q "No space left on device" "$t/trace"
	ok $? "full tmpfs: says the disk is full"
	is "$(grep -c '^C: DELE' "$t/trace")" 0 "full tmpfs: no DELE"
	is "$(grep -c '^diag' "$t/dump"):$(cat "$t/tmpcount")" "0:0" "full tmpfs: the store consistent, tmp/ empty"
	# A read-only store.
	unshare -m sh -c "mount --bind '$S' '$S' && mount -o remount,ro,bind '$S' &&
		'$POUCH' --password-command 'echo $pw' --trace sync --delete --store '$S' '$U' 2>'$t/trace';
		echo \$? > '$t/rc'"
	is "$(cat "$t/rc")" 7 "read-only store: exit 7"
	grep -q "Read-only file system" "$t/trace"
	ok $? "read-only store: says so"
	is "$(grep -c '^C: DELE' "$t/trace")" 0 "read-only store: no DELE"
else
	for i in 1 2 3 4 5 6 7; do ok 0 "# skip tmpfs and read-only mounts need root and unshare"; done
fi
is "$(pc stat | cut -d' ' -f1)" "$((n0 + 1))" "after the failures: every message still on the server"
dovecot_stop

# --- SIGKILL at 24 points of a sync, each from a fresh start and followed
# by another sync. The points are lines of the sync's trace (spread over
# login, listing, downloads and landings every 128 files) and, under
# delete, the first DELE, QUIT and the commit's UIDL.
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --bulk 300 --avg-size 2000 "$t/big" >/dev/null ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
dovecot_start --maildir "$t/big" || { echo "Bail out! dovecot_start failed"; exit 1; }
U=$POUCH_URL
pc uidl > "$t/uidlB"
pc sums > "$t/sumsB"
nB=$(wc -l < "$t/uidlB")

# killsync STORE LINE|PATTERN [OPTIONS]: a sync killed with SIGKILL ($SIG
# when set) once its trace has LINE lines, or a line matching PATTERN (or
# when it ends first); its exit status in $ksig_rc.
killsync() {
	s=$1 k=$2
	shift 2
	: > "$t/ktrace"
	"$POUCH" --password-command "echo $pw" --trace sync "$@" --store "$s" "$U" 2>"$t/ktrace" &
	kp=$!
	case $k in
	[0-9]*) while kill -0 "$kp" 2>/dev/null && [ "$(wc -l < "$t/ktrace")" -lt "$k" ]; do :; done ;;
	*) while kill -0 "$kp" 2>/dev/null && ! grep -q "$k" "$t/ktrace"; do :; done ;;
	esac
	kill -"${SIG:-9}" "$kp" 2>/dev/null
	wait "$kp" 2>/dev/null
	ksig_rc=$?
}
p --trace sync --store "$t/probe" "$U" 2>"$t/ptrace" >/dev/null
lines=$(wc -l < "$t/ptrace")
rm -rf "$t/probe"

# --- Ctrl-C (SIGINT) in the middle: exit 130, what landed stays, the next
# sync completes the store.
S2="$t/interrupted"
SIG=INT killsync "$S2" $((lines / 2))
is "$ksig_rc" 130 "Ctrl-C: exit 130"
grep -q "^pouch: sync: interrupted" "$t/ktrace" && grep -q "nothing was deleted" "$t/ktrace"
ok $? "Ctrl-C: says so, and that nothing was deleted"
p sync --store "$S2" "$U" 2>"$t/err"; rc=$?
is "$rc:$(check "$S2" "$t/uidlB" "$t/sumsB")" "0:ok" "Ctrl-C: the next sync completes the store"
# Ctrl-C once QUIT is out (under keep it goes behind the last RETR, while
# the last batch lands): still "interrupted", what landed is whole. The
# sync may end before the signal arrives: then exit 0, and a complete store.
SIG=INT killsync "$t/intquit" '^C: QUIT'
r=$(check "$t/intquit" "$t/uidlB" "$t/sumsB" /dev/null)
if [ "$ksig_rc" = 130 ]; then
	grep -q "^pouch: sync: interrupted" "$t/ktrace" && grep -q "nothing was deleted" "$t/ktrace"
	ok $? "Ctrl-C while QUIT is out: exit 130, says so, and that nothing was deleted"
else
	is "$ksig_rc" 0 "Ctrl-C while QUIT is out: (the sync ended first) exit 0"
fi
is "$r:$(pc stat | cut -d' ' -f1)" "ok:$nB" "Ctrl-C while QUIT is out: what landed is whole, nothing left the server"
rm -rf "$t/intquit"

# --- delete after N days, counted from the download
p --trace sync --delete-after 1 --store "$S2" "$U" 2>"$t/trace"; rc=$?
is "$rc:$(grep -c '^C: DELE' "$t/trace")" "0:0" "delete-after 1: nothing downloaded a day ago yet"
old=$(($(date +%s) - 2 * 86400))
awk -F'\t' -v OFS='\t' -v old="$old" '$1 == "m" && n < 10 { $8 = old; n++ } { print }' \
	"$S2/.pouch-index" > "$t/idx" && cat "$t/idx" > "$S2/.pouch-index"
p --trace sync --delete-after 1 --store "$S2" "$U" 2>"$t/trace"; rc=$?
is "$rc:$(grep -c '^C: DELE' "$t/trace")" "0:10" "delete-after 1: the ten downloaded two days ago are deleted"
is "$(pc stat | cut -d' ' -f1)" "$((nB - 10))" "delete-after 1: the server lost those ten"
"$dump" "$S2" > "$t/dump"
is "$(sed -n 's/^count //p' "$t/dump"):$(grep -c '^diag' "$t/dump")" "$nB:0" \
	"delete-after 1: all still in the store"
rm -rf "$S2"
dovecot_reset_mailbox


for policy in keep delete; do
	bad=0 mid=0 i=0 states=
	while [ $i -lt 24 ]; do
		K="$t/k-$policy-$i"
		opt=
		[ $policy = delete ] && { opt=--delete; dovecot_reset_mailbox; }
		case $policy:$i in
		delete:21) point='^C: DELE' ;;
		delete:22) point='^C: QUIT' ;;
		delete:23) point='^S: +OK Logging out' ;;
		*) point=$((1 + i * lines / 22)) ;;
		esac
		killsync "$K" "$point" $opt
		stored=$(ls "$K/new" 2>/dev/null | wc -l)
		pc uidl | cut -d' ' -f2 > "$t/left"
		onserver=$(wc -l < "$t/left")
		states="$states $stored/$onserver"
		[ "$stored" -gt 0 ] && [ "$stored" -lt "$nB" ] && mid=$((mid + 1))
		# After the kill: nothing damaged or doubled; under keep nothing
		# left the server, under delete every message that left is in the
		# store.
		cut -d' ' -f2 "$t/uidlB" | sort > "$t/all"
		sort "$t/left" | comm -23 "$t/all" - > "$t/must"
		r=$(check "$K" "$t/uidlB" "$t/sumsB" "$t/must")
		if [ "$r" != ok ] || { [ $policy = keep ] && [ "$onserver" != "$nB" ]; }; then
			bad=$((bad + 1))
			diag "$policy, point $i ($point): $r; $onserver on the server"
		fi
		# Another sync completes it.
		p sync $opt --store "$K" "$U" 2>"$t/err"; rc=$?
		r=$(check "$K" "$t/uidlB" "$t/sumsB")
		x=$(index_ok "$K")
		if [ "$rc" != 0 ] || [ "$r" != ok ] ||
		    [ "$x" != "files=$nB count=$nB diags=0 dupuids=0" ]; then
			bad=$((bad + 1))
			diag "$policy, point $i ($point), the sync after: exit $rc; $r; $x; $(cat "$t/err")"
		fi
		if [ $policy = delete ] && [ "$(pc stat | cut -d' ' -f1)" != 0 ]; then
			bad=$((bad + 1))
			diag "$policy, point $i: the sync after left messages on the server"
		fi
		rm -rf "$K"
		i=$((i + 1))
	done
	diag "$policy: stored/on the server after each kill:$states"
	is "$bad" 0 "$policy: 24 kills, each followed by a sync: nothing lost, nothing doubled, one copy each, the index consistent"
	[ "$mid" -ge 3 ]
	ok $? "$policy: at least 3 kills fell between two landings ($mid)"
done
dovecot_stop

# --- a connection dropped in the middle of RETR 2 (tests/lib/faultserver.py),
# then a sync against a sound server: each message once, identical.
FS="$top_srcdir/tests/lib/faultserver.py"
# fs_start SCENARIO: a fault server; sets $fs_url and $fs_pid.
fs_start() {
	rm -f "$t/port"
	"$PYTHON3" "$FS" --scenario "$1" --port-file "$t/port" --log "$t/fslog" --lifetime 30 </dev/null &
	fs_pid=$!
	i=0
	while [ ! -s "$t/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fs_url=pop3://u@127.0.0.1:$(cat "$t/port")
}
F2="$t/dropped"
fs_start drop-mid-retr
"$POUCH" --password-command 'echo x' sync --store "$F2" "$fs_url" 2>"$t/err"; rc=$?
wait "$fs_pid"
is "$rc" 5 "dropped connection: exit 5"
grep -q "nothing was deleted" "$t/err"
ok $? "dropped connection: nothing deleted"
is "$(ls "$F2/new" | grep -c ',U=uid-2')" 0 "dropped connection: no partial message 2"
fs_start normal
"$POUCH" --password-command 'echo x' --trace sync --store "$F2" "$fs_url" 2>"$t/trace"; rc=$?
wait "$fs_pid"
is "$rc" 0 "then a sound server: exit 0"
good=0
for n in 1 2 3; do
	f=$(ls "$F2/new" | grep ",U=uid-$n\$")
	[ "$(echo "$f" | grep -c .)" = 1 ] &&
		"$PYTHON3" "$FS" --scenario normal --print-message $n | cmp -s - "$F2/new/$f" &&
		good=$((good + 1))
done
is "$good" 3 "then a sound server: each of the 3 messages once, byte for byte"

# --- --delete, and QUIT after the DELEs gets no answer (the server commits
# them and hangs up): not "nothing was deleted", which may be false; every
# message's copy is in the store. QUIT refused under keep: nothing deleted.
F3="$t/dropquit"
rm -f "$t/fslog"
fs_start drop-quit
"$POUCH" --password-command 'echo x' sync --delete --store "$F3" "$fs_url" 2>"$t/err"; rc=$?
wait "$fs_pid"
is "$rc:$(ls "$F3/new" | wc -l):$(grep -c '^# committed: 1 2 3' "$t/fslog")" "5:3:1" \
	"QUIT lost after the DELEs: exit 5, all 3 in the store, the server committed them"
grep -q "^pouch: sync: QUIT went out after the DELEs and got no +OK: the server may have deleted them" "$t/err" &&
	! grep -q "nothing was deleted" "$t/err"
ok $? "QUIT lost after the DELEs: says the deletions are unknown, not that nothing was deleted"
rm -f "$t/fslog"
fs_start err-quit
"$POUCH" --password-command 'echo x' sync --store "$t/errquit" "$fs_url" 2>"$t/err"; rc=$?
wait "$fs_pid"
is "$rc:$(ls "$t/errquit/new" | wc -l):$(grep -c "^DELE" "$t/fslog")" "1:3:0" \
	"keep, QUIT refused: exit 1, all 3 in the store, no DELE"
grep -q "^pouch: sync: QUIT: the server said -ERR some deleted messages not removed" "$t/err" &&
	grep -q "nothing was deleted" "$t/err"
ok $? "keep, QUIT refused: says so, and that nothing was deleted"

# --- CAPA EXPIRE and LOGIN-DELAY (RFC 2449): a small server that offers them.
cat > "$t/capa.py" <<'EOF'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
log = open(sys.argv[2], "a")
msg = b"From: a@example.org\r\nSubject: expiring\r\n\r\nbody\r\n"
s.settimeout(20)
for _ in range(int(sys.argv[3])):
    try:
        c, _a = s.accept()
    except socket.timeout:
        break
    log.write("connection\n"); log.flush()
    f = c.makefile("rb")
    c.sendall(b"+OK ready\r\n")
    for line in f:
        cmd = line.strip().split(b" ")[0].upper()
        if cmd == b"CAPA":
            c.sendall(b"+OK\r\nUSER\r\nUIDL\r\nEXPIRE 30\r\nLOGIN-DELAY 900\r\n.\r\n")
        elif cmd == b"UIDL":
            c.sendall(b"+OK\r\n1 only-one\r\n.\r\n")
        elif cmd == b"LIST":
            c.sendall(b"+OK\r\n1 %d\r\n.\r\n" % len(msg))
        elif cmd == b"RETR":
            c.sendall(b"+OK\r\n" + msg + b".\r\n")
        elif cmd == b"QUIT":
            c.sendall(b"+OK bye\r\n")
            break
        else:
            c.sendall(b"+OK\r\n")
    c.close()
EOF
rm -f "$t/port"
: > "$t/capalog"
"$PYTHON3" "$t/capa.py" "$t/port" "$t/capalog" 2 </dev/null &
cp_pid=$!
i=0
while [ ! -s "$t/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
C="$t/capa-store"
"$POUCH" --password-command 'echo x' sync --store "$C" "pop3://u@127.0.0.1:$(cat "$t/port")" 2>"$t/err"; rc=$?
is "$rc" 0 "EXPIRE, LOGIN-DELAY: the sync works"
grep -q "the server deletes messages 30 days after retrieval (CAPA EXPIRE 30)" "$t/err"
ok $? "EXPIRE 30 is shown"
grep -q "the server allows one login every 900 s (CAPA LOGIN-DELAY 900)" "$t/err"
ok $? "LOGIN-DELAY 900 is shown"
"$POUCH" --password-command 'echo x' sync --store "$C" "pop3://u@127.0.0.1:$(cat "$t/port")" 2>"$t/err"; rc=$?
is "$rc" 1 "LOGIN-DELAY: a second sync at once is refused (exit 1)"
grep -q "allows one login every 900 s (CAPA LOGIN-DELAY); the last was [0-9]* s ago: try again in" "$t/err"
ok $? "LOGIN-DELAY: says when to try again"
is "$(grep -c connection "$t/capalog")" 1 "LOGIN-DELAY: no second connection was made"
kill "$cp_pid" 2>/dev/null
wait "$cp_pid" 2>/dev/null
done_testing
