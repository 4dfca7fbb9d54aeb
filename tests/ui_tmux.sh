# ui_tmux.sh: the reader in a real terminal (tmux), as a person runs it:
# what reaches the terminal from a hostile message (the raw bytes, not only
# the rendered screen), a resize to 40x10, and the terminal restored after
# Ctrl-C, SIGTERM and SIGHUP, with nothing deleted on the server.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/dovecot.sh"
dovecot_require
[ -x "$POUCH" ] || skip_all "no pouch binary at '$POUCH'"
command -v tmux >/dev/null 2>&1 || skip_all "tmux is not installed"

t=$(mktemp -d "${TMPDIR:-/tmp}/pouch-tmux.XXXXXX") || exit 99
sock=$t/tmux.sock
at_exit "tmux -S '$sock' kill-server; rm -rf '$t'"
"$PYTHON3" "$top_srcdir/scripts/gen-mailbox" --no-large "$t/Maildir" || exit 99
printf '%s\n' \
	"From: =?UTF-8?B?G10yO3B3bmVkBw==?= <evil@example.org>" \
	"Subject: =?UTF-8?B?G1s2buKArnRpdGxl?=" \
	"Date: Mon, 30 Nov 2026 10:00:00 +0000" \
	"" \
	"$(printf 'body \033]2;pwned\007 and \033[6n and \033[?1049l here')" \
	"see https://example.org/pouch?q=osc52&x=1 for more" \
	> "$t/Maildir/cur/zzzz-hostile:2,"
dovecot_start --maildir "$t/Maildir" || exit 99
printf '%s\n' "$DOVECOT_PASS" > "$t/pw"
pc() { "$PYTHON3" "$top_srcdir/tests/lib/popcheck.py" 127.0.0.1 "$DOVECOT_PORT" alice "$DOVECOT_PASS" "$@"; }

tm() { tmux -S "$sock" "$@"; }
cap() { tm capture-pane -p -t pouch; }
# wait_for TEXT [SECONDS]: until the pane shows TEXT
wait_for() {
	n=0
	while ! cap | grep -qF -- "$1"; do
		n=$((n + 1))
		if [ $n -gt $(( ${2:-10} * 10 )) ]; then
			cap | sed 's/^/# | /'
			return 1
		fi
		sleep 0.1
	done
	return 0
}
tm -f /dev/null new-session -d -s pouch -x 80 -y 24 "env -i PATH=$PATH HOME=$t TERM=xterm-256color LANG=C.UTF-8 PS1='READY\$ ' sh" || exit 99
wait_for 'READY$' || { echo "Bail out! no shell in tmux"; exit 1; }
tm pipe-pane -o -t pouch "cat >> '$t/raw'"
start() {
	tm send-keys -t pouch "exec 2>$t/err; $POUCH --password-command 'cat $t/pw' $POUCH_URL; echo EXIT=\$?" Enter
	wait_for 'Welcome to pouch' 20
}

start
ok $? "the index appears in a terminal"
tm send-keys -t pouch G Enter
wait_for 'here' 10
ok $? "the hostile message opens"
sleep 0.3
! grep -q "$(printf '\033]2;pwned')" "$t/raw"
ok $? "its OSC title sequence never reaches the terminal"
! grep -q "$(printf '\033\\[6n')" "$t/raw"
ok $? "its cursor-position query never reaches the terminal"
! grep -qF "$(printf '\342\200\256')" "$t/raw"
ok $? "its right-to-left override never reaches the terminal raw"
cap | grep -qF 'body ^[]2;pwned^G and ^[[6n and ^[[?1049l here'
ok $? "the escapes show as text instead"

# U lists the links; with no browser configured, Enter copies the chosen one
# to the terminal's clipboard (OSC 52), which tmux keeps as a paste buffer.
tm set -g set-clipboard on
tm send-keys -t pouch U
wait_for 'links-(1/1)' 5
ok $? "U lists the message's one link"
tm send-keys -t pouch Enter
wait_for 'Copied to the clipboard' 5
ok $? "Enter without a browser says the link was copied"
is "$(tm show-buffer 2>/dev/null)" "https://example.org/pouch?q=osc52&x=1" "the clipboard (tmux's buffer) holds exactly the URL"
tm send-keys -t pouch q
wait_for 'here' 5
ok $? "q leaves the link list for the pager"

tm resize-window -t pouch -x 40 -y 10
sleep 0.5
cap > "$t/small"
is "$(wc -l < "$t/small" | tr -d ' ')" 10 "resized to 10 rows"
grep -q '^ q:Back' "$t/small" && grep -q '^-- pouch' "$t/small"
ok $? "at 40x10: the key hints on top, the status line at the bottom"
tm resize-window -t pouch -x 80 -y 24
sleep 0.5
tm send-keys -t pouch q
wait_for 'Quarterly' 10
ok $? "back to the index at 80x24, at the last message"

# Ctrl-C with nothing downloading asks, then leaves, deleting nothing.
tm send-keys -t pouch d
sleep 0.3
tm send-keys -t pouch C-c
wait_for 'Quit pouch, deleting nothing?' 5
ok $? "Ctrl-C: asks before quitting"
tm send-keys -t pouch y
wait_for 'EXIT=130' 10
ok $? "Ctrl-C: pouch exits 130"
tm send-keys -t pouch "stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo" Enter
wait_for 'icanon echo' 5
ok $? "Ctrl-C: the terminal is back in cooked mode with echo"
is "$(pc stat | cut -d' ' -f1)" 41 "Ctrl-C: nothing deleted"

for sig in TERM HUP; do
	tm send-keys -t pouch clear Enter
	start
	tm send-keys -t pouch d
	sleep 0.3
	shell=$(tm display -p -t pouch '#{pane_pid}')
	pid=$(ps -o pid= --ppid "$shell" | tr -d ' ' | head -1)
	[ -n "$pid" ] && kill -"$sig" "$pid"
	wait_for 'EXIT=130' 10
	ok $? "SIG$sig: pouch exits 130"
	tm send-keys -t pouch "stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo" Enter
	wait_for 'icanon echo' 5
	ok $? "SIG$sig: the terminal is restored"
	is "$(pc stat | cut -d' ' -f1)" 41 "SIG$sig: nothing deleted"
done
done_testing
