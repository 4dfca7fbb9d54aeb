# valgrind.sh: pouch under Valgrind's memcheck, for what the sanitizers do
# not see (reads of uninitialised memory). Runs only on a build without
# sanitizers and when VALGRIND names the command; scripts/check does both:
#   make check TESTS=tests/valgrind.sh VALGRIND=valgrind
# Covers the MIME commands over every golden message and a whole POP3
# session against a private Dovecot, a failing one included.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"

[ -n "${VALGRIND:-}" ] || skip_all "VALGRIND is not set (scripts/check sets it on a build without sanitizers)"
if grep -q __asan_init "$POUCH" 2>/dev/null; then
	skip_all "pouch is built with sanitizers; Valgrind needs a plain build"
fi
command -v "$VALGRIND" >/dev/null 2>&1 || skip_all "$VALGRIND is not installed"

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-vg.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
# 99: what memcheck exits with when it found an error or a definite leak.
vg() {
	$VALGRIND -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --log-file="$t/vg.log" "$@"
}
vg_ok() {	# WANT-EXIT NAME COMMAND...
	want=$1 name=$2
	shift 2
	vg "$@" >"$t/out" 2>"$t/err"
	rc=$?
	[ "$rc" -eq "$want" ]
	if ! ok $? "$name: exit $want under memcheck (got $rc)"; then
		head -30 "$t/vg.log" | sed 's/^/# /'
		head -5 "$t/err" | sed 's/^/# /'
	fi
}

for f in "$top_srcdir"/tests/mime/*.eml; do
	vg_ok 0 "--dump-mime $(basename "$f")" "$POUCH" --dump-mime "$f"
done
for f in "$top_srcdir"/tests/mime/*.eml; do
	rm -rf "$t/x"
	vg_ok 0 "--extract $(basename "$f")" "$POUCH" --extract "$t/x" "$f"
done

dovecot_require
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large "$t/mb" ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
dovecot_start --maildir "$t/mb" || { echo "Bail out! dovecot_start failed"; exit 1; }
pw="echo $DOVECOT_PASS"
vg_ok 0 "a whole session" "$POUCH" --password-command "$pw" --state-dir "$t/state" --trace "$POUCH_URL" capa -- stat -- list -- uidl \
	-- list 3 -- uidl 3 -- top 2 5 -- retr 1-40 -o "$t/out40" -- last -- noop
vg_ok 0 "dele then rset" "$POUCH" --password-command "$pw" "$POUCH_URL" dele 1 2 -- rset -- stat
vg_ok 1 "an -ERR stops the run" "$POUCH" --password-command "$pw" --trace "$POUCH_URL" dele 1 -- retr 999
vg_ok 3 "a wrong password" "$POUCH" --password-command "echo wrong" "$POUCH_URL" stat
is "$(ls "$t/out40" | wc -l)" 40 "40 messages written under memcheck"
done_testing
