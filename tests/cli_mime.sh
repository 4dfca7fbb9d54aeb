# cli_mime.sh: what pouch --dump-mime and --extract say on stderr about a
# FILE or DIR, or an attachment's name, that holds ESC or U+202E (the
# right-to-left override): escaped by the command line's one rule (ESC as
# ^[, U+202E as \xe2\x80\xae), byte for byte, never raw.
. "$top_srcdir/tests/lib/tap.sh"

[ -x "$POUCH" ] || skip_all "no pouch binary at '$POUCH'"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pouch-climime.XXXXXX") || exit 99
at_exit "rm -rf '$tmp'"

esc=$(printf '\033')
rlo=$(printf '\342\200\256')
# A name with both, and how stderr must show it.
evil="a${esc}[31m${rlo}b"
shown='a^[[31m\xe2\x80\xaeb'

# run ARGS...: sets $rc, and $tmp/err
run() {
	"$POUCH" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}
# raw_free: no ESC and no U+202E in stderr
raw_free() {
	! LC_ALL=C grep -q "$esc" "$tmp/err" && ! LC_ALL=C grep -q "$rlo" "$tmp/err"
}
# same_err WANT WHAT: stderr is exactly WANT and a newline
same_err() {
	printf '%s\n' "$1" | cmp -s - "$tmp/err"
	ok $? "$2: stderr byte for byte"
	if [ -f "$tmp/err" ] && ! printf '%s\n' "$1" | cmp -s - "$tmp/err"; then
		diag "want: $1"
		diag "got:  $(od -c "$tmp/err" | head -n 4 | tr '\n' ' ')"
	fi
	raw_free
	ok $? "$2: no raw ESC or U+202E"
}

cat > "$tmp/msg.eml" <<'EOF'
Subject: hostile attachment name
Content-Type: multipart/mixed; boundary=h

--h

not an attachment
--h
Content-Disposition: attachment; filename*=utf-8''x%1B%5D0%3Bt%07%E2%80%AEfdp.exe

body
--h--
EOF

# 1. --dump-mime FILE that does not exist
run --dump-mime "$tmp/$evil"
is "$rc" 2 "dump-mime, missing FILE: exit 2"
same_err "pouch: cannot open $tmp/$shown: No such file or directory" "dump-mime, missing FILE"

# 2. --dump-mime FILE that is a directory
mkdir "$tmp/d$evil"
run --dump-mime "$tmp/d$evil"
is "$rc" 2 "dump-mime, FILE a directory: exit 2"
same_err "pouch: $tmp/d$shown: is a directory" "dump-mime, FILE a directory"

# 3. --extract DIR that is a file
: > "$tmp/f$evil"
run --extract "$tmp/f$evil" "$tmp/msg.eml"
is "$rc" 2 "extract, DIR a file: exit 2"
same_err "pouch: $tmp/f$shown: Not a directory" "extract, DIR a file"

# 4. --extract DIR that is a symbolic link (to a directory)
ln -s "$tmp" "$tmp/l$evil"
run --extract "$tmp/l$evil" "$tmp/msg.eml"
is "$rc" 2 "extract, DIR a symlink: exit 2"
same_err "pouch: $tmp/l$shown: is a symbolic link (refused)" "extract, DIR a symlink"

# 5. --extract DIR whose parent is missing: cannot create it
run --extract "$tmp/none$evil/sub" "$tmp/msg.eml"
is "$rc" 7 "extract, DIR cannot be made: exit 7"
same_err "pouch: cannot create $tmp/none$shown/sub: No such file or directory" \
	"extract, DIR cannot be made"

# 6. --extract FILE missing, DIR fine
run --extract "$tmp/out" "$tmp/m$evil"
is "$rc" 2 "extract, missing FILE: exit 2"
same_err "pouch: cannot open $tmp/m$shown: No such file or directory" "extract, missing FILE"

# 7. A write that fails (no room: RLIMIT_FSIZE 0) names DIR and the
# attachment's safe name: the hostile name's ESC, BEL and U+202E are "_"
# there, and DIR is escaped. stderr goes through a pipe, stdout to
# /dev/null: the limit holds for regular files only.
mkdir "$tmp/w$evil"
{ (trap '' XFSZ; ulimit -f 0 && exec "$POUCH" --extract "$tmp/w$evil" "$tmp/msg.eml") \
	2>&1 >/dev/null </dev/null; echo $? > "$tmp/rc"; } | cat > "$tmp/err"
rc=$(cat "$tmp/rc")
is "$rc" 7 "extract, write fails: exit 7"
same_err "pouch: $tmp/w$shown: writing \"x_]0;t__fdp.exe\": File too large" \
	"extract, write fails"

done_testing
