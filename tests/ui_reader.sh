# ui_reader.sh: the full-screen reader driven as a person drives it, through
# its headless mode (--keys SCRIPT --dump FILE: keys from a script, the
# screen dumped as text), against the private Dovecot serving the demo
# mailbox. Screens are compared whole with golden files in tests/ui/; what
# the server holds afterwards is checked with a second client (popcheck.py).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require
[ -x "$POUCH" ] || skip_all "no pouch binary at '$POUCH'"

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-ui.XXXXXX") || exit 99
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large "$t/Maildir" || exit 99
# A hostile message as number 41: escape sequences in its subject, sender
# and body, a file name that climbs out of the directory.
printf '%s\n' \
	"From: =?UTF-8?B?G10yO3B3bmVkBw==?= <evil@example.org>" \
	"To: alice@example.net" \
	"Subject: hostile =?UTF-8?B?G1sySuKArmxpbmUgdHdv?= subject" \
	"Date: Mon, 30 Nov 2026 10:00:00 +0000" \
	"MIME-Version: 1.0" \
	'Content-Type: multipart/mixed; boundary="b"' \
	"" \
	"--b" \
	"Content-Type: text/plain; charset=utf-8" \
	"" \
	"$(printf 'body \033]2;pwned\007 and \033[6n here')" \
	"--b" \
	"Content-Type: application/octet-stream" \
	'Content-Disposition: attachment; filename="../../../../tmp/pouch-evil.txt"' \
	"" \
	"evil bytes" \
	"--b" \
	"Content-Type: application/x-evil" \
	"Content-Disposition: attachment; filename=\"q'\$(touch pwned-by-name)'.dat\"" \
	"" \
	"more evil bytes" \
	"--b--" > "$t/Maildir/cur/zzzz-hostile:2,"
dovecot_start --maildir "$t/Maildir" || exit 99
pw=$t/pw
printf '%s\n' "$DOVECOT_PASS" > "$pw"
chmod 600 "$pw"
pc() { "$PYTHON3" "$top_srcdir/tests/lib/popcheck.py" 127.0.0.1 "$DOVECOT_PORT" alice "$DOVECOT_PASS" "$@"; }
golden=$top_srcdir/tests/ui
mkdir -p "$t/dl" "$t/cfg/pouch"
printf 'download_dir = %s\n' "$t/dl" > "$t/cfg/pouch/config"

# reader NAME [ARGS]: runs the script $t/NAME.keys; the dump in $t/NAME.out
reader() {
	name=$1
	shift
	HOME=$t/home XDG_CONFIG_HOME=$t/cfg XDG_STATE_HOME=$t/state POUCH_TODAY=2026-11-30 TZ=UTC LANG=C.UTF-8 \
	timeout 120 "$POUCH" --password-command "cat '$pw'" --keys "$t/$name.keys" \
		--dump "$t/$name.out" "$@" "$POUCH_URL" >"$t/$name.stdout" 2>"$t/$name.stderr"
	rc=$?
}
keys() { cat > "$t/$1.keys"; }
# screen NAME K: the K-th dump (1-based) of NAME
screen() { awk -v k="$2" '/^=== /{n++} n==k' "$t/$1.out"; }
# same NAME K GOLDEN: the K-th screen equals tests/ui/GOLDEN
same() {
	screen "$1" "$2" > "$t/got"
	if cmp -s "$t/got" "$golden/$3"; then
		ok 0 "screen $3"
	else
		ok 1 "screen $3"
		diff -u "$golden/$3" "$t/got" | sed 's/^/# /' | head -40
		[ -n "${POUCH_UI_UPDATE:-}" ] && cp "$t/got" "$golden/$3"
	fi
}
has() { grep -qF -- "$3" "$t/$1.out.$2" 2>/dev/null || { screen "$1" "$2" > "$t/$1.out.$2"; }; grep -qF -- "$3" "$t/$1.out.$2"; ok $? "$4"; }
count() { pc stat | cut -d' ' -f1; }

# 1. The index: every message, Cyrillic decoded, at 80x24 and at 40x10; a
# resize round trip gives the same screen back.
keys index <<'KEYS'
@dump
@resize 40x10
@dump
@resize 100x30
@resize 80x24
@dump
G
@dump
x
KEYS
reader index
is "$rc" 0 "index: exit 0"
same index 1 index-80x24.txt
same index 2 index-40x10.txt
screen index 1 > "$t/a"; screen index 3 > "$t/b"
cmp -s "$t/a" "$t/b"
ok $? "resize 40x10 -> 100x30 -> 80x24 restores the screen exactly"
same index 4 index-end.txt
is "$(count)" 41 "index: nothing deleted by x"

# 2. The pager: KOI8-R, windows-1251 (QP), HTML only; J walks on.
keys pager <<'KEYS'
jj<Enter>
@dump
J
@dump
q
=
/
@text order #88213
<Enter>
<Enter>
@dump
q
x
KEYS
reader pager
is "$rc" 0 "pager: exit 0"
same pager 1 pager-koi8r.txt
same pager 2 pager-cp1251.txt
same pager 3 pager-html.txt

# 2b. What was read stays read in the next session (kept by UIDL).
keys reread <<'KEYS'
@dump
x
KEYS
reader reread
screen reread 1 | sed -n '5,7p;24p' > "$t/got"
cat > "$t/want" <<'ROWS'
    3 O   Nov 02 Григорий             823  Съешь же ещё этих мягких французских…
    4 O   Nov 02 Техподдержка        1.4K  Регламентные работы 6 ноября
    5 N   Nov 02 Ольга Смирнова       685  Счёт № 1172 на оплату
-- pouch: alice@127.0.0.1 [41 msgs, 38 new, 0 del, 64K] plain          -(1/41)--
ROWS
cmp -s "$t/got" "$t/want"
ok $? "messages 3 and 4, read in the last session, show O; 38 new (25 was read too)" || diff "$t/want" "$t/got" | sed 's/^/# /'
store=$t/home/.local/share/pouch/alice@127.0.0.1%3A$DOVECOT_PORT
! ls "$t"/state/pouch/read-* >/dev/null 2>&1
ok $? "no read-state file is written any more (the store keeps the flags)"
uidr3=$(pc uidl | sed -n 's/^3 //p')
uidr4=$(pc uidl | sed -n 's/^4 //p')
ls "$store/cur" | grep -q ",U=$uidr3:2,[A-Z]*S" && ls "$store/cur" | grep -q ",U=$uidr4:2,[A-Z]*S"
ok $? "messages 3 and 4 are read in the store (:2,S in their names)"

# 2c. The reader's RETRs count for LAST as the command line's do (one
# record, sess.h): Dovecot refuses LAST, pouch answers from the record.
HOME=$t/home XDG_STATE_HOME=$t/state "$POUCH" --password-command "cat '$pw'" "$POUCH_URL" last \
	>"$t/last.out" 2>"$t/last.err"
is "$(tr -d ' \n' < "$t/last.out")" 25 "LAST after the reader read 3, 4 and 25: 25, from the shared record"
[ -s "$store/.pouch-last" ] && ! ls "$t"/state/pouch/last-* >/dev/null 2>&1
ok $? "the reader's LAST record is in the store (.pouch-last), not in the state directory"

# 3. Search in the index and in the pager; limit; sort.
keys search <<'KEYS'
/
@text счёт
<Enter>
@dump
n
@dump
<Enter>
/
@text 1172
<Enter>
@dump
q
l
@text Moving
<Enter>
@dump
l
<C-u><Enter>
o s
@dump
O
@dump
x
KEYS
reader search
same search 1 search-index.txt
same search 2 search-index-next.txt
same search 3 search-pager.txt
same search 4 limit.txt
same search 5 sort-size.txt
same search 6 sort-size-rev.txt

# 3b. A digit jumps to that message number, as in mutt ("Jump to message:"
# starts with the digit typed).
keys jump <<'KEYS'
1
@text 5
<Enter>
@dump
4
@text 2
<Enter>
@dump
l
@text Moving
<Enter>
3
<Enter>
@dump
x
KEYS
reader jump
has jump 1 '>  15 ' "1 5 Enter: the cursor is on message 15"
has jump 2 'There is no message 42' "42: there is no such message"
has jump 3 'Message 3 is not shown under the limit' "3 under a limit: says the limit hides it"

# 4. The attachment menu of the forwarded message; save one part (its
# bytes equal the ones --extract writes); save all; a hostile name stays
# inside the directory.
pc retr 15 > "$t/15.eml"
"$POUCH" --extract "$t/x15" "$t/15.eml" >/dev/null 2>&1
{
	printf '/\n@text Fwd: Contract\n<Enter>\nv\n@dump\njjjjj\n@dump\ns\n<C-u>\n@text %s/one.pdf\n<Enter>\n@dump\nS\n@dump\nq\n' "$t"
	printf 'G\nv\nS\n@dump\nq\nx\n'
} > "$t/attach.keys"
reader attach
is "$rc" 0 "attach: exit 0"
same attach 1 attach-15.txt
pdf=$(ls "$t/x15" | grep '\.pdf$' | head -1)
cmp -s "$t/one.pdf" "$t/x15/$pdf"
ok $? "s saved the PDF byte for byte as --extract does ($pdf)"
has attach 3 "Saved to $t/one.pdf" "the message line says where it went"
is "$(ls "$t/dl" | grep -c 'contract')" 1 "S saved the forwarded message's PDF"
for f in "$t/x15"/*; do
	b=$(basename "$f")
	cmp -s "$f" "$t/dl/$b"
	ok $? "S: $b equals --extract's"
done
[ ! -e /tmp/pouch-evil.txt ] && [ -f "$t/dl/pouch-evil.txt" ]
ok $? "a hostile ../../ file name is saved inside the download directory"

# 4b. Pipe and mailcap: | gets the decoded bytes; o runs the mailcap entry
# (test= honoured) on a private copy; copiousoutput shows in the pager; a
# file name with quotes and $( ) never reaches the viewer's shell, even where
# the mailcap entry quotes %s itself: the copy is named part-N.EXT.
mkdir -p "$t/home"
cat > "$t/home/.mailcap" <<MAILCAP
# the first entry's test hangs and is killed (3 s), the second's fails,
# so the third one is used
application/pdf; cat %s > $t/wrong.pdf; test=sleep 60; touch $t/slept
application/pdf; cat %s > $t/wrong.pdf; test=false
application/pdf; cat %s > $t/viewed.pdf; test=test -n %t
text/plain; cat; copiousoutput
application/x-evil; printf '%%s' '%s' "%t" > $t/argv.txt
MAILCAP
{
	printf '/\n@text Fwd: Contract\n<Enter>\nv\njjjjj\n|\n@text cat > %s/piped.pdf\n<Enter>\no\nk\no\n@dump\nq\nq\n' "$t"
	printf 'G\nv\nG\no\n@dump\nq\nx\n'
} > "$t/mailcap.keys"
reader mailcap
is "$rc" 0 "mailcap: exit 0"
cmp -s "$t/piped.pdf" "$t/x15/$pdf"
ok $? "| piped the decoded PDF to the command"
cmp -s "$t/viewed.pdf" "$t/x15/$pdf" && [ ! -e "$t/wrong.pdf" ]
ok $? "o ran the mailcap entry whose test= passed, on the decoded bytes"
sleep 0.2
[ ! -e "$t/slept" ] && ! pgrep -f "sleep 60; touch $t/slept" >/dev/null
ok $? "a test= command that hangs is killed with its process group, and counts as failed"
has mailcap 1 "the contract draft is attached." "copiousoutput: the viewer's output in the pager"
[ ! -e pwned-by-name ] && [ ! -e "$t/home/pwned-by-name" ]
ok $? "a file name with quotes and \$( ) ran nothing"
grep -Eq "^/.*/part-[0-9]+\.datapplication/x-evil\$" "$t/argv.txt"
ok $? "... the viewer got the private copy part-N.dat and the type ($(cat "$t/argv.txt" 2>/dev/null))"

# 5. Terminal safety: no escape sequence from the hostile message reaches
# the screen (the dump shows them as ^[ and <U+202E>).
keys hostile <<'KEYS'
G
@dump
<Enter>
@dump
x
KEYS
reader hostile
! grep -q "$(printf '\033')" "$t/hostile.out"
ok $? "no ESC byte in any screen"
has hostile 1 '^[]2;pwned^G' "the sender's OSC sequence shows as text"
has hostile 1 '<U+202E>' "a right-to-left override in the subject shows as <U+202E>"
has hostile 2 'body ^[]2;pwned^G and ^[[6n here' "the body's escapes show as text"

# 6. Deletion: d then x deletes nothing; d then q deletes exactly that
# message; d, the connection drops, q reconnects and deletes exactly that.
uid3=$(pc uidl | sed -n 's/^3 //p')
keys dx <<'KEYS'
jj
d
@dump
x
KEYS
reader dx
same dx 1 delete-marked.txt
is "$(count)" 41 "d then x: nothing deleted"
keys dq <<'KEYS'
jj
d
q
y
KEYS
reader dq
is "$rc" 0 "d then q: exit 0"
is "$(count)" 40 "d then q: one message fewer"
store=$t/home/.local/share/pouch/alice@127.0.0.1%3A$DOVECOT_PORT
is "$(ls "$store/new" "$store/cur" | grep -c ",U=$uid3")" 1 "d then q: the deleted message was stored first (a durable copy)"
pc uidl | grep -q " $uid3\$"
ok $((!$?)) "d then q: exactly message 3 ($uid3) is gone"
dovecot_reset_mailbox
uid5=$(pc uidl | sed -n 's/^5 //p')
keys drop <<'KEYS'
jjjj
d
@sleep 2500
q
y
@dump
KEYS
( sleep 1.2
  # end pouch's session from the server side: its pop3 process
  for p in $(ps -o pid= --ppid "$DOVECOT_PID"); do
	case $(cat /proc/"$p"/cmdline 2>/dev/null | tr '\0' ' ') in
	*"pop3 "*|*"pop3"*alice*) kill "$p" ;;
	esac
  done ) &
killer=$!
reader drop
wait "$killer"
is "$rc" 0 "drop: exit 0 after reconnecting"
is "$(count)" 40 "drop: one message fewer"
pc uidl | grep -q " $uid5\$"
ok $((!$?)) "drop: exactly message 5 ($uid5) is gone"
dovecot_reset_mailbox

# 7. The POP3 prompt: STAT, LIST 3, DELE 2 (the row shows D), RSET (it
# does not), :help DELE, USER refused; QUIT with nothing marked quits.
keys prompt <<'KEYS'
:
@text STAT
<Enter>
:
@text LIST 3
<Enter>
:
@text DELE 2
<Enter>
@dump
:
@text RSET
<Enter>
@dump
:
@text help DELE
<Enter>
@dump
q
:
@text USER bob
<Enter>
@dump
:
@text QUIT
<Enter>
KEYS
reader prompt
is "$rc" 0 "prompt: exit 0"
same prompt 1 prompt-dele.txt
same prompt 2 prompt-rset.txt
same prompt 3 prompt-help-dele.txt
has prompt 4 "USER is refused here" "USER at the prompt is refused with a reason"
is "$(count)" 41 "prompt: DELE then RSET deleted nothing"

# 8. Signals: SIGTERM, SIGHUP and SIGINT end the reader, deleting nothing.
for s in TERM HUP INT; do
	printf 'd\n@signal %s\nq\ny\n' "$s" > "$t/sig.keys"
	reader sig
	is "$rc" 130 "SIG$s: exit 130"
	is "$(count)" 41 "SIG$s: nothing deleted"
done

# 9. Help comes from the key table: every request of the index is listed.
keys help <<'KEYS'
?
@dump
x
KEYS
reader help
same help 1 help-index.txt

# 9b. After a drop, opening a message not in the store starts a reconnect; its
# RETR waits for the new session's listing, then the pager shows it.
keys dropread <<'KEYS'
@sleep 2500
jjjjjjjj<Enter>
@dump
q
x
KEYS
( sleep 1.2
  for p in $(ps -o pid= --ppid "$DOVECOT_PID"); do
	case $(cat /proc/"$p"/cmdline 2>/dev/null | tr '\0' ' ') in
	*"pop3 "*|*"pop3"*alice*) kill "$p" ;;
	esac
  done ) &
killer=$!
reader dropread
wait "$killer"
is "$rc" 0 "drop, then Enter: exit 0"
has dropread 1 "Subject: New logo draft" "drop, then Enter: the message opens from a new session"
has dropread 1 "] plain " "drop, then Enter: the reader is connected again (the message was not stored)"

uidr3=$(pc uidl | sed -n 's/^3 //p')
# 9c. A read-state file of an earlier version moves into the store: its
# UIDs become read flags (pending ones for messages not stored), the file
# is renamed FILE.migrated, and the next reader shows them read.
uidr6=$(pc uidl | sed -n 's/^6 //p')
rs="$t/state/pouch/read-alice@127.0.0.1%3A$DOVECOT_PORT"
mkdir -p "$t/state/pouch"
printf 'pouch-read/1\n%s\n%s\nnot a uid\n' "$uidr6" "$uidr3" > "$rs"
keys migrate <<'KEYS'
@dump
x
KEYS
reader migrate
[ ! -e "$rs" ] && [ -f "$rs.migrated" ]
ok $? "the read-state file was renamed to .migrated (not deleted)"
grep -qx "$uidr6" "$store/pouch-read-pending" 2>/dev/null
ok $? "message 6 (not stored) is a pending read flag in the store"
keys migrated <<'KEYS'
@dump
x
KEYS
reader migrated
screen migrated 1 | sed -n '8p' | grep -q '^    6 O '
ok $? "the next reader shows message 6 read (O)" || screen migrated 1 | sed -n '8p' | sed 's/^/# /'
[ ! -e "$rs" ]
ok $? "no read-state file came back"

# 9d. A second reader on the same account: the store is read-only, the
# status line says which PID holds it, and nothing is written.
keys holder <<'KEYS'
@sleep 8000
x
KEYS
HOME=$t/home XDG_CONFIG_HOME=$t/cfg XDG_STATE_HOME=$t/state POUCH_TODAY=2026-11-30 TZ=UTC LANG=C.UTF-8 \
	"$POUCH" --password-command "cat '$pw'" --keys "$t/holder.keys" --dump "$t/holder.out" \
	"$POUCH_URL" >/dev/null 2>&1 &
holder=$!
sleep 2
ls -l --time-style=+%s.%N "$store" "$store/cur" "$store/new" > "$t/store.before" 2>/dev/null
keys second <<'KEYS'
@dump
jjjjjjj<Enter>
@dump
q
x
KEYS
reader second --size 120x24
ls -l --time-style=+%s.%N "$store" "$store/cur" "$store/new" > "$t/store.after" 2>/dev/null
wait "$holder"
has second 1 "store read-only (PID $holder)" "a second reader's status line says the store is read-only and which PID holds it"
has second 2 "Subject:" "it still reads a message (from the server)"
cmp -s "$t/store.before" "$t/store.after"
ok $? "the second reader wrote nothing to the store" || diff "$t/store.before" "$t/store.after" | sed 's/^/# /'
[ ! -e "$rs" ]
ok $? "...nor a read-state file"

# 10b. The local store: sync, then the reader with no server at all: every
# message opens, every attachment saves the bytes --extract gives.
XDG_DATA_HOME=$t/data HOME=$t/home "$POUCH" --password-command "cat '$pw'" sync --store "$t/S" "$POUCH_URL" >"$t/sync.out" 2>&1
is "$?" 0 "sync into a store: exit 0"
dovecot_stop
mkdir -p "$t/dl2"
printf 'download_dir = %s\n' "$t/dl2" > "$t/cfg/pouch/config"
{
	echo @dump
	i=0
	while [ $i -lt 41 ]; do
		printf '<Enter>\nq\nv\nS\nq\nj\n'
		i=$((i + 1))
	done
	echo @dump
	echo x
} > "$t/offline.keys"
reader offline --offline --store "$t/S"
is "$rc" 0 "offline: exit 0"
has offline 1 "Offline: 41 messages in the local store" "offline: the store's 41 messages, no server"
has offline 1 "Welcome to pouch" "offline: the index shows the stored headers"
has offline 2 "[41 msgs, 0 new" "offline: every message opened (none new)"
for f in "$t/S"/cur/* "$t/S"/new/*; do
	[ -f "$f" ] || continue
	d=$t/xs/$(basename "$f" | tr ':,' '__'); mkdir -p "$d"
	"$POUCH" --extract "$d" "$f" >/dev/null 2>&1
done
( cd "$t/xs" && find . -type f -exec sha256sum {} + | cut -d' ' -f1 | sort ) > "$t/want.sums"
( cd "$t/dl2" && find . -type f -exec sha256sum {} + | cut -d' ' -f1 | sort ) > "$t/got.sums"
is "$(wc -l < "$t/got.sums" | tr -d ' ')" "$(wc -l < "$t/want.sums" | tr -d ' ')" "offline: S saved as many attachments as --extract finds"
cmp -s "$t/want.sums" "$t/got.sums"
ok $? "offline: and the same bytes"
printf 'download_dir = %s\n' "$t/dl" > "$t/cfg/pouch/config"

# 11. Nothing waits for the network: a QUIT answered 3 s late (the fault
# server's new-mail scenario holds connection 2's QUIT). r makes the
# session connection 2; d then $ commits there; meanwhile j moves the
# cursor (acted on at once) and d waits for the commit (held, then done);
# a script's key waits for an end at most 1 s (END_WAIT_MS in ui.c);
# the commit deletes exactly message 1 and the reader reconnects, seeing
# the new mail.
# fs_start SCENARIO: a fault server for 3 connections, its log emptied,
# its port in $fsport; fs_stop ends it (by its PID).
fsdir=$t/fs
mkdir -p "$fsdir"
fs_start() {
	: > "$fsdir/log"
	rm -f "$fsdir/port"
	"$PYTHON3" "$top_srcdir/tests/lib/faultserver.py" --scenario "$1" --port-file "$fsdir/port" \
		--log "$fsdir/log" --lifetime 60 --connections 3 </dev/null &
	fspid=$!
	n=0
	while [ ! -s "$fsdir/port" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	fsport=$(cat "$fsdir/port")
}
fs_stop() {
	kill "$fspid" 2>/dev/null
	wait "$fspid" 2>/dev/null
}
fs_start new-mail
keys slowquit <<'KEYS'
r
d
$
j
d
@dump
@sleep 4000
@dump
x
KEYS
POUCH_URL=pop3://u@127.0.0.1:$fsport reader slowquit
fs_stop
is "$rc" 0 "slow QUIT: exit 0"
has slowquit 1 "ending" "while QUIT is unanswered the status line says the session is ending"
has slowquit 1 "Key held until the session's end is over" "a d typed meanwhile waits for the commit"
screen slowquit 1 | grep -q '^>   3 N '
ok $? "a j typed meanwhile moved the cursor at once (d had moved it to 2)"
grep -q "QUIT of connection 2 held back" "$fsdir/log"
ok $? "the QUIT answered late was connection 2's"
is "$(grep -c '^# committed: 1$' "$fsdir/log")" 1 "the commit deleted exactly message 1"
has slowquit 2 "new mail" "the reader reconnected after the commit: the new mail is listed"
screen slowquit 2 | grep -q '^    3 D ' && screen slowquit 2 | grep -q '^>   4 N .*new mail'
ok $? "the held d marked message 3 once the commit was over" || screen slowquit 2 | sed -n '3,8p' | sed 's/^/# /'

# 11b. Esc while that QUIT is unanswered gives the commit up: the reader
# says the server may have deleted (QUIT was out), stays up, and deletes
# nothing more; x then leaves.
fs_start new-mail
keys giveup <<'KEYS'
r
d
$
<Esc>
@dump
x
KEYS
POUCH_URL=pop3://u@127.0.0.1:$fsport reader giveup
sleep 3.5
fs_stop
is "$rc" 0 "Esc during QUIT: exit 0"
has giveup 1 "Given up while the server was deleting" "Esc during QUIT: the reader says the server may have deleted"
has giveup 1 "    1 D " "Esc during QUIT: the mark stays (by UIDL) until a session shows what is left"
is "$(grep -c '^# connection' "$fsdir/log")" 2 "Esc during QUIT: no other session was opened"

# 11c. Esc while the commit's DELE is unanswered (the fault server's
# slow-dele holds connection 2's DELE 3 s): QUIT never went out, so the
# reader says nothing was deleted, and the server committed nothing.
fs_start slow-dele
keys giveupdele <<'KEYS'
r
d
$
<Esc>
@dump
x
KEYS
POUCH_URL=pop3://u@127.0.0.1:$fsport reader giveupdele
sleep 3.5
fs_stop
is "$rc" 0 "Esc before QUIT: exit 0"
grep -q "DELE of connection 2 held back" "$fsdir/log"
ok $? "Esc before QUIT: the commit's DELE was the one held back"
has giveupdele 1 "Given up: nothing deleted" "Esc before QUIT: the reader says nothing was deleted"
has giveupdele 1 "    1 D " "Esc before QUIT: the mark stays"
is "$(grep -c '^# committed: [0-9]' "$fsdir/log")" 0 "Esc before QUIT: the server committed nothing"

# 10. The server screen over TLS: version, cipher, the certificate's
# SHA-256 (as openssl computes it), the login method and CAPA.
dovecot_stop
dovecot_start --ssl --maildir "$t/Maildir" || exit 99
printf '%s\n' "$DOVECOT_PASS" > "$pw"
keys info <<'KEYS'
i
@dump
q
x
KEYS
POUCH_URL=$POUCH_URL_SSL reader info --cacert "$DOVECOT_CA"
is "$rc" 0 "pop3s: exit 0"
fp=$(openssl x509 -in "$DOVECOT_DIR/ssl/server.crt" -noout -fingerprint -sha256 | sed 's/^.*=//')
screen info 1 | tr -d '\n' | grep -qF "Certificate SHA-256:$fp"
ok $? "i shows the server certificate's SHA-256 (wrapped to the screen)"
has info 1 "TLS: TLSv1.3, TLS_" "i shows the TLS version and cipher"
has info 1 "Login method: PLAIN" "i shows the login method used"
has info 1 "PIPELINING" "i shows the CAPA lines"

done_testing
