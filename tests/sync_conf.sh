# sync_conf.sh: `pouch sync` on the accounts of the configuration, and the
# LAST record in the store, against a private Dovecot with two users:
# alice (delete = keep, a configured store) and bob (delete =
# after-download, the default store), plus an account nothing answers for.
# sync NAME, sync (the default account), sync URL (the account's settings),
# options over the account's policy, sync --all (each account in turn, on
# after a failure, one line each, the highest status); then the LAST record
# moving from the state directory into the store on first use; and QUIT
# behind the last RETR under keep.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-sconf.XXXXXX") || exit 1
at_exit "rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large "$t/mb" >/dev/null ||
	{ echo "Bail out! gen-mailbox failed"; exit 1; }
dovecot_start --maildir "$t/mb" || { echo "Bail out! dovecot_start failed"; exit 1; }

# bob: a second user beside alice (Dovecot rereads its passwd-file), with
# the first five of alice's messages.
bobpw=bob-Secret-42
bobhome=$DOVECOT_DIR/home/bob
owner=$(stat -c %u:%g "$DOVECOT_DIR/home/alice")
sed -n "1s|^alice:{PLAIN}[^:]*:\\([^:]*\\):\\([^:]*\\)::.*|bob:{PLAIN}$bobpw:\\1:\\2::$bobhome::|p" \
	"$DOVECOT_DIR/passwd" >> "$DOVECOT_DIR/passwd"
mkdir -p "$bobhome/Maildir/new" "$bobhome/Maildir/cur" "$bobhome/Maildir/tmp"
for f in $(ls "$DOVECOT_MAILDIR/cur" | sort | head -5); do
	cp "$DOVECOT_MAILDIR/cur/$f" "$bobhome/Maildir/cur/"
done
[ "$(id -u)" = 0 ] && chown -R "$owner" "$bobhome"
bobcount() { ls "$bobhome/Maildir/cur" "$bobhome/Maildir/new" | grep -c -v -e '^$' -e ':$'; }

# a port nothing listens on
dead=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

export XDG_DATA_HOME="$t/data" XDG_STATE_HOME="$t/state" XDG_CONFIG_HOME="$t/cfg" HOME="$t/home"
mkdir -p "$HOME"
A=$POUCH_URL
B=pop3://bob@127.0.0.1:$DOVECOT_PORT
C="$t/config"
cat > "$C" <<EOF
default_account = alice
timeout = 10
[account alice]
url = $A
password_command = echo $DOVECOT_PASS
store = $t/S-alice
[account dead]
url = pop3://carol@127.0.0.1:$dead
password_command = echo x
[account bob]
url = $B
password_command = echo $bobpw
delete = after-download
EOF
bobstore="$t/data/pouch/bob@127.0.0.1%3A$DOVECOT_PORT"
alicestore="$t/data/pouch/alice@127.0.0.1%3A$DOVECOT_PORT"
files() { ls "$1/new" "$1/cur" 2>/dev/null | grep -c ',U='; }
P() { "$POUCH" --config "$C" "$@"; }

# --- usage
P sync nosuch 2>"$t/err"; rc=$?
is "$rc:$(cat "$t/err")" "2:pouch: sync: no [account nosuch] in $C" "sync NAME of no account: exit 2"
P sync --all --store "$t/x" 2>"$t/err"; rc=$?
is "$rc:$(cat "$t/err")" "2:pouch: sync: --all does not go with --store (each account has its own)
Try 'pouch --help'." "sync --all --store: exit 2"
P sync --all bob 2>"$t/err"; rc=$?
is "$rc:$(head -1 "$t/err")" "2:pouch: sync: --all syncs every configured account: give no ACCOUNT or URL" \
	"sync --all NAME: exit 2"
P sync -a bob alice 2>"$t/err"; rc=$?
is "$rc" 2 "sync -a NAME NAME: exit 2"
printf '[account x]\nurl = pop3://h\ndelete = sometimes\n' > "$t/bad.conf"
"$POUCH" --config "$t/bad.conf" sync x 2>"$t/err"; rc=$?
is "$rc:$(cat "$t/err")" "2:pouch: $t/bad.conf:3: delete is keep, after-download, or after N days" \
	"a bad delete setting: exit 2, FILE:LINE"
"$POUCH" --config "$t/bad.conf" "$A" stat 2>"$t/err"; rc=$?
is "$rc" 2 "a bad configuration stops the command line too"

# --- sync (the default account, alice): keep, into the configured store
P sync 2>"$t/err"; rc=$?
is "$rc" 0 "sync (the default account): exit 0"
is "$(tail -1 "$t/err")" "pouch: sync alice: 40 new (0.1 MB); 40 on the server, 40 in $t/S-alice; 0 deleted from the server" \
	"sync: one line, named by the account, in its configured store"
is "$(files "$t/S-alice"):$(dovecot_maildir_count)" "40:40" "sync alice: 40 stored, 40 left on the server (keep)"
is "$(ls "$t/data" 2>/dev/null | wc -l)" 0 "sync alice: nothing in the default data directory"

# --- sync URL: the account's settings when its url is the URL
P --trace sync "$A" 2>"$t/trace"; rc=$?
is "$rc:$(grep -c '^C: RETR' "$t/trace")" "0:0" "sync URL of the default account: its store (nothing new)"

# --- sync bob: delete = after-download, the default store
P --trace sync bob 2>"$t/trace"; rc=$?
is "$rc" 0 "sync bob: exit 0"
is "$(grep -c '^C: DELE' "$t/trace")" 5 "sync bob: five DELEs (after-download)"
is "$(tail -1 "$t/trace")" "pouch: sync bob: 5 new (0.0 MB); 5 on the server, 5 in $bobstore; 5 deleted from the server" \
	"sync bob: says so, in the default store"
is "$(bobcount):$(files "$bobstore")" "0:5" "sync bob: the server is empty, the store holds the five"
# Dovecot serves the same five to alice, whose copies came through another
# account and store.
n=0
for g in "$bobstore"/new/* "$bobstore"/cur/*; do
	[ -f "$g" ] || continue
	for f in "$t/S-alice"/new/* "$t/S-alice"/cur/*; do
		cmp -s "$f" "$g" && { n=$((n + 1)); break; }
	done
done
is "$n" 5 "sync bob: each stored copy is byte-identical to alice's of the same message"

# --- an option overrides the account's policy
cp "$DOVECOT_MAILDIR/cur/$(ls "$DOVECOT_MAILDIR/cur" | sort | sed -n 7p)" "$bobhome/Maildir/new/1800000001.x.host"
[ "$(id -u)" = 0 ] && chown -R "$owner" "$bobhome"
P --trace sync --delete-after 30 bob 2>"$t/trace"; rc=$?
is "$rc:$(grep -c '^C: RETR' "$t/trace"):$(grep -c '^C: DELE' "$t/trace")" "0:1:0" \
	"sync --delete-after 30 bob: fetched, not deleted (the option wins)"
is "$(bobcount)" 1 "sync --delete-after 30 bob: still on the server"

# --- sync --all: alice (keep), dead (cannot connect), bob (after-download)
cp "$DOVECOT_MAILDIR/cur/$(ls "$DOVECOT_MAILDIR/cur" | sort | sed -n 8p)" "$bobhome/Maildir/new/1800000002.x.host"
printf 'From: n@example.org\nSubject: for alice\n\nNew.\n' > "$DOVECOT_MAILDIR/new/1800000003.x.host"
[ "$(id -u)" = 0 ] && chown -R "$owner" "$bobhome" "$DOVECOT_MAILDIR/new"
P sync --all >"$t/out" 2>"$t/err"; rc=$?
is "$rc" 5 "sync --all: exit 5, the worst status (dead could not connect)"
grep -v '^pouch: sync dead: ' "$t/err" > "$t/err2"
cat > "$t/want" <<EOF
pouch: sync alice: 1 new (0.0 MB); 41 on the server, 41 in $t/S-alice; 0 deleted from the server
pouch: sync bob: 1 new (0.0 MB); 2 on the server, 7 in $bobstore; 2 deleted from the server
pouch: sync --all: 2 of 3 accounts synced; failed: dead (status 5)
EOF
is "$(cat "$t/err2")" "$(cat "$t/want")" "sync --all: a line per account, then a summary naming the failure"
grep -q '^pouch: sync dead: .*127\.0\.0\.1' "$t/err"
ok $? "sync --all: the dead account's line says what failed"
grep -q '^pouch: sync dead: nothing was deleted from the server$' "$t/err"
ok $? "sync --all: ... and that nothing was deleted"
is "$(files "$t/S-alice"):$(dovecot_maildir_count):$(files "$bobstore"):$(bobcount)" "41:41:7:0" \
	"sync --all: alice kept on the server, bob's deleted after download, both stores whole"
is "$(cat "$t/out")" "" "sync --all: nothing on stdout"
P -q sync --all 2>"$t/err"; rc=$?
is "$rc:$(grep -c -v '^pouch: sync dead: ' "$t/err")" "5:1" "sync -q --all: only the failure and the summary"

# Ctrl-C stops --all: the account being synced fails with 130, the rest
# are not tried
sed 's|^password_command = echo '"$DOVECOT_PASS"'$|password_command = sleep 5; echo '"$DOVECOT_PASS"'|' "$C" > "$t/slow.conf"
"$POUCH" --config "$t/slow.conf" sync --all 2>"$t/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"; rc=$?
is "$rc:$(tail -1 "$t/err")" "130:pouch: sync --all: 0 of 3 accounts synced; failed: alice (status 130); 2 not tried (interrupted)" \
	"sync --all, Ctrl-C in the first account: 130, the others not tried"

# --- the LAST record moves into the store on first use
old="$t/state/pouch/last-alice@127.0.0.1%3A$DOVECOT_PORT"
"$POUCH" --password-command "echo $DOVECOT_PASS" --state-dir "$t/state/pouch" "$A" retr 3 -- retr 5 \
	>/dev/null 2>&1
[ -f "$old" ]
ok $? "--state-dir keeps the record in DIR/last-ACCOUNT, as before"
cp "$old" "$t/old-record"
"$POUCH" --password-command "echo $DOVECOT_PASS" "$A" last >"$t/out" 2>"$t/err"; rc=$?
is "$rc:$(cat "$t/out")" "0:5" "last without --state-dir: 5, from the migrated record"
grep -q "answered from pouch's record" "$t/err"
ok $? "last: answered from the record (Dovecot refuses LAST)"
# The session that answered learnt that Dovecot refuses LAST, so it keeps
# 3 and 5 by UIDL from now on.
u3=$("$POUCH" --password-command "echo $DOVECOT_PASS" --state-dir "$t/other" "$A" uidl 3 2>/dev/null | cut -d' ' -f2)
u5=$("$POUCH" --password-command "echo $DOVECOT_PASS" --state-dir "$t/other" "$A" uidl 5 2>/dev/null | cut -d' ' -f2)
is "$(cat "$alicestore/.pouch-last" 2>&1)" "pouch-last 1
account alice@127.0.0.1:$DOVECOT_PORT
server-last no
uid $u3
uid $u5" "the record is now STORE/.pouch-last, with the old record's retrievals (3 and 5)"
is "$(cat "$t/old-record")" "pouch-last 1
account alice@127.0.0.1:$DOVECOT_PORT
num 3
num 5" "(the old record held 3 and 5)"
is "$(ls "$t/state/pouch" | grep -v '\.lock$')" "last-alice@127.0.0.1%3A$DOVECOT_PORT.migrated" \
	"the old record renamed to .migrated, not deleted"
is "$(cat "$old.migrated")" "$(cat "$t/old-record")" "the .migrated file is the old record, untouched"
"$POUCH" --password-command "echo $DOVECOT_PASS" "$A" retr 8 -- last >"$t/out" 2>"$t/err"; rc=$?
"$POUCH" --password-command "echo $DOVECOT_PASS" "$A" last >"$t/out" 2>"$t/err"; rc=$?
is "$rc:$(cat "$t/out")" "0:8" "retr 8 then last: 8, through the store's record"
is "$(ls "$t/state/pouch" | grep -v '\.lock$' | wc -l)" 1 "no new record in the state directory"

# an old record that appears again (an older pouch) is merged, not lost
"$POUCH" --password-command "echo $DOVECOT_PASS" --state-dir "$t/state/pouch" "$A" retr 20 \
	>/dev/null 2>&1
"$POUCH" --password-command "echo $DOVECOT_PASS" "$A" last >"$t/out" 2>"$t/err"; rc=$?
is "$rc:$(cat "$t/out")" "0:20" "a second old record is merged: 20"
[ -f "$old.migrated" ] && [ -f "$old.migrated.2" ] && [ ! -e "$old" ]
ok $? "... and renamed to .migrated.2, the first .migrated kept"

# an old record that does not parse is set aside with a warning
printf 'garbage\n' > "$old"
"$POUCH" --password-command "echo $DOVECOT_PASS" "$A" last >"$t/out" 2>"$t/err"; rc=$?
is "$rc:$(cat "$t/out")" "0:20" "an unreadable old record: last still answers from the store's"
is "$(grep '^pouch: warning:' "$t/err")" "pouch: warning: the old LAST record $old does not parse (line 1: not a pouch LAST record): not merged, kept as $old.migrated.3" \
	"... with a warning naming it and where it went"
is "$(cat "$old.migrated.3")" "garbage" "... kept byte for byte"

# the account's configured store holds the record for a URL of that account
"$POUCH" --config "$C" --password-command "echo $DOVECOT_PASS" "$A" retr 2 >/dev/null 2>&1
[ -f "$t/S-alice/.pouch-last" ]
ok $? "the configured account's store holds its record (pouch URL retr)"
"$POUCH" --config "$C" "$A" last >"$t/out" 2>/dev/null
is "$(cat "$t/out")" 2 "... and last answers from it"

# the reader moves an old record too, when it opens the account
"$POUCH" --password-command "echo $DOVECOT_PASS" --state-dir "$t/state/pouch" "$A" retr 30 \
	>/dev/null 2>&1
printf 'x\n' > "$t/keys"
"$POUCH" --config "$C" --offline --keys "$t/keys" --dump "$t/screens" "$A" >/dev/null 2>"$t/err"; rc=$?
[ ! -e "$old" ] && [ -f "$old.migrated.4" ]
ok $? "the reader (--offline) moves an old record into the store (rc $rc)"
grep -q '^num 30$' "$t/S-alice/.pouch-last"
ok $? "... merged into the account's store's record"

# the store's record does not disturb the store or a sync
P --trace sync 2>"$t/trace"; rc=$?
is "$rc:$(grep -c '^C: RETR' "$t/trace")" "0:0" "sync beside a record in the store: nothing to fetch"
"$top_builddir/tests/store_dump" "$t/S-alice" > "$t/dump" 2>&1
is "$(grep -c '^diag' "$t/dump"):$(sed -n 's/^count //p' "$t/dump")" "0:41" \
	"the index ignores .pouch-last (no diagnostics, 41 messages)"

# --- under keep QUIT goes right behind the last RETR, while the last batch
# lands (one round trip less); the sync still reports only durable copies
if command -v strace >/dev/null 2>&1; then
	# (LeakSanitizer cannot run under ptrace)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -o "$t/strace" -e trace=sendto,write,fsync \
		"$POUCH" --password-command "echo $DOVECOT_PASS" -q sync --store "$t/SQ" "$A" 2>"$t/err"
	rc=$?
	quit=$(grep -n 'QUIT\\r\\n' "$t/strace" | head -1 | cut -d: -f1)
	after=$(sed -n "${quit:-1},\$p" "$t/strace" | grep -c 'fsync(')
	is "$rc:$(files "$t/SQ")" "0:41" "keep: the sync stores all 41" || diag "$(cat "$t/err")"
	ok "$([ -n "$quit" ] && [ "$after" -ge 42 ]; echo $?)" \
		"keep: QUIT is sent before the batch (41 files and new/) is fsynced ($after fsyncs after it)"
else
	ok 0 "# skip strace is not installed"
	ok 0 "# skip strace is not installed"
fi

# --- delete = after N days, counted from the download (last: it deletes
# from alice's mailbox)
cat >> "$C" <<EOF
[account aged]
url = $A
password_command = echo $DOVECOT_PASS
store = $t/S-aged
delete = after 2 days
EOF
P --trace sync aged 2>"$t/trace"; rc=$?
is "$rc:$(grep -c '^C: RETR' "$t/trace"):$(grep -c '^C: DELE' "$t/trace")" "0:41:0" \
	"delete = after 2 days: all fetched, nothing downloaded two days ago yet"
old=$(($(date +%s) - 3 * 86400))
awk -F'\t' -v OFS='\t' -v old="$old" '$1 == "m" && n < 5 { $8 = old; n++ } { print }' \
	"$t/S-aged/.pouch-index" > "$t/idx" && cat "$t/idx" > "$t/S-aged/.pouch-index"
P --trace sync aged 2>"$t/trace"; rc=$?
is "$rc:$(grep -c '^C: DELE' "$t/trace"):$(dovecot_maildir_count)" "0:5:36" \
	"delete = after 2 days: the five downloaded three days ago are deleted, the rest kept"

done_testing
