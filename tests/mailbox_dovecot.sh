# mailbox_dovecot.sh: the test infrastructure itself. scripts/gen-mailbox is
# deterministic and its manifest predicts exactly what Dovecot serves (STAT,
# LIST, UIDL, RETR bytes, TOP n 0); tests/lib/dovecot.sh starts, resets and
# stops a private Dovecot (plain and TLS). Checked with Python's poplib
# (tests/lib/popcheck.py), independently of pouch.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require

gen=$top_srcdir/scripts/gen-mailbox
pc() { "$PYTHON3" "$top_srcdir/tests/lib/popcheck.py" "$@"; }
t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-mbtest.XXXXXX") || exit 1
at_exit "rm -rf '$t'"

# 1. gen-mailbox: deterministic, quiet, 40 messages, 41 with the large one.
out=$("$PYTHON3" "$gen" --no-large --manifest "$t/m1" "$t/mb1" 2>&1)
is "$out" "" "gen-mailbox prints nothing"
"$PYTHON3" "$gen" --no-large --manifest "$t/m2" "$t/mb2"
cmp -s "$t/m1" "$t/m2"
ok $? "two runs give the same manifest"
diff -r "$t/mb1" "$t/mb2" >/dev/null
ok $? "two runs give the same Maildir"
is "$(wc -l < "$t/m1" | tr -d ' ')" 40 "40 messages without --no-large"
is "$(ls "$t/mb1/cur" | wc -l | tr -d ' ')" 40 "40 files in cur/"
is "$(ls "$t/mb1/new" "$t/mb1/tmp" | grep -c -v -e '^$' -e ':$')" 0 "new/ and tmp/ empty"
! grep -q "$(printf '\r')" "$t"/mb1/cur/*
ok $? "no CR in any message file"
"$PYTHON3" "$gen" --manifest "$t/m3" "$t/mb3"
is "$(wc -l < "$t/m3" | tr -d ' ')" 41 "41 messages with the large one"
head -40 "$t/m3" | cmp -s - "$t/m1"
ok $? "messages 1..40 identical with and without --no-large"
big=$(sed -n '41p' "$t/m3" | cut -d' ' -f2)
[ "$big" -gt 20971520 ]
ok $? "message 41 is over 20 MB ($big octets)"
# The manifest's size and hash are of the file with CRLF line ends.
f=$(sed -n '16p' "$t/m1" | cut -d' ' -f4)
want=$(sed -n '16p' "$t/m1" | cut -d' ' -f2,3)
got=$(sed 's/$/\r/' "$t/mb1/cur/$f" | "$PYTHON3" -c 'import sys,hashlib
d=sys.stdin.buffer.read(); print(len(d), hashlib.sha256(d).hexdigest())')
is "$got" "$want" "manifest size and sha256 are of the CRLF bytes"
grep -q '^\.$' "$t/mb1/cur/$f" && grep -q '^\.\.$' "$t/mb1/cur/$f"
ok $? "message 16 has a line '.' and a line '..'"
rm -rf "$t/mb3" "$t/m3"

"$PYTHON3" "$gen" --bulk 30 --avg-size 20000 --manifest "$t/b1" "$t/bulk1"
"$PYTHON3" "$gen" --bulk 30 --avg-size 20000 --manifest "$t/b2" "$t/bulk2"
cmp -s "$t/b1" "$t/b2"
ok $? "bulk mode is deterministic"
total=$(awk '{s += $2} END {print s}' "$t/b1")
[ "$(wc -l < "$t/b1")" -eq 30 ] && [ "$total" -gt 480000 ] && [ "$total" -lt 720000 ]
ok $? "bulk: 30 messages, about 600000 octets in all ($total)"
"$PYTHON3" "$gen" --no-large "$t/mb1" 2>/dev/null
ok $(( $? == 0 )) "refuses to write into a Maildir that holds messages"

# 2. Dovecot serves exactly what the manifest says.
dovecot_start --maildir "$t/mb1" || { ok 1 "dovecot_start"; done_testing; }
ok 0 "dovecot_start (port $DOVECOT_PORT)"
P="127.0.0.1 $DOVECOT_PORT alice $DOVECOT_PASS"
count=$(wc -l < "$t/m1" | tr -d ' ')
octets=$(awk '{s += $2} END {print s}' "$t/m1")
is "$(pc $P stat)" "$count $octets" "STAT = manifest count and CRLF octets"
is "$(pc $P list)" "$(cut -d' ' -f1,2 "$t/m1")" "LIST = manifest sizes"
is "$(pc $P uidl)" "$(awk '{printf "%d %08x%08x\n", $1, $1, 1700000000}' "$t/m1")" \
	"UIDL = %08x(N)%08x(1700000000)"
is "$(pc $P sums)" "$(cut -d' ' -f1-3 "$t/m1")" \
	"RETR 1..40: every message's length and sha256 match the manifest"
f=$(sed -n '16p' "$t/m1" | cut -d' ' -f4)
pc $P top 16 0 > "$t/top16"
sed '/^$/q' "$t/mb1/cur/$f" | sed 's/$/\r/' > "$t/top16.want"
cmp -s "$t/top16" "$t/top16.want"
ok $? "TOP 16 0 = the header section and the blank line, CRLF"
pc $P retr 16 | tail -n 3 > "$t/tail16"
printf ' . (space then dot)\r\n\r\n.\r\n' | cmp -s - "$t/tail16"
ok $? "RETR 16 ends with the lone-dot line, unstuffed"

pc $P dele 2 -- rset >/dev/null
is "$(pc $P stat)" "$count $octets" "DELE + RSET + QUIT deletes nothing"
pc $P dele 2 -- noquit >/dev/null
is "$(pc $P stat)" "$count $octets" "DELE without QUIT deletes nothing"
pc $P dele 2 >/dev/null
s2=$(sed -n '2p' "$t/m1" | cut -d' ' -f2)
is "$(pc $P stat)" "$((count - 1)) $((octets - s2))" "DELE 2 + QUIT deletes message 2"
is "$(dovecot_maildir_count)" 39 "and it is gone from the disk"
# Dovecot renames a file when RETR sets its \Seen flag: compare base names.
is "$(ls "$DOVECOT_MAILDIR/cur" | sed 's/:2,.*//' | sort | tr '\n' ' ')" \
	"$(cut -d' ' -f4 "$t/m1" | sed '2d; s/:2,.*//' | sort | tr '\n' ' ')" \
	"the file of message 2 is the one removed"
dovecot_reset_mailbox
is "$(pc $P stat)" "$count $octets" "dovecot_reset_mailbox restores all 40"
is "$(pc $P uidl 2>/dev/null | sed -n 2p)" "2 00000002$(printf %08x 1700000000)" \
	"and their UIDLs"
pid=$DOVECOT_PID
kill -0 "$pid"
ok $? "Dovecot runs as PID $pid"
dir=$DOVECOT_DIR
dovecot_stop
kill -0 "$pid" 2>/dev/null
ok $(( $? == 0 )) "dovecot_stop stopped PID $pid"
[ ! -e "$dir" ]
ok $? "and removed its directory"

# 3. TLS: pop3s with a throwaway CA, refused without it.
dovecot_start --ssl --maildir "$t/mb1" || { ok 1 "dovecot_start --ssl"; done_testing; }
ok 0 "dovecot_start --ssl (ports $DOVECOT_PORT, $DOVECOT_PORT_SSL)"
P="127.0.0.1 $DOVECOT_PORT alice $DOVECOT_PASS"
is "$(pc --ssl --cafile "$DOVECOT_CA" 127.0.0.1 "$DOVECOT_PORT_SSL" alice "$DOVECOT_PASS" stat)" \
	"$count $octets" "pop3s with --cafile: STAT"
pc --ssl 127.0.0.1 "$DOVECOT_PORT_SSL" alice "$DOVECOT_PASS" stat >/dev/null 2>&1
ok $(( $? == 0 )) "pop3s without the CA fails"
pc $P capa | grep -qx STLS
ok $? "the plain port offers STLS"
dovecot_stop

# The bulk mailbox (benchmarks) is served as its manifest says, too.
dovecot_start --maildir "$t/bulk1" || { ok 1 "dovecot_start (bulk)"; done_testing; }
P="127.0.0.1 $DOVECOT_PORT alice $DOVECOT_PASS"
is "$(pc $P stat)" "30 $(awk '{s += $2} END {print s}' "$t/b1")" "bulk: STAT = manifest"
is "$(pc $P sums)" "$(cut -d' ' -f1-3 "$t/b1")" "bulk: RETR 1..30 = manifest (length, sha256)"
dovecot_stop

# 4. The command-line form for scripts.
env=$(sh "$top_srcdir/tests/lib/dovecot.sh" start --maildir "$t/mb1")
ok $? "dovecot.sh start"
eval "$env"
at_exit "sh '$top_srcdir/tests/lib/dovecot.sh' stop '$DOVECOT_DIR'"
is "$(pc 127.0.0.1 "$DOVECOT_PORT" alice "$DOVECOT_PASS" stat)" "$count $octets" \
	"served by the command-line start"
pid=$DOVECOT_PID
sh "$top_srcdir/tests/lib/dovecot.sh" stop "$DOVECOT_DIR"
ok $? "dovecot.sh stop"
kill -0 "$pid" 2>/dev/null
ok $(( $? == 0 )) "stopped PID $pid"

done_testing
