# pop3_auth.sh: login methods against a private Dovecot that offers APOP and
# SASL PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256: --auth picks
# the method (Dovecot's log names the one used), the trace shows it with
# every secret masked, a wrong password fails with exit 3, and a method the
# server does not offer is not tried.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-auth.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large --manifest "$t/man" "$t/mb" ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
all_stat="40 $(awk '{s += $2} END {print s}' "$t/man")"
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
b64() { printf "$1" | base64 | tr -d '\n'; }
# No trace line may hold the password, nor any base64 form of a payload
# built from it.
secrets_absent() {
	! grep -q -F -e "$pw" -e "$(b64 "\\000alice\\000$pw")" -e "$(b64 "$pw")" \
		-e "$(b64 "alice\\000$pw")" "$1"
}

dovecot_start --apop --mechs "plain login cram-md5 scram-sha-1 scram-sha-256" \
	--maildir "$t/mb" || { echo "Bail out! dovecot_start failed"; exit 1; }
pw=$DOVECOT_PASS
p() { "$POUCH" --password-command "echo $pw" --state-dir "$t/state" --timeout 10 "$@"; }
logins=0

for mech in USER APOP PLAIN LOGIN CRAM-MD5; do
	p --auth $mech --trace "$POUCH_URL" stat >"$t/out" 2>"$t/trace.$mech"; rc=$?
	is "$rc:$(cat "$t/out")" "0:$all_stat" "--auth $mech: stat"
	logins=$((logins + 1))
	want=$mech
	[ $mech = USER ] && want=PLAIN    # Dovecot logs USER/PASS as PLAIN
	dovecot_log_wait 'Login: user=<alice>' $logins
	is "$(grep 'Login: user=<alice>' "$DOVECOT_LOG" | tail -1 | sed -n 's/.*method=\([A-Z0-9-]*\).*/\1/p')" \
		"$want" "--auth $mech: Dovecot logged method=$want"
	secrets_absent "$t/trace.$mech"
	ok $? "--auth $mech: neither the password nor a base64 payload of it in the trace"
done

tr=$t/trace.USER
grep -qx 'C: USER alice' "$tr" && grep -qx 'C: PASS \*\*\*\*\*\*\*\*' "$tr"
ok $? "USER: trace has 'C: USER alice' and 'C: PASS ********'"
a=$(grep -n -x 'S: +OK Logged in.' "$tr" | cut -d: -f1)
b=$(grep -n '^\*: logged in' "$tr" | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
ok $? "USER: the note '*: logged in' follows 'S: +OK Logged in.'"

tr=$t/trace.APOP
ts=$(sed -n 's/^S: +OK .*\(<[^>]*>\)$/\1/p' "$tr" | head -1)
line=$(grep '^C: APOP ' "$tr")
digest=$(printf '%s%s' "$ts" "$pw" | "$PYTHON3" -c 'import sys, hashlib
print(hashlib.md5(sys.stdin.buffer.read()).hexdigest())')
case $line in
"C: APOP alice $digest") ok 0 "APOP: trace has 'C: APOP alice <digest>', the digest of the banner's timestamp" ;;
C:\ APOP\ alice\ \**) ok 0 "APOP: trace has 'C: APOP alice' with the digest masked" ;;
*) ok 1 "APOP: trace has 'C: APOP alice <digest>'"; diag "got: $line; digest of $ts: $digest" ;;
esac
grep -q -E '^C: (USER|PASS|AUTH)' "$tr"
ok $(( $? == 0 )) "APOP: no USER, PASS or AUTH sent"

tr=$t/trace.PLAIN
grep -q -E '^C: AUTH PLAIN( \*+)?$' "$tr"
ok $? "PLAIN: trace has 'C: AUTH PLAIN' with the payload masked"
tr=$t/trace.LOGIN
grep -q -E '^C: AUTH LOGIN( \*+)?$' "$tr" && [ "$(grep -c -E '^C: \*+$' "$tr")" -ge 1 ]
ok $? "LOGIN: trace has 'C: AUTH LOGIN', the answers masked"
tr=$t/trace.CRAM-MD5
grep -qx 'C: AUTH CRAM-MD5' "$tr" && grep -q '^S: + ' "$tr" &&
	[ "$(sed -n '/^C: AUTH CRAM-MD5$/,/^S: +OK/p' "$tr" | grep -c -E '^C: \*+$')" -eq 1 ]
ok $? "CRAM-MD5: trace has 'C: AUTH CRAM-MD5', the challenge, the answer masked"

for mech in SCRAM-SHA-1 SCRAM-SHA-256; do
	p --auth $mech --trace "$POUCH_URL" stat >"$t/out" 2>"$t/trace.$mech"; rc=$?
	if [ $rc -ne 0 ] && grep -q 'libgsasl' "$t/trace.$mech"; then
		skip "--auth $mech: this libcurl has no SCRAM (built without libgsasl)"
		skip "--auth $mech: Dovecot logged method=$mech"
		skip "--auth $mech: no secret in the trace"
		continue
	fi
	is "$rc:$(cat "$t/out")" "0:$all_stat" "--auth $mech: stat"
	logins=$((logins + 1))
	dovecot_log_wait 'Login: user=<alice>' $logins
	is "$(grep 'Login: user=<alice>' "$DOVECOT_LOG" | tail -1 | sed -n 's/.*method=\([A-Z0-9-]*\).*/\1/p')" \
		"$mech" "--auth $mech: Dovecot logged method=$mech"
	secrets_absent "$t/trace.$mech"
	ok $? "--auth $mech: no secret in the trace"
done

p --trace "$POUCH_URL" stat >"$t/out" 2>"$t/trace.default"; rc=$?
is "$rc:$(cat "$t/out")" "0:$all_stat" "no --auth: stat"
grep -q -E '^C: (AUTH (PLAIN|LOGIN)|USER)' "$t/trace.default"
ok $(( $? == 0 )) "no --auth, CRAM-MD5 offered: no method that sends the password itself"
secrets_absent "$t/trace.default"
ok $? "no --auth: no secret in the trace"

for mech in APOP CRAM-MD5 PLAIN; do
	"$POUCH" --password-command "echo wrong-$pw" --state-dir "$t/state" --auth $mech \
		"$POUCH_URL" stat >"$t/out" 2>"$t/err"; rc=$?
	is "$rc:$(cat "$t/out")" "3:" "--auth $mech, wrong password: exit 3, no output"
done
# No retry storm: a refused password is one attempt on one connection,
# whatever the server offers, and the message says who refused whom.
for mech in default USER; do
	a=
	[ $mech = USER ] && a="--auth USER"
	before=$(grep -c 'auth failed' "$DOVECOT_LOG")
	"$POUCH" --password-command "echo wrong-$pw" --state-dir "$t/state" $a \
		"$POUCH_URL" stat >"$t/out" 2>"$t/err"; rc=$?
	is "$rc" 3 "wrong password ($mech): exit 3"
	grep -q "^pouch: login failed: 127\.0\.0\.1:$DOVECOT_PORT refused the login of alice; server said: -ERR " "$t/err"
	ok $? "wrong password ($mech): stderr says the server refused alice's login and quotes it"
	dovecot_log_wait 'auth failed' $((before + 1))
	sleep 0.3
	is "$(grep 'auth failed' "$DOVECOT_LOG" | tail -n +$((before + 1)) | sed -n 's/.*auth failed, \([0-9]*\) attempts.*/\1/p' | tr '\n' ' ')" \
		"1 " "wrong password ($mech): one connection, one attempt (Dovecot's log)"
done
dovecot_stop

# A server that offers only PLAIN (no APOP timestamp, no CRAM-MD5).
dovecot_start --mechs plain --maildir "$t/mb" || { echo "Bail out! dovecot_start failed"; exit 1; }
pw=$DOVECOT_PASS
for mech in APOP CRAM-MD5; do
	p --auth $mech --trace "$POUCH_URL" stat >"$t/out" 2>"$t/trace"; rc=$?
	[ $rc -ne 0 ] && [ ! -s "$t/out" ]
	ok $? "--auth $mech, not offered: fails (exit $rc), no output"
	grep -q -E '^C: (APOP|AUTH|USER|PASS)' "$t/trace"
	ok $(( $? == 0 )) "--auth $mech, not offered: no login command sent"
done
out=$(p --auth PLAIN "$POUCH_URL" stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "--auth PLAIN, offered: stat"
dovecot_log_wait 'Login: user=<alice>' 1
sleep 0.3
is "$(grep -c 'Login: user=<alice>' "$DOVECOT_LOG")" 1 "only the PLAIN session logged in"

done_testing
