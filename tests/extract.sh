#!/bin/sh
# extract.sh: pouch --extract DIR FILE against names that try to leave DIR
# (absolute paths, "..", RFC 2231 %2F, RFC 2047 slashes, backslashes), NUL,
# ESC, bidi overrides, long and duplicate names, and a symlink planted in
# DIR beforehand that points outside. Every attachment must land in DIR
# with its exact bytes; nothing may appear anywhere else.
. "$top_srcdir/tests/lib/tap.sh"
[ -n "$PYTHON3" ] && [ "$PYTHON3" != no ] || skip_all "python3 needed"

T=$(mktemp -d) || exit 1
at_exit "rm -rf '$T'"
mkdir -p "$T/run/a/b" "$T/out" "$T/outside"
echo "do not touch" >"$T/outside/target"
ln -s "$T/outside/target" "$T/out/planted.txt"
ln -s "$T/outside" "$T/out/planted-dir"

# Part i has the body "body i" (base64 for some): the expected files.
"$PYTHON3" - "$T/msg.eml" "$T/expected" <<'PY'
import sys, base64
names = [
    ('filename="/tmp/evil-abs"', 0),
    ('filename="../../evil-dotdot"', 0),
    ("filename*=utf-8''%2E%2E%2F%2E%2E%2Fevil-2231", 0),
    ('filename="=?utf-8?Q?=2E=2E=2F=2E=2E=2Fevil-2047?="', 0),
    ('filename="=?utf-8?B?Li4vLi4vZXZpbC0yMDQ3Yg==?="', 0),
    ('filename="..\\\\..\\\\evil-backslash"', 0),
    ("filename*=utf-8''nul%00byte.txt", 0),
    ("filename*=utf-8''esc%1B%5D0%3Btitle%07.txt", 0),
    ("filename*=utf-8''c1%C2%9B31m.txt", 0),
    ("filename*=utf-8''%E2%80%AEfdp.exe", 0),
    ("filename*=utf-8''zero%E2%80%8Bwidth.txt", 0),
    ("filename*=utf-8''marks%E2%80%8E%E2%80%8F%D8%9C%E2%80%A8%E2%80%A9%E2%81%A6.txt", 0),
    ('filename="' + "x" * 1000 + '.txt"', 0),
    ("filename*=utf-8''" + "%D0%B6" * 200 + ".txt", 0),
    ('filename="dup.txt"', 0), ('filename="dup.txt"', 0), ('filename="dup.txt"', 1),
    ('filename="."', 0), ('filename=".."', 0), ('filename=""', 0),
    ('filename="planted.txt"', 0),
    ('filename="planted-dir/inside"', 0),
    ('filename="planted-dir"', 0),
    ('filename="sub/"', 0),
    ('filename="/"', 0),
    ('filename="line\\r\\nbreak"', 0),
    (None, 0),
]
out = ["Subject: hostile names\nContent-Type: multipart/mixed; boundary=h\n\n--h\n\nnot an attachment\n"]
exp = []
for i, (fn, b64) in enumerate(names):
    body = b"body %d\n" % i
    hdr = "Content-Disposition: attachment" + ("; " + fn if fn else "") + "\n"
    if b64:
        hdr += "Content-Transfer-Encoding: base64\n"
        enc = base64.encodebytes(body).decode()
    else:
        enc = body.decode()
    out.append("--h\n" + hdr + "\n" + enc)
    exp.append(body if b64 else body[:-1])  # the last "\n" belongs to the delimiter
out.append("--h--\n")
open(sys.argv[1], "w").write("".join(out))
import hashlib
open(sys.argv[2], "w").write("\n".join(sorted(hashlib.sha256(b).hexdigest() for b in exp)) + "\n")
PY
nexp=$(wc -l <"$T/expected")

(cd "$T/run/a/b" && "$POUCH" --extract "$T/out" "$T/msg.eml" >"$T/stdout" 2>"$T/stderr")
is "$?" 0 "extract exits 0"
[ -s "$T/stderr" ] && sed 's/^/# stderr: /' "$T/stderr"

is "$(cat "$T/outside/target")" "do not touch" "symlink target not overwritten"
is "$(ls -A "$T/outside")" "target" "nothing created in the symlinked directory"
is "$(ls -A "$T/run/a/b"; ls -A "$T/run/a" | grep -v '^b$'; ls -A "$T/run" | grep -v '^a$')" "" \
    "nothing created around the working directory"
is "$(ls -A "$T" | sort | tr '\n' ' ')" "expected msg.eml out outside run stderr stdout " \
    "nothing created beside DIR"
test ! -e /tmp/evil-abs
ok $? "no /tmp/evil-abs"
is "$(find "$T/out" -mindepth 1 -type d | wc -l)" 0 "no directories created in DIR"
is "$(find "$T/out" -type l | wc -l)" 2 "no symlinks created (the 2 planted remain)"
is "$(find "$T/out" -type f | wc -l)" "$nexp" "one file per attachment"

# Exact bytes: the multiset of file hashes equals the bodies'.
find "$T/out" -type f -exec sha256sum {} + | cut -d' ' -f1 | sort >"$T/got"
cmp -s "$T/got" "$T/expected"
ok $? "every attachment's exact bytes are in DIR"

# Names: no ".", "..", nothing of pouch's one unsafe set (C0, DEL, C1, bidi
# controls and marks, line and paragraph separators: utf8_unsafe_cp), at
# most 255 bytes, and stdout lists exactly the files created.
is "$("$PYTHON3" - "$T/out" "$T/stdout" <<'PY'
import os, sys
bad = []
names = [n for n in os.listdir(os.fsencode(sys.argv[1]))
         if not os.path.islink(os.path.join(os.fsencode(sys.argv[1]), n))]
for n in names:
    s = n.decode("utf-8", "surrogateescape")
    if n in (b".", b"..") or len(n) > 255 or n.startswith(b"."):
        bad.append(repr(n))
    for ch in s:
        o = ord(ch)
        if o < 0x20 or 0x7f <= o <= 0x9f or 0xdc80 <= o <= 0xdcff or \
           o in (0x061c, 0x200e, 0x200f) or 0x2028 <= o <= 0x202e or \
           0x2066 <= o <= 0x2069:
            bad.append(repr(n)); break
listed = open(sys.argv[2], "rb").read().split(b"\n")[:-1]
if sorted(listed) != sorted(names):
    bad.append("stdout list differs")
print(" ".join(bad) if bad else "clean")
PY
)" "clean" "all names safe"
ls "$T/out" | grep -q '^dup (2)\.txt$'
ok $? "duplicates get \" (1)\", \" (2)\""

ls "$T/out" | grep -q '^nul_byte\.txt$'
ok $? "a NUL in the name becomes \"_\": nul_byte.txt"

# NUL inside names (RFC 2231, RFC 2047 in filename= and name=, a lone NUL,
# NUL then a path): each saved under a visible "_" in DIR, never under the
# name cut at the NUL ("evil.txt" for "evil.txt\0.pdf").
"$PYTHON3" - "$T/nul.eml" <<'PY'
import sys
parts = [
    "Content-Disposition: attachment; filename*=utf-8''evil.txt%00.pdf",
    'Content-Disposition: attachment; filename="=?utf-8?q?report=00?=.pdf"',
    'Content-Type: application/pdf; name="=?utf-8?b?bmFtZQAucGRm?="',
    "Content-Disposition: attachment; filename*=utf-8''%00",
    "Content-Disposition: attachment; filename*=utf-8''x%00%2F..%2F..%2Fup",
]
out = ["Subject: NUL names\nContent-Type: multipart/mixed; boundary=z\n\n"]
for i, h in enumerate(parts):
    out.append("--z\n%s\n\nnul %d\n" % (h, i))
out.append("--z--\n")
open(sys.argv[1], "w").write("".join(out))
PY
mkdir "$T/nul"
"$POUCH" --extract "$T/nul" "$T/nul.eml" >"$T/nul.out" 2>"$T/nul.err"
is "$?" 0 "NUL names: exit 0"
is "$(ls -A "$T/nul" | LC_ALL=C sort | tr '\n' '|')" "_|evil.txt_.pdf|name_.pdf|report_.pdf|up|" \
    "NUL names: saved with the NUL as \"_\", inside DIR"
is "$(LC_ALL=C sort "$T/nul.out" | tr '\n' '|')" "_|evil.txt_.pdf|name_.pdf|report_.pdf|up|" \
    "NUL names: stdout lists them"
is "$(cat "$T/nul/evil.txt_.pdf")" "nul 0" "NUL names: evil.txt_.pdf holds its part"
is "$(find "$T/nul" -mindepth 1 | wc -l)" 5 "NUL names: nothing else created"
is "$(ls -A "$T" | grep -c -e '^up$' -e '^evil')" 0 "NUL names: nothing outside DIR"

# Extracting again into the same DIR never overwrites: new names.
"$POUCH" --extract "$T/out" "$T/msg.eml" >/dev/null 2>&1
is "$?" 0 "second extract exits 0"
is "$(find "$T/out" -type f | wc -l)" "$((nexp * 2))" "second extract adds, never replaces"

# DIR itself a symlink: refused, exit 2.
ln -s "$T/outside" "$T/linkdir"
"$POUCH" --extract "$T/linkdir" "$T/msg.eml" >/dev/null 2>"$T/err"
is "$?" 2 "DIR that is a symlink: exit 2"
is "$(ls -A "$T/outside")" "target" "and nothing written through it"
rm -f "$T/linkdir"

# DIR missing: created. DIR a file: exit 2. FILE missing: exit 2.
"$POUCH" --extract "$T/new" "$T/msg.eml" >/dev/null 2>&1
is "$?" 0 "missing DIR is created"
: >"$T/plainfile"
"$POUCH" --extract "$T/plainfile" "$T/msg.eml" >/dev/null 2>&1
is "$?" 2 "DIR that is a file: exit 2"
"$POUCH" --extract "$T/new" "$T/nope.eml" >/dev/null 2>"$T/err"
is "$?" 2 "missing FILE: exit 2"
grep -q nope.eml "$T/err"
ok $? "missing FILE: the message names it"
"$POUCH" --extract "$T/new" >/dev/null 2>&1
is "$?" 2 "missing argument: exit 2"

# A write error (a read-only DIR, unless root ignores modes).
mkdir "$T/ro" && chmod 555 "$T/ro"
if [ "$(id -u)" != 0 ]; then
	"$POUCH" --extract "$T/ro" "$T/msg.eml" >/dev/null 2>&1
	is "$?" 7 "unwritable DIR: exit 7"
elif [ -w /dev/full ]; then
	# root: a full disk instead, via a tiny tmpfs if we may mount one.
	mkdir "$T/tiny"
	if mount -t tmpfs -o size=16k tmpfs "$T/tiny" 2>/dev/null; then
		at_exit "umount '$T/tiny'"
		"$PYTHON3" -c '
import sys, base64
d = b"x" * 200000
open(sys.argv[1], "w").write("Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=big\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(d).decode())
' "$T/big.eml"
		"$POUCH" --extract "$T/tiny" "$T/big.eml" >/dev/null 2>"$T/err"
		is "$?" 7 "disk full: exit 7"
		is "$(ls -A "$T/tiny")" "" "disk full: the partial file is removed"
		umount "$T/tiny"
	fi
fi

# A 20 MB attachment is written as it is decoded.
"$PYTHON3" - "$T/big20.eml" "$T/big20.sha" <<'PY'
import sys, base64, random, hashlib
d = random.Random(3).randbytes(20 << 20)
open(sys.argv[2], "w").write(hashlib.sha256(d).hexdigest() + "\n")
open(sys.argv[1], "wb").write(b"Content-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(d).replace(b"\n", b"\r\n"))
PY
mkdir "$T/big"
"$POUCH" --extract "$T/big" "$T/big20.eml" >/dev/null
is "$?" 0 "20 MB attachment: exit 0"
is "$(sha256sum <"$T/big/big.bin" | cut -d' ' -f1)" "$(cat "$T/big20.sha")" "20 MB attachment: exact bytes"

done_testing
