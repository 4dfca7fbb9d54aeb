# pop3_tls.sh: TLS and login failures against a private Dovecot with a
# throwaway CA: pop3s, STLS, --tls auto|required|none, --cacert,
# --pinned-pubkey, a wrong password (exit 3, exactly one attempt), and, in a
# network namespace made here, a non-loopback server without STLS (refused
# unless --tls none).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require
command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-tls.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large --manifest "$t/man" "$t/mb" ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
all_stat="40 $(awk '{s += $2} END {print s}' "$t/man")"
pw=
p() { "$POUCH" --password-command "echo $pw" --state-dir "$t/state" --timeout 10 "$@"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $1"; }
man() { sed -n "${1}p" "$t/man" | cut -d' ' -f"$2"; }
crlf() { sed 's/$/\r/' "$t/mb/cur/$(man "$1" 4)"; }
# Dovecot writes its log through a separate process: wait until the count
# of lines matching $1 reaches $2 (or 3 s pass), then a little longer so
# that a second, unexpected line would show too.
log_settle() {
	i=0
	while [ "$(grep -c -E "$1" "$DOVECOT_LOG")" -lt "$2" ] && [ $i -lt 60 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.5
	grep -c -E "$1" "$DOVECOT_LOG"
}
no_credentials() { ! grep -q -E '^C: (USER|PASS|AUTH|APOP)' "$1"; }

dovecot_start --ssl --maildir "$t/mb" || { echo "Bail out! dovecot_start --ssl failed"; exit 1; }
pw=$DOVECOT_PASS

# --- pop3s
p "$POUCH_URL_SSL" stat >"$t/out" 2>"$t/err"; rc=$?
is "$rc" 4 "pop3s, self-signed CA not given: exit 4"
is "$(cat "$t/out")" "" "pop3s without the CA: nothing on stdout"
grep -q -i 'certificate' "$t/err"
ok $? "pop3s without the CA: stderr names the certificate problem"
head -3 "$t/err" | sed "s/^/# /"
p --trace "$POUCH_URL_SSL" stat >/dev/null 2>"$t/trace"
no_credentials "$t/trace"
ok $? "pop3s without the CA: no credentials sent"
out=$(p --cacert "$DOVECOT_CA" "$POUCH_URL_SSL" stat 2>"$t/err"); rc=$?
is "$rc:$out" "0:$all_stat" "pop3s with --cacert: stat"
p --cacert "$DOVECOT_CA" "$POUCH_URL_SSL" retr 16 -- retr 6 >"$t/out" 2>/dev/null
{ crlf 16; crlf 6; } | cmp -s - "$t/out"
ok $? "pop3s with --cacert: retr 16 -- retr 6 byte for byte"
other=$t/other-ca
mkdir "$other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$other/k" -out "$other/ca.crt" -days 1 -subj "/CN=some other CA" >/dev/null 2>&1
p --cacert "$other/ca.crt" "$POUCH_URL_SSL" stat >/dev/null 2>&1; rc=$?
is "$rc" 4 "pop3s with another CA: exit 4"

# --- pinned public key
pin=$(openssl x509 -in "$DOVECOT_DIR/ssl/server.crt" -pubkey -noout |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
out=$(p --cacert "$DOVECOT_CA" --pinned-pubkey "sha256//$pin" "$POUCH_URL_SSL" stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "--pinned-pubkey with the server's key: stat"
badpin=$(printf 'not the key' | openssl dgst -sha256 -binary | base64)
p --cacert "$DOVECOT_CA" --pinned-pubkey "sha256//$badpin" "$POUCH_URL_SSL" stat >/dev/null 2>&1; rc=$?
is "$rc" 4 "--pinned-pubkey with another key: exit 4"

# --- STLS on the plain port
p --tls required --cacert "$DOVECOT_CA" --trace "$POUCH_URL" stat >"$t/out" 2>"$t/trace"; rc=$?
is "$rc:$(cat "$t/out")" "0:$all_stat" "STLS, --tls required --cacert: stat"
a=$(grep -n -x 'C: STLS' "$t/trace" | head -1 | cut -d: -f1)
b=$(grep -n -E '^C: (USER|AUTH|APOP)' "$t/trace" | head -1 | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
ok $? "STLS, --tls required: 'C: STLS' before the login"
p --tls required "$POUCH_URL" stat >/dev/null 2>"$t/err"; rc=$?
is "$rc" 4 "STLS, --tls required, CA not given: exit 4"
grep -q -i 'certificate' "$t/err"
ok $? "STLS without the CA: stderr names the certificate problem"
p --cacert "$DOVECOT_CA" --trace "$POUCH_URL" stat >"$t/out" 2>"$t/trace"; rc=$?
is "$rc:$(cat "$t/out")" "0:$all_stat" "--tls auto on loopback, STLS offered, --cacert: stat"
grep -q -x 'C: STLS' "$t/trace"
ok $? "--tls auto on loopback: STLS used when offered"
p --tls none --trace "$POUCH_URL" stat >"$t/out" 2>"$t/trace"; rc=$?
is "$rc:$(cat "$t/out")" "0:$all_stat" "--tls none on the STLS port: stat"
grep -q -x 'C: STLS' "$t/trace"
ok $(( $? == 0 )) "--tls none: no STLS"
p --tls none "$POUCH_URL_SSL" stat >/dev/null 2>&1; rc=$?
[ "$rc" -ne 0 ]
ok $? "--tls none with a pop3s URL: refused (exit $rc)"

# --- wrong password: exit 3, one attempt
fails() { grep -c -E 'Password mismatch' "$DOVECOT_LOG"; }
for auth in default USER; do
	n0=$(fails)
	opt=
	[ $auth = USER ] && opt="--auth USER"
	# shellcheck disable=SC2086
	"$POUCH" --password-command "echo wrong-$pw" --state-dir "$t/state" $opt \
		--cacert "$DOVECOT_CA" "$POUCH_URL" stat >"$t/out" 2>"$t/err"; rc=$?
	is "$rc" 3 "wrong password ($auth): exit 3"
	is "$(cat "$t/out")" "" "wrong password ($auth): nothing on stdout"
	grep -q -i -E 'login|auth|password' "$t/err"
	ok $? "wrong password ($auth): stderr says the login failed"
	head -2 "$t/err" | sed "s/^/# /"
	n1=$(log_settle 'Password mismatch' $((n0 + 1)))
	is "$((n1 - n0))" 1 "wrong password ($auth): exactly one attempt in Dovecot's log"
done
out=$(p --cacert "$DOVECOT_CA" "$POUCH_URL" stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "the right password still works afterwards"
dovecot_stop

# --- IPv6 loopback: no STLS offered, still a loopback host
if dovecot_start --listen ::1 --maildir "$t/mb" 2>"$t/v6.err"; then
	out=$(p "$POUCH_URL" stat 2>&1); rc=$?
	is "$rc:$out" "0:$all_stat" "pop3://alice@[::1]:PORT without STLS, --tls auto: loopback, stat"
	dovecot_stop
else
	head -3 "$t/v6.err" | sed 's/^/# /'
	skip "no IPv6 loopback here"
fi

# --- a non-loopback server, in a network namespace made here
ns=pouchtest-$$
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1 ||
   ! ip netns add "$ns" 2>/dev/null; then
	for i in 1 2 3 4 5 6 7 8; do skip "ip netns is not permitted here"; done
	done_testing
fi
hv=pth$$
nv=ptn$$
at_exit "ip netns del $ns; ip link del $hv"
x=$(( ($$ / 64) % 256 ))
y=$(( ($$ % 64) * 4 ))
haddr=10.251.$x.$((y + 1))
naddr=10.251.$x.$((y + 2))
if ! { ip link add "$hv" type veth peer name "$nv" &&
	ip link set "$nv" netns "$ns" &&
	ip addr add "$haddr/30" dev "$hv" && ip link set "$hv" up &&
	ip netns exec "$ns" ip addr add "$naddr/30" dev "$nv" &&
	ip netns exec "$ns" ip link set "$nv" up &&
	ip netns exec "$ns" ip link set lo up; } 2>"$t/ip.err"; then
	cat "$t/ip.err" | sed "s/^/# /"
	for i in 1 2 3 4 5 6 7 8; do skip "could not set up a veth pair"; done
	done_testing
fi

dovecot_start --netns "$ns" --listen "$naddr" --maildir "$t/mb" ||
	{ echo "Bail out! dovecot_start in $ns failed"; exit 1; }
U=pop3://alice@$naddr:$DOVECOT_PORT
p --trace "$U" stat >"$t/out" 2>"$t/trace"; rc=$?
is "$rc" 4 "$naddr without STLS, --tls auto: exit 4"
is "$(cat "$t/out")" "" "$naddr without STLS: nothing on stdout"
no_credentials "$t/trace"
ok $? "$naddr without STLS: no USER/PASS/AUTH/APOP sent"
grep -v '^[CS*]: ' "$t/trace" | head -2 | sed "s/^/# /"
out=$(p --tls none "$U" stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "$naddr with --tls none: stat"
dovecot_stop

dovecot_start --ssl --netns "$ns" --listen "$naddr" --maildir "$t/mb" ||
	{ echo "Bail out! dovecot_start --ssl in $ns failed"; exit 1; }
U=pop3://alice@$naddr:$DOVECOT_PORT
p --cacert "$DOVECOT_CA" --trace "$U" stat >"$t/out" 2>"$t/trace"; rc=$?
is "$rc:$(cat "$t/out")" "0:$all_stat" "$naddr with STLS and --cacert, --tls auto: stat"
grep -q -x 'C: STLS' "$t/trace"
ok $? "$naddr: STLS used"
p "$U" stat >/dev/null 2>&1; rc=$?
is "$rc" 4 "$naddr with STLS, CA not given: exit 4"
out=$(p --cacert "$DOVECOT_CA" "$POUCH_URL_SSL" stat 2>&1); rc=$?
is "$rc:$out" "0:$all_stat" "pop3s on $naddr with --cacert: stat"

done_testing
