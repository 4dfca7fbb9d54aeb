#!/bin/sh
# mime_golden.sh: pouch --dump-mime against the golden files tests/mime/NAME.eml
# -> NAME.json (exact bytes), then generated messages too large to commit:
# 64 levels of nesting, 10,000 parts, a 20 MB attachment, nesting past the
# limit, and command-line errors.
. "$top_srcdir/tests/lib/tap.sh"

T=$(mktemp -d) || exit 1
at_exit "rm -rf '$T'"

for eml in "$top_srcdir"/tests/mime/*.eml; do
	name=$(basename "$eml" .eml)
	"$POUCH" --dump-mime "$eml" >"$T/out.json" 2>"$T/err"
	ok $? "$name: exit 0"
	cmp -s "$T/out.json" "$top_srcdir/tests/mime/$name.json"
	if ! ok $? "$name: dump matches $name.json"; then
		diff "$top_srcdir/tests/mime/$name.json" "$T/out.json" | head -20 | sed 's/^/# /'
	fi
done

[ "$PYTHON3" != no ] && [ -n "$PYTHON3" ] || { done_testing; }

# Each generated case: a Python script writes the message, pouch dumps it,
# and a second Python script checks the tree; it prints "ok" or what is wrong.
gen_check() {	# name gen-script check-script
	"$PYTHON3" -c "$2" "$T/$1.eml" || { ok 1 "$1: generate"; return; }
	"$POUCH" --dump-mime "$T/$1.eml" >"$T/$1.json" 2>"$T/err"
	ok $? "$1: exit 0"
	is "$("$PYTHON3" -c "$3" "$T/$1.json" "$T/$1.eml" 2>&1)" "ok" "$1: tree"
}

gen_check nest64 '
import sys
n = 64
head = "".join("--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i - 1, i) for i in range(1, n + 1))
msg = "Subject: deep\nContent-Type: multipart/mixed; boundary=b0\n\n" + head + "--b%d\n\ninnermost\n" % n
msg += "".join("--b%d--\n" % i for i in range(n, -1, -1))
open(sys.argv[1], "w").write(msg)
' '
import sys, json, hashlib
j = json.load(open(sys.argv[1]))["root"]
d = 0
while j["type"].startswith("multipart/"):
    assert len(j["children"]) == 1, (d, len(j["children"]))
    j = j["children"][0]; d += 1
assert d == 65, d
assert j["type"] == "text/plain" and j["size"] == 9, j
assert j["sha256"] == hashlib.sha256(b"innermost").hexdigest()
print("ok")
'

gen_check parts10000 '
import sys
msg = "Subject: many\nContent-Type: multipart/mixed; boundary=p\n\n"
msg += "".join("--p\nContent-Type: text/plain\n\npart %d\n" % i for i in range(10000)) + "--p--\n"
open(sys.argv[1], "w").write(msg)
' '
import sys, json, hashlib
j = json.load(open(sys.argv[1]))["root"]
c = j["children"]
assert len(c) == 10000, len(c)
for i, p in enumerate(c):
    b = b"part %d" % i
    assert p["size"] == len(b) and p["sha256"] == hashlib.sha256(b).hexdigest(), i
print("ok")
'

gen_check big20mb '
import sys, base64, random
r = random.Random(7)
data = r.randbytes(20 << 20)
open(sys.argv[1] + ".bin", "wb").write(data)
with open(sys.argv[1], "wb") as f:
    f.write(b"Subject: big\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=big.bin\r\n\r\n")
    f.write(base64.encodebytes(data).replace(b"\n", b"\r\n"))
    f.write(b"--z--\r\n")
' '
import sys, json, hashlib
j = json.load(open(sys.argv[1]))["root"]
p = j["children"][0]
data = open(sys.argv[2] + ".bin", "rb").read()
assert p["size"] == len(data) == 20 << 20, p["size"]
assert p["sha256"] == hashlib.sha256(data).hexdigest()
print("ok")
'

# Past the nesting limit the tree degrades to a leaf; no crash, no hang.
gen_check nest5000 '
import sys
n = 5000
msg = "Content-Type: multipart/mixed; boundary=b0\n\n"
msg += "".join("--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i - 1, i) for i in range(1, n + 1))
msg += "--b%d\n\nx\n" % n
open(sys.argv[1], "w").write(msg)
' '
import sys, json
j = json.load(open(sys.argv[1]))["root"]
d = 0
while j["children"]:
    j = j["children"][0]; d += 1
assert d == 128, d
assert j["type"] == "multipart/mixed" and j["size"] is not None, j["type"]
print("ok")
'

# A message/rfc822 chain, each level base64 again: bounded, no crash.
gen_check rfc822chain '
import sys, base64
m = b"Subject: core\n\nx\n"
for i in range(25):
    m = b"Subject: l%d\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n" % i + base64.encodebytes(m)
open(sys.argv[1], "wb").write(m)
' '
import sys, json
j = json.load(open(sys.argv[1]))["root"]
d = 0
while j["children"]:
    j = j["children"][0]; d += 1
assert d == 25 and j["headers"]["subject"] == "core", (d, j.get("headers"))
print("ok")
'

# Quoted-printable does not shrink: 300 levels of it would copy the
# message 128 times. The copy budget turns the rest into a leaf instead.
gen_check qpchain '
import sys, quopri
m = b"Subject: core\n\n" + b"quoted printable stays this size\n" * 8000
for i in range(300):
    m = b"Subject: l%d\nContent-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n\n" % i + quopri.encodestring(m)
open(sys.argv[1], "wb").write(m)
' '
import sys, json, os
j = json.load(open(sys.argv[1]))["root"]
d = 0
while j["children"]:
    j = j["children"][0]; d += 1
assert 2 < d < 128 and j["type"] == "message/rfc822" and j["size"] > 0, (d, j["type"])
print("ok")
'

# Command-line errors: a clear message and exit 2.
"$POUCH" --dump-mime "$T/does-not-exist" >/dev/null 2>"$T/err"
is "$?" 2 "missing file: exit 2"
grep -q "does-not-exist" "$T/err"
ok $? "missing file: message names the file"
"$POUCH" --dump-mime >/dev/null 2>"$T/err"
is "$?" 2 "no file: exit 2"
grep -q "usage" "$T/err"
ok $? "no file: usage"
"$POUCH" --dump-mime "$T" >/dev/null 2>"$T/err"
is "$?" 2 "directory: exit 2"
"$POUCH" --dump-mime a b >/dev/null 2>&1
is "$?" 2 "extra argument: exit 2"
# A pipe is read, not mapped.
cat "$top_srcdir/tests/mime/simple.eml" | "$POUCH" --dump-mime /dev/stdin >"$T/pipe.json"
cmp -s "$T/pipe.json" "$top_srcdir/tests/mime/simple.json"
ok $? "non-regular input read through read()"
if [ -w /dev/full ]; then
	"$POUCH" --dump-mime "$top_srcdir/tests/mime/simple.eml" >/dev/full 2>/dev/null
	is "$?" 7 "write error: exit 7"
fi

done_testing
