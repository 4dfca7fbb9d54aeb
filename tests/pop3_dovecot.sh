# pop3_dovecot.sh: every POP3 command of pouch's CLI against a private
# Dovecot serving the 40-message demo mailbox (scripts/gen-mailbox
# --no-large). Expected values come from the generator's manifest, checked
# against Dovecot by tests/mailbox_dovecot.sh; results of pouch's sessions
# are checked from a second, independent session (tests/lib/popcheck.py)
# and on disk.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-p3.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large --manifest "$t/man" "$t/mb" ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
dovecot_start --maildir "$t/mb" || { echo "Bail out! dovecot_start failed"; exit 1; }

U=$POUCH_URL
pw="$DOVECOT_PASS"
# pouch with the password from a command, state kept in the test's dir.
p() { "$POUCH" --password-command "echo $pw" --state-dir "$t/state" "$@"; }
pc() { "$PYTHON3" "$top_srcdir/tests/lib/popcheck.py" 127.0.0.1 "$DOVECOT_PORT" alice "$pw" "$@"; }
sums() { "$PYTHON3" -c 'import sys, hashlib
for f in sys.argv[1:]:
    d = open(f, "rb").read()
    print(len(d), hashlib.sha256(d).hexdigest())' "$@"; }
man() { sed -n "${1}p" "$t/man" | cut -d' ' -f"$2"; }
crlf() { sed 's/$/\r/' "$t/mb/cur/$(man "$1" 4)"; }

count=40
octets=$(awk '{s += $2} END {print s}' "$t/man")
all_stat="$count $octets"

# --- STAT, LIST, UIDL, CAPA, NOOP
out=$(p "$U" stat 2>"$t/err"); rc=$?
is "$rc" 0 "stat: exit 0"
is "$out" "$all_stat" "stat: COUNT OCTETS from the manifest"
p "$U" stat > "$t/out" 2>/dev/null
printf '%s\n' "$all_stat" | cmp -s - "$t/out"
ok $? "stat: one line ending in LF"
is "$(p "$U" list 2>&1)" "$(cut -d' ' -f1,2 "$t/man")" "list: N SIZE for all 40"
is "$(p "$U" list 7 2>&1)" "7 $(man 7 2)" "list 7"
is "$(p "$U" list 40 2>&1)" "40 $(man 40 2)" "list 40"
p "$U" list 41 >"$t/out" 2>"$t/err"; rc=$?
is "$rc" 1 "list 41: exit 1"
is "$(cat "$t/out")" "" "list 41: nothing on stdout"
grep -q -- '-ERR' "$t/err"
ok $? "list 41: the server's -ERR on stderr"
is "$(p "$U" uidl 2>&1)" "$(awk '{printf "%d %08x%08x\n", $1, $1, 1700000000}' "$t/man")" \
	"uidl: N UID for all 40"
is "$(p "$U" uidl 5 2>&1)" "5 $(printf '%08x%08x' 5 1700000000)" "uidl 5"
is "$(p "$U" capa 2>&1)" "$(pc stat -- capa | sed 1d)" "capa: Dovecot's capability lines after login"
p "$U" capa > "$t/out" 2>/dev/null
! grep -q "$(printf '\r')" "$t/out" && [ "$(tail -c 1 "$t/out" | od -An -c | tr -d ' ')" = '\n' ]
ok $? "capa: lines end in LF, no CR"
out=$(p "$U" noop 2>&1); rc=$?
is "$rc:$out" "0:" "noop: exit 0, no output"
out=$(p "$U" stat -- quit 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "stat -- quit: exit 0"
out=$(p "$U" stat -- list 3 -- uidl 3 -- noop 2>&1); rc=$?
is "$rc" 0 "four commands in one session: exit 0"
is "$out" "$(printf '%s\n%s\n%s' "$all_stat" "3 $(man 3 2)" "3 $(printf '%08x%08x' 3 1700000000)")" \
	"four commands in one session: outputs in order"

# --- TOP
p "$U" top 16 0 > "$t/out" 2>"$t/err"; rc=$?
is "$rc" 0 "top 16 0: exit 0"
crlf 16 | sed '/^\r$/q' > "$t/want"
cmp -s "$t/out" "$t/want"
ok $? "top 16 0: exactly the header section and the blank line, CRLF"
p "$U" top 16 4 > "$t/out" 2>/dev/null
crlf 16 | awk 'b { n++ } n > 4 { exit } { print } /^\r$/ { b = 1 }' > "$t/want"
cmp -s "$t/out" "$t/want"
ok $? "top 16 4: headers + 4 body lines, dot-unstuffed ('.hidden', '..double dot', '...three dots')"
p "$U" top 33 5 > "$t/out" 2>/dev/null
crlf 33 | cmp -s - "$t/out"
ok $? "top 33 5 of a message with an empty body: the whole message"

# --- RETR to stdout
for n in 1 3 16 24 33 40; do
	p "$U" retr $n > "$t/out" 2>"$t/err"; rc=$?
	is "$rc:$(sums "$t/out")" "0:$(man $n 2) $(man $n 3)" \
		"retr $n: exit 0, length and sha256 of the manifest"
done
p "$U" retr 16 > "$t/out" 2>/dev/null
crlf 16 | cmp -s - "$t/out"
ok $? "retr 16 (lines '.', '..', '.hidden'): byte for byte"
p "$U" retr 6 -- retr 16 > "$t/out" 2>/dev/null
{ crlf 6; crlf 16; } | cmp -s - "$t/out"
ok $? "retr 6 -- retr 16: both messages in order on stdout"

# --- RETR with -o
mkdir "$t/o1"
p -o "$t/o1" "$U" retr 1-40 >"$t/out" 2>"$t/err"; rc=$?
is "$rc" 0 "retr 1-40 -o DIR: exit 0"
is "$(cat "$t/out")" "" "retr 1-40 -o DIR: nothing on stdout"
is "$(ls "$t/o1" | sort -n | tr '\n' ' ')" "$(seq 1 40 | sed 's/$/.eml/' | tr '\n' ' ')" \
	"retr 1-40 -o DIR: files 1.eml .. 40.eml and nothing else"
bad=0
n=1
while [ $n -le 40 ]; do
	[ "$(sums "$t/o1/$n.eml")" = "$(man $n 2) $(man $n 3)" ] ||
		{ bad=$((bad + 1)); diag "$n.eml differs from the manifest"; }
	n=$((n + 1))
done
is "$bad" 0 "retr 1-40 -o DIR: every file matches the manifest (length, sha256)"
cp "$t/o1/3.eml" "$t/3.keep"
echo "not a message" > "$t/o1/3.eml"
p -o "$t/o1" "$U" retr 3 >/dev/null 2>"$t/err"; rc=$?
is "$rc" 7 "retr 3 -o DIR where 3.eml exists: exit 7"
is "$(cat "$t/o1/3.eml")" "not a message" "and 3.eml is not overwritten"
mkdir "$t/o2" "$t/o3"
p -o "$t/o2" "$U" retr 1,5 >/dev/null 2>&1
is "$(ls "$t/o2" | sort -n | tr '\n' ' ')" "1.eml 5.eml " "retr 1,5 -o DIR: 1.eml and 5.eml"
p -o "$t/o3" "$U" retr 1-3,7 >/dev/null 2>&1
is "$(ls "$t/o3" | sort -n | tr '\n' ' ')" "1.eml 2.eml 3.eml 7.eml " "retr 1-3,7 -o DIR: 1, 2, 3, 7"
cmp -s "$t/o3/7.eml" "$t/o1/7.eml"
ok $? "retr 1-3,7: 7.eml same bytes"

# --- DELE, RSET, QUIT
out=$(p "$U" dele 2 -- rset 2>&1); rc=$?
is "$rc:$out" "0:" "dele 2 -- rset: exit 0, no output"
is "$(pc stat)" "$all_stat" "dele 2 -- rset: a second session still sees 40"
is "$(dovecot_maildir_count)" 40 "dele 2 -- rset: 40 files on disk"
out=$(p "$U" dele 2 -- rset -- stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "dele 2 -- rset -- stat: 40 after RSET in the same session"
is "$(pc stat)" "$all_stat" "dele 2 -- rset -- stat: nothing deleted"
out=$(p "$U" dele 2 -- stat 2>&1); rc=$?
is "$rc:$out" "0:$((count - 1)) $((octets - $(man 2 2)))" "dele 2 -- stat: 39 in the session"
is "$(pc stat)" "$((count - 1)) $((octets - $(man 2 2)))" "dele 2 then QUIT: a second session sees 39"
is "$(dovecot_maildir_count)" 39 "dele 2 then QUIT: 39 files on disk"
# Dovecot renames a file when RETR sets its \Seen flag: compare base names.
is "$(ls "$DOVECOT_MAILDIR/cur" | sed 's/:2,.*//' | sort | tr '\n' ' ')" \
	"$(cut -d' ' -f4 "$t/man" | sed '2d; s/:2,.*//' | sort | tr '\n' ' ')" \
	"dele 2: exactly message 2's file is gone"
dovecot_reset_mailbox
out=$(p "$U" dele 3 5 40 2>&1); rc=$?
is "$rc:$out" "0:" "dele 3 5 40: exit 0"
is "$(pc uidl | cut -d' ' -f2 | tr '\n' ' ')" \
	"$(seq 1 40 | grep -v -x -e 3 -e 5 -e 40 | awk '{printf "%08x%08x ", $1, 1700000000}')" \
	"dele 3 5 40: exactly those three are gone (UIDLs of the rest)"
dovecot_reset_mailbox
out=$(p "$U" dele 1 -- list -- rset 2>&1); rc=$?
is "$rc:$out" "0:$(sed 1d "$t/man" | cut -d' ' -f1,2)" "dele 1 -- list -- rset: LIST leaves message 1 out"
# shellcheck disable=SC2046
out=$(p "$U" dele $(seq 1 40) -- stat -- rset -- stat 2>&1); rc=$?
is "$rc:$out" "0:0 0
$all_stat" "dele 1..40 -- stat -- rset -- stat: '0 0', then 40"
for c in list uidl; do
	# shellcheck disable=SC2046
	p "$U" dele $(seq 1 40) -- $c -- rset >"$t/out" 2>"$t/err"; rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$t/out" ] && [ ! -s "$t/err" ]
	ok $? "dele 1..40 -- $c -- rset: exit 0 (got $rc), no output, nothing on stderr"
	head -2 "$t/err" | sed 's/^/# /'
done
is "$(pc stat)" "$all_stat" "and nothing was deleted"
p "$U" top 16 1000 > "$t/out" 2>/dev/null
crlf 16 | cmp -s - "$t/out"
ok $? "top 16 1000: the whole message"

# --- -ERR: exit 1, server text, nothing deleted
p "$U" retr 999 >"$t/out" 2>"$t/err"; rc=$?
is "$rc" 1 "retr 999: exit 1"
is "$(cat "$t/out")" "" "retr 999: nothing on stdout"
grep -qx "pouch: RETR 999: server said: -ERR There's no message 999." "$t/err"
ok $? "retr 999: 'pouch: RETR 999: server said: -ERR There's no message 999.' on stderr"
p "$U" dele 1 -- retr 999 -- dele 4 >"$t/out" 2>"$t/err"; rc=$?
is "$rc" 1 "dele 1 -- retr 999 -- dele 4: exit 1"
grep -qx "pouch: nothing was deleted" "$t/err"
ok $? "dele 1 -- retr 999: 'pouch: nothing was deleted'"
is "$(pc stat)" "$all_stat" "dele 1 -- retr 999: a second session still sees 40"
p --trace "$U" dele 1 -- retr 999 -- dele 4 >/dev/null 2>"$t/trace"
e=$(grep -n -x "S: -ERR There's no message 999." "$t/trace" | head -1 | cut -d: -f1)
r=$(grep -n -x 'C: RSET' "$t/trace" | tail -1 | cut -d: -f1)
q=$(grep -n -x 'C: QUIT' "$t/trace" | tail -1 | cut -d: -f1)
[ -n "$e" ] && [ -n "$r" ] && [ -n "$q" ] && [ "$e" -lt "$r" ] && [ "$r" -lt "$q" ]
ok $? "dele 1 -- retr 999: the trace shows the -ERR, then C: RSET, then C: QUIT"
is "$(dovecot_maildir_count)" 40 "dele 1 -- retr 999: 40 files on disk"
p "$U" dele 41 >/dev/null 2>"$t/err"; rc=$?
is "$rc" 1 "dele 41: exit 1"
p "$U" top 999 0 >/dev/null 2>&1; rc=$?
is "$rc" 1 "top 999 0: exit 1"
p "$U" frobnicate >/dev/null 2>&1; rc=$?
is "$rc" 2 "an unknown command: exit 2"
p "$U" retr >/dev/null 2>&1; rc=$?
is "$rc" 2 "retr without a number: exit 2"
dead=$(dovecot_free_port)
p "pop3://alice@127.0.0.1:$dead" stat -- bogus >/dev/null 2>&1; rc=$?
is "$rc" 2 "stat -- bogus: exit 2 before connecting (nothing listens there)"

# --- LAST, from pouch's record (Dovecot has no LAST)
p() { "$POUCH" --password-command "echo $pw" --state-dir "$t/last" "$@"; }
out=$(p "$U" last 2>"$t/err"); rc=$?
is "$rc:$out" "0:0" "last before any retr: 0"
grep -q "^pouch: LAST: answered from pouch's record (the server said: -ERR " "$t/err"
ok $? "last: stderr says it is pouch's record and quotes the server's -ERR"
p "$U" retr 3 -- retr 5 >/dev/null 2>&1
is "$(p "$U" last 2>/dev/null)" 5 "retr 3 -- retr 5, then last in a new session: 5"
p "$U" retr 7 -- rset >/dev/null 2>&1
is "$(p "$U" last 2>/dev/null)" 5 "retr 7 -- rset: RSET forgets this session's retrievals"
p "$U" retr 9 -- retr 999 >/dev/null 2>&1
is "$(p "$U" last 2>/dev/null)" 5 "retr 9 -- retr 999 (failed run): not recorded"
p "$U" retr 2 >/dev/null 2>&1
is "$(p "$U" last 2>/dev/null)" 5 "retr 2 after 5: still 5 (the highest)"
p "$U" retr 8 >/dev/null 2>&1
is "$(p "$U" last 2>/dev/null)" 8 "retr 8: 8"
pc dele 1 >/dev/null
is "$(p "$U" last 2>/dev/null)" 7 "message 1 deleted by another client: the record follows UIDL (8 is now 7)"
p -q "$U" last >"$t/out" 2>"$t/err"
is "$(cat "$t/out"):$(cat "$t/err")" "7:" "last -q: the number, no note on stderr"
p -q "$U" retr 999 >/dev/null 2>"$t/err"
grep -q -x "pouch: RETR 999: server said: -ERR There's no message 999." "$t/err"
ok $? "-q retr 999: the error is still on stderr"
p --state-dir "$t/state2" "$U" last >"$t/out" 2>/dev/null
is "$(cat "$t/out")" 0 "another --state-dir has its own record: 0"
dovecot_reset_mailbox
p() { "$POUCH" --password-command "echo $pw" --state-dir "$t/state" "$@"; }

# --- --trace
p --auth USER --trace "$U" stat >"$t/out" 2>"$t/trace"; rc=$?
is "$rc:$(cat "$t/out")" "0:$all_stat" "--trace stat: exit 0, stdout unchanged"
grep -qx 'C: STAT' "$t/trace"
ok $? "--trace: 'C: STAT'"
grep -qx "S: +OK $all_stat" "$t/trace"
ok $? "--trace: 'S: +OK $all_stat'"
grep -qx 'C: USER alice' "$t/trace"
ok $? "--trace: 'C: USER alice'"
grep -qx 'C: PASS \*\*\*\*\*\*\*\*' "$t/trace"
ok $? "--trace: 'C: PASS ********'"
grep -q '^S: +OK Dovecot' "$t/trace"
ok $? "--trace: the greeting as 'S: +OK Dovecot ...'"
grep -qx 'C: QUIT' "$t/trace"
ok $? "--trace: 'C: QUIT'"
bad=$(grep -v -c -E '^(C|S|\*): ' "$t/trace")
is "$bad" 0 "--trace: every line starts with C:, S: or *:"
p --trace "$U" retr 6 -- retr 16 -- dele 1 -- rset >/dev/null 2>>"$t/trace"
p --trace "$U" stat >/dev/null 2>>"$t/trace"
grep -q -F "$pw" "$t/trace"
ok $(( $? == 0 )) "--trace (USER, PLAIN, retr, dele): the password appears nowhere"
b64=$(printf '\000alice\000%s' "$pw" | base64 | tr -d '\n')
grep -q -F "$b64" "$t/trace"
ok $(( $? == 0 )) "--trace: the base64 AUTH PLAIN payload appears nowhere"
lines=$(wc -l < "$t/mb/cur/$(man 6 4)")
more=$(tail -n +21 "$t/mb/cur/$(man 6 4)" | sed 's/$/\r/' | wc -c | tr -d ' ')
grep -qx "S: \[\.\.\. $((lines - 20)) more lines, $more octets \.\.\.\]" "$t/trace"
ok $? "--trace retr 6: 20 lines then 'S: [... $((lines - 20)) more lines, $more octets ...]'"
# With pipelining the C: lines come first; a reply runs from its status
# line to the first 'S: .'.
sed -n "/^S: +OK $(man 6 2) octets\$/,/^S: \.\$/p" "$t/trace" > "$t/tr6"
is "$(grep -c '^S: ' "$t/tr6"):$(grep -c -v '^S: ' "$t/tr6")" 23:0 \
	"--trace retr 6: status + 20 lines + note + '.', nothing between"
# Message 16 has 22 lines; its 5th is ".", sent as ".." on the wire.
awk -v st="S: +OK $(man 16 2) octets" '$0 == st { go = 1; next }
	go && /^S: \[\.\.\./ { exit } go { print }' "$t/trace" > "$t/tr16"
head -20 "$t/mb/cur/$(man 16 4)" | sed 's/^\./../; s/^/S: /' > "$t/tr16.wire"
cmp -s "$t/tr16" "$t/tr16.wire"
ok $? "--trace retr 16: its first 20 lines as on the wire (dot-stuffed), one 'S: ' line each"
n=$(sed -n "/^S: +OK $(man 16 2) octets\$/,/^C: /p" "$t/trace" | grep -c -x 'S: \.')
is "$n" 1 "--trace retr 16: one 'S: .' line; the body line '.' does not look like the end of the reply"
p --trace "$U" stat -- list 1 >/dev/null 2>"$t/trace"
a=$(grep -n -x "S: +OK $all_stat" "$t/trace" | cut -d: -f1)
b=$(grep -n -x 'C: LIST 1' "$t/trace" | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$b" -lt "$a" ]
ok $? "pipelining (Dovecot lists PIPELINING): LIST 1 is sent before STAT's reply"
p --no-pipelining --trace "$U" stat -- list 1 >/dev/null 2>"$t/trace"
a=$(grep -n -x "S: +OK $all_stat" "$t/trace" | cut -d: -f1)
b=$(grep -n -x 'C: LIST 1' "$t/trace" | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
ok $? "--no-pipelining: LIST 1 is sent after STAT's reply"
# retr of several messages: the LIST for the integrity check is pipelined
# ahead of the RETRs, not waited for (one round trip less).
rm -rf "$t/o3"
p --trace -o "$t/o3" "$U" retr 2-4 >/dev/null 2>"$t/trace"
rc=$?
a=$(grep -n -x "S: +OK $count messages:" "$t/trace" | cut -d: -f1)
b=$(grep -n -x 'C: LIST' "$t/trace" | cut -d: -f1)
c=$(grep -n -x 'C: RETR 2' "$t/trace" | cut -d: -f1)
[ "$rc" = 0 ] && [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ "$b" -lt "$c" ] && [ "$c" -lt "$a" ]
ok $? "retr 2-4 -o: LIST, then RETR 2 before LIST's reply (pipelined)"
is "$(sums "$t/o3/2.eml" "$t/o3/3.eml" "$t/o3/4.eml")" \
	"$(for i in 2 3 4; do crlf $i > "$t/want$i"; done; sums "$t/want2" "$t/want3" "$t/want4")" \
	"retr 2-4 -o with LIST pipelined: the three messages byte for byte"

# --- the password never in pouch's argv
printf '%s\n' "$pw" > "$t/pwfile"
"$POUCH" --password-command "sleep 1; cat '$t/pwfile'" --state-dir "$t/state" "$U" stat \
	>"$t/out" 2>/dev/null &
ppid=$!
i=0
found=1
while [ $i -lt 40 ] && kill -0 $ppid 2>/dev/null; do
	if [ -r /proc/$ppid/cmdline ]; then
		tr '\0' ' ' < /proc/$ppid/cmdline | grep -q -F "$pw"
		found=$?
		[ $found -eq 0 ] && break
	fi
	sleep 0.05
	i=$((i + 1))
done
wait $ppid
rc=$?
is "$rc:$(cat "$t/out")" "0:$all_stat" "--password-command reading a file: works"
ok $(( found == 0 )) "the password is not in /proc/PID/cmdline of the running pouch"

nfiles=$(find "$t/state" "$t/last" -type f 2>/dev/null | wc -l)
[ "$nfiles" -gt 0 ] && ! grep -r -q -F "$pw" "$t/state" "$t/last"
ok $? "the password is in none of pouch's $nfiles state files"

# --- netrc
printf 'machine 127.0.0.1 login alice password %s\n' "$pw" > "$t/netrc"
chmod 600 "$t/netrc"
out=$("$POUCH" --netrc-file "$t/netrc" --state-dir "$t/state" "$U" stat 2>"$t/err"); rc=$?
is "$rc:$out" "0:$all_stat" "--netrc-file: stat"
printf 'machine 127.0.0.1 login alice password wrong-%s\n' "$pw" > "$t/netrc-bad"
chmod 600 "$t/netrc-bad"
"$POUCH" --netrc-file "$t/netrc-bad" --state-dir "$t/state" "$U" stat >/dev/null 2>&1; rc=$?
is "$rc" 3 "--netrc-file with a wrong password: exit 3"
printf 'machine 127.0.0.1 login alice password %s\n' "$pw" > "$t/netrc2"
chmod 600 "$t/netrc2"
out=$("$POUCH" --netrc-file "$t/netrc2" --state-dir "$t/state" \
	"pop3://127.0.0.1:$DOVECOT_PORT" stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "--netrc-file supplies the login name too (no user@ in the URL)"

out=$(p -u alice "pop3://127.0.0.1:$DOVECOT_PORT" stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "-u alice with a URL without user@: stat"
p -u bob "pop3://127.0.0.1:$DOVECOT_PORT" stat >/dev/null 2>&1; rc=$?
is "$rc" 3 "-u bob (no such user): exit 3"

# --- network failure
"$POUCH" --password-command "echo $pw" --state-dir "$t/state" --timeout 5 \
	"pop3://alice@127.0.0.1:$dead" stat >/dev/null 2>"$t/err"; rc=$?
is "$rc" 5 "nothing listening: exit 5"

done_testing
