# pop3_oauth.sh: SASL XOAUTH2 and OAUTHBEARER (RFC 7628) against a private
# Dovecot whose oauth2 passdb asks a token introspection endpoint (RFC 7662,
# tests/lib/oauth2_introspect.py) on 127.0.0.1. The bearer token comes from
# --password-command like a password: it logs in, Dovecot logs the method,
# the endpoint sees the token, the trace masks it, and a wrong token fails
# with exit 3 and the server's error JSON in the message.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-oauth.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large --manifest "$t/man" "$t/mb" ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
all_stat="40 $(awk '{s += $2} END {print s}' "$t/man")"

token="ya29.pouch-test-$$-Zm9vYmFy"
"$PYTHON3" "$top_srcdir/tests/lib/oauth2_introspect.py" --token "$token" --user alice \
	--port-file "$t/ip.port" --log "$t/ip.log" --lifetime 300 </dev/null &
ip_pid=$!
at_exit "kill $ip_pid 2>/dev/null"
i=0
while [ ! -s "$t/ip.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$t/ip.port" ] || { echo "Bail out! the introspection endpoint did not start"; exit 1; }
: >"$t/ip.log"

dovecot_start --oauth2 "http://127.0.0.1:$(cat "$t/ip.port")/introspect" --maildir "$t/mb" ||
	{ echo "Bail out! dovecot_start failed"; exit 1; }
p() { "$POUCH" --state-dir "$t/state" --timeout 10 "$@"; }

logins=0 oks=0 bads=0
for mech in XOAUTH2 OAUTHBEARER; do
	p --auth $mech --trace --password-command "echo $token" "$POUCH_URL" stat \
		>"$t/out" 2>"$t/trace.$mech"; rc=$?
	is "$rc:$(cat "$t/out")" "0:$all_stat" "--auth $mech with the right token: stat"
	logins=$((logins + 1)) oks=$((oks + 1))
	dovecot_log_wait 'Login: user=<alice>' $logins
	is "$(grep 'Login: user=<alice>' "$DOVECOT_LOG" | tail -1 | sed -n 's/.*method=\([A-Z0-9-]*\).*/\1/p')" \
		"$mech" "--auth $mech: Dovecot logged method=$mech"
	is "$(grep -c '^token ok$' "$t/ip.log")" "$oks" "--auth $mech: the endpoint was asked about the token"
	grep -qx "C: AUTH $mech \*\*\*\*\*\*\*\*" "$t/trace.$mech"
	ok $? "--auth $mech: the trace shows 'C: AUTH $mech ********'"
	! grep -q -F -e "$token" -e "$(printf 'user=alice\001auth=Bearer %s\001\001' "$token" | base64 | tr -d '\n' | cut -c1-40)" \
		"$t/trace.$mech"
	ok $? "--auth $mech: neither the token nor its SASL payload in the trace"

	p --auth $mech --password-command "echo not-$token" "$POUCH_URL" stat \
		>"$t/out" 2>"$t/err"; rc=$?
	bads=$((bads + 1))
	is "$rc" 3 "--auth $mech with a wrong token: exit 3"
	is "$(cat "$t/out")" "" "--auth $mech with a wrong token: nothing on stdout"
	is "$(grep -c '^token bad$' "$t/ip.log")" "$bads" "--auth $mech with a wrong token: the endpoint said no"
done
p --auth XOAUTH2 --password-command "echo bad" "$POUCH_URL" stat >/dev/null 2>"$t/err.XOAUTH2"
grep -q 'refused the token of alice (XOAUTH2: {"status":"401"' "$t/err.XOAUTH2"
ok $? "XOAUTH2, wrong token: stderr shows the server's error JSON (status 401)"
p --auth OAUTHBEARER --password-command "echo bad" "$POUCH_URL" stat >/dev/null 2>"$t/err.OB"
grep -q 'refused the token of alice (OAUTHBEARER: {"status":"invalid_token"})' "$t/err.OB"
ok $? "OAUTHBEARER, wrong token: stderr shows the server's error JSON (invalid_token)"
grep -q 'Authentication failed' "$t/err.OB"
ok $? "OAUTHBEARER, wrong token: and quotes the server's -ERR"

# PLAIN still goes to the passwd-file passdb beside the oauth2 one.
p --auth PLAIN --password-command "echo $DOVECOT_PASS" "$POUCH_URL" stat >"$t/out" 2>&1
is "$?:$(cat "$t/out")" "0:$all_stat" "--auth PLAIN beside the oauth2 passdb: stat"

done_testing
