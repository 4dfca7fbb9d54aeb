# tap.sh: TAP for shell tests. Source it; then
#   ok COND-EXIT-STATUS "name"   (e.g.  cmp -s a b; ok $? "same bytes")
#   is "$got" "$want" "name"
#   skip_all "reason"
#   done_testing
# A test that needs cleanup registers it with: at_exit 'command'.
tap_n=0
tap_fail=0
tap_cleanups=
at_exit() { tap_cleanups="$1; $tap_cleanups"; }
tap_run_cleanups() { eval "$tap_cleanups" >/dev/null 2>&1; }
trap tap_run_cleanups EXIT
ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		tap_fail=$((tap_fail + 1))
		echo "not ok $tap_n - $2"
	fi
	return "$1"
}
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '%s\n' "#   got:" "$1" | sed '2,$s/^/#     /' | head -40
		printf '%s\n' "#   expected:" "$2" | sed '2,$s/^/#     /' | head -40
		return 1
	fi
}
diag() { printf '# %s\n' "$*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() {
	echo "1..$tap_n"
	[ "$tap_fail" -eq 0 ]
	exit $?
}
