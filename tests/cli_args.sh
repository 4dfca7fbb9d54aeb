# cli_args.sh: pouch's command line without a server: usage errors exit 2
# with a clear message and before any connection; --help documents every
# command, option and exit status; --version; there is no way to put a
# password on the command line; local checks (-o DIR, --cacert) fail early.
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$POUCH" ] || skip_all "no pouch binary at '$POUCH'"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pouch-args.XXXXXX") || exit 99
at_exit "rm -rf '$tmp'"
# Nothing listens here: a test that got as far as connecting would fail
# with 5, not 2; the password command must never run in a usage error.
URL=pop3://u@127.0.0.1:9
PW="--password-command 'touch $tmp/pw-ran; echo x'"

# run ARGS...: sets $rc, $out, $err
run() {
	"$POUCH" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# usage WANT-IN-STDERR ARGS...: exit 2, a "pouch: " message, nothing on stdout
usage() {
	want=$1
	shift
	run --password-command "touch $tmp/pw-ran; echo x" "$@"
	is "$rc" 2 "usage error exits 2: $*"
	case $err in
	"pouch: "*"$want"*) ok 0 "message says '$want': $*" ;;
	*) ok 1 "message says '$want': $*"; diag "stderr: $err" ;;
	esac
	is "$out" "" "nothing on stdout: $*"
}

# No COMMAND means the full-screen reader, which needs a terminal (or a key
# script); with no URL it needs a configured account.
XDG_CONFIG_HOME=$tmp/noconf; export XDG_CONFIG_HOME
usage "no URL given and no account configured"
usage "the reader needs a terminal" "$URL"
usage "unknown command 'frob'" "$URL" frob
usage "unknown option --bogus" --bogus "$URL" stat
usage "must start with pop3://" http://example.org stat
usage "port" pop3://h:70000 stat
usage "nothing may follow" pop3://h/INBOX stat
usage "needs -o DIR" "$URL" retr 1-3
usage "needs -o DIR" "$URL" retr 1,2
usage "runs backwards" "$URL" retr 3-1
usage "bad message list" "$URL" retr 0
usage "bad message list" "$URL" dele 99999999999999999999
usage "bad message list" "$URL" dele 1-
usage "bad message list" "$URL" dele a
usage "named twice" "$URL" dele 1 1
usage "wrong number of arguments" "$URL" top 1
usage "wrong number of arguments" "$URL" stat 1
usage "wrong number of arguments" "$URL" retr
usage "options go before the URL" "$URL" retr 1 -x
usage "options go before the URL" "$URL" dele 1 -o "$tmp"
usage "two output directories" -o "$tmp/a" "$URL" retr 1-2 -o "$tmp/b"
usage "empty command" "$URL" stat -- -- list
usage "empty command" "$URL" stat --
usage "quit must be the last command" "$URL" quit -- stat
usage "auto, required or none" --tls sometimes "$URL" stat
usage "unknown mechanism" --auth MAGIC "$URL" stat
usage "seconds" --timeout 0 "$URL" stat
usage "seconds" --timeout abc "$URL" stat
usage "needs an argument" --timeout
usage "takes no argument" --trace=1 "$URL" stat
[ ! -e "$tmp/pw-ran" ]
ok $? "the password command never ran for a usage error"

# A password can never be given in the arguments.
usage "never given on the command line" --password secret "$URL" stat
usage "never given on the command line" --password=secret "$URL" stat
usage "never given on the command line" --pass secret "$URL" stat
usage "never given on the command line" -p secret "$URL" stat
usage "a password never goes on the command line" pop3://u:secret@127.0.0.1:9 stat
case $err in
*secret*) ok 1 "the password in the URL is not echoed" ;;
*) ok 0 "the password in the URL is not echoed" ;;
esac
# getopt_long would take --password-c for --password-command: pouch does not.
usage "unknown option --password-c" --password-c 'echo x' "$URL" stat

# No password source and no terminal: exit 2, said so, no connection tried.
HOME=$tmp/home
export HOME
mkdir -p "$HOME"
if command -v setsid >/dev/null 2>&1; then
	setsid "$POUCH" --state-dir "$tmp/state" "$URL" stat >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	is "$rc" 2 "no password source, no tty: exit 2"
	grep -q 'no password' "$tmp/err"
	ok $? "no password source, no tty: says so"
fi

# The prompt on a terminal: echo off; a typed password is used (the
# connection then fails: exit 5); Ctrl-C at the prompt exits 130.
if [ -n "${PYTHON3:-}" ] && "$PYTHON3" -c 'import pty' 2>/dev/null; then
	cat >"$tmp/ptyrun.py" <<'PYEOF'
import os, pty, select, signal, sys, termios, time
mode, args = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(args[0], args)
out = b""
def readsome(t, until):
    global out
    end = time.time() + t
    while time.time() < end:
        try:
            if select.select([fd], [], [], 0.1)[0]:
                out += os.read(fd, 4096)
        except OSError:
            break
        if until and until in out:
            break
readsome(10, b"Password for")
echo = termios.tcgetattr(fd)[3] & termios.ECHO
if mode == "type":
    os.write(fd, b"typed-secret\n")
else:
    os.kill(pid, signal.SIGINT)
readsome(10, None)
_, st = os.waitpid(pid, 0)
print("echo=%d exit=%d" % (1 if echo else 0, os.waitstatus_to_exitcode(st)))
sys.stdout.write(out.decode("utf-8", "replace"))
PYEOF
	"$PYTHON3" "$tmp/ptyrun.py" type "$POUCH" --tls none --timeout 5 \
	    --state-dir "$tmp/state" "$URL" stat >"$tmp/pty" 2>&1
	is "$(head -n 1 "$tmp/pty")" "echo=0 exit=5" "prompt: echo off, password read, then exit 5 (nothing listens)"
	grep -q 'Password for u@127.0.0.1: ' "$tmp/pty"
	ok $? "prompt: asks for the user at the host"
	! grep -q 'typed-secret' "$tmp/pty"
	ok $? "prompt: the typed password is not echoed"
	"$PYTHON3" "$tmp/ptyrun.py" int "$POUCH" --tls none --timeout 5 \
	    --state-dir "$tmp/state" "$URL" stat >"$tmp/pty" 2>&1
	is "$(head -n 1 "$tmp/pty")" "echo=0 exit=130" "prompt: Ctrl-C exits 130"
	grep -q 'pouch: interrupted; nothing was deleted' "$tmp/pty"
	ok $? "prompt: Ctrl-C says nothing was deleted"
fi

# --netrc-file: missing file, no entry: exit 2 before connecting.
run --netrc-file "$tmp/nonexistent" "$URL" stat
is "$rc" 2 "--netrc-file missing: exit 2"
grep -q 'no such file' "$tmp/err"
ok $? "--netrc-file missing: says so"
printf 'machine other login u password p\n' >"$tmp/netrc"
chmod 600 "$tmp/netrc"
run --netrc-file "$tmp/netrc" "$URL" stat
is "$rc" 2 "--netrc-file without an entry for the host: exit 2"
grep -q 'no entry for machine 127.0.0.1' "$tmp/err"
ok $? "--netrc-file without an entry: says so"
printf 'machine 127.0.0.1 login u password "unterminated\n' >"$tmp/netrc"
run --netrc-file "$tmp/netrc" "$URL" stat
is "$rc" 2 "--netrc-file malformed: exit 2"
grep -q 'unterminated' "$tmp/err"
ok $? "--netrc-file malformed: says why"

# The password command failing or printing nothing: exit 2, never shown.
run --password-command 'exit 3' "$URL" stat
is "$rc" 2 "--password-command failing: exit 2"
grep -q 'exit status 3' "$tmp/err"
ok $? "--password-command failing: says its exit status"
run --password-command 'printf "\n"' "$URL" stat
is "$rc" 2 "--password-command printing an empty line: exit 2"

# Local checks before any connection: an existing output file is exit 7.
mkdir "$tmp/mail"
: >"$tmp/mail/2.eml"
run --password-command 'echo x' -o "$tmp/mail" "$URL" retr 1-3
is "$rc" 7 "retr -o with DIR/2.eml already there: exit 7"
grep -q '2.eml already exists' "$tmp/err"
ok $? "says which file exists"
is "$(ls -A "$tmp/mail")" "2.eml" "nothing else written"
run --password-command 'echo x' --cacert "$tmp/none.pem" "$URL" stat
is "$rc" 2 "--cacert of a missing file: exit 2"

# Nothing listens on port 9: a network failure, exit 5.
run --password-command 'echo x' --tls none --timeout 5 "$URL" stat
is "$rc" 5 "connection refused: exit 5"
grep -q '^pouch: ' "$tmp/err"
ok $? "connection refused: a pouch: message"

# --help: every command, every option, every exit status, and true to itself.
run --help
is "$rc" 0 "--help exits 0"
for word in stat list uidl top retr dele rset noop last capa quit; do
	printf '%s\n' "$out" | grep -Eq "^  $word( |$)"
	ok $? "--help documents the command $word"
done
for opt in -u --user --password-command --netrc-file --auth --tls --cacert \
    --pinned-pubkey --timeout --no-pipelining --trace -o --output --state-dir \
    -q --quiet -h --help -V --version --dump-mime --extract; do
	printf '%s\n' "$out" | grep -q -- "$opt"
	ok $? "--help documents $opt"
done
for code in 0 1 2 3 4 5 6 7 130; do
	printf '%s\n' "$out" | grep -Eq "(^|[ ;])$code "
	ok $? "--help documents exit status $code"
done
run -h
is "$rc" 0 "-h exits 0"

# The man page documents the same commands and options.
man=$top_srcdir/man/pouch.1
for word in stat list uidl top retr dele rset noop last capa quit; do
	grep -Eq "^\.(B|BR|BI) $word( |$)" "$man"
	ok $? "pouch.1 documents the command $word"
done
for opt in user password-command netrc-file auth tls cacert pinned-pubkey \
    timeout no-pipelining trace output state-dir quiet help version \
    dump-mime extract; do
	# roff writes every "-" of an option as "\-".
	grep -Fq -- "$(printf '%s' "--$opt" | sed 's/-/\\-/g')" "$man"
	ok $? "pouch.1 documents --$opt"
done

run --version
is "$rc" 0 "--version exits 0"
case $out in
"pouch "[0-9]*) ok 0 "--version prints pouch and a version" ;;
*) ok 1 "--version prints pouch and a version"; diag "$out" ;;
esac
run -V
is "$rc" 0 "-V exits 0"

done_testing
