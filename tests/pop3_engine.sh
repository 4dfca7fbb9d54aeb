# pop3_engine.sh: the engine's non-blocking interface (issue 7, A) against a
# private Dovecot with TLS: login from a poll loop over pop3s and STLS, a
# request queued before login, the server screen's facts (TLS version,
# cipher, the certificate's SHA-256 as openssl prints it, the login method),
# a non-blocking QUIT and a non-blocking marks commit that Dovecot applies.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require
command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"
LIVE=$top_builddir/tests/pop3_live
[ -x "$LIVE" ] || skip_all "no $LIVE"

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-engine.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large --manifest "$t/man" "$t/mb" ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
dovecot_start --ssl --maildir "$t/mb" || { echo "Bail out! dovecot_start --ssl failed"; exit 1; }
POP3_LIVE_PASS=$DOVECOT_PASS
export POP3_LIVE_PASS
fp=$(openssl x509 -in "$DOVECOT_DIR/ssl/server.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
val() { sed -n "s/^$1: //p" "$t/out"; }

for how in pop3s STLS; do
	url=$POUCH_URL_SSL
	[ $how = STLS ] && url=$POUCH_URL
	"$LIVE" "$url" "$DOVECOT_CA" "" >"$t/out" 2>"$t/err"
	is "$?" 0 "$how: pop3_live ran"
	is "$(val 'connected before the loop')" 0 "$how: pop3_connect_start returns before the login"
	is "$(val connected)" 1 "$how: logged in from the poll loop"
	is "$(val stat)" 40 "$how: the STAT queued while connecting answered after login"
	longest=$(val 'longest run ms')
	[ -n "$longest" ] && [ "$longest" -le 100 ]
	ok $? "$how: no pop3_run took long ($longest ms; login in $(val 'login ms') ms)"
	[ "$(val 'fd changes')" -ge 2 ]
	ok $? "$how: pop3_fd changed once libcurl was done ($(val 'fd changes') fds)"
	is "$(val auth)" PLAIN "$how: the login method used"
	is "$(val tls)" 0 "$how: pop3_tls_info"
	case $(val 'tls version') in TLSv1.[23]) r=0 ;; *) r=1 ;; esac
	ok $r "$how: TLS version $(val 'tls version')"
	[ -n "$(val 'tls cipher')" ]
	ok $? "$how: cipher $(val 'tls cipher')"
	is "$(val 'tls sha256')" "$fp" "$how: the certificate's SHA-256 is openssl's"
	is "$(val pipelining)" 1 "$how: Dovecot's CAPA lists PIPELINING"
	is "$(val 'capa TOP')" listed "$how: pop3_capa_value finds TOP"
	is "$(val 'capa EXPIRE')" "(not listed)" "$how: no EXPIRE from Dovecot"
	is "$(val quit)" 1 "$how: QUIT submitted and answered from the loop"
	is "$(val 'fd after')" -1 "$how: the session is closed after QUIT"
	[ -s "$t/err" ] && sed 's/^/# /' "$t/err"
done

"$LIVE" "$POUCH_URL_SSL" "$DOVECOT_CA" "" 2 >"$t/out" 2>"$t/err"
is "$(val commit | cut -d' ' -f1-7)" "ok deleted 2 gone 0 kept 0" "commit from the poll loop: 2 deleted"
dovecot_log_wait 'deleted=2' 1 >/dev/null
is "$(dovecot_maildir_count)" 38 "commit from the poll loop: Dovecot removed 2 messages"

done_testing
