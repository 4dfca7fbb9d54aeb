#!/usr/bin/env python3
"""utf8check.py: did pouch get the messages with UTF-8 header fields whole?

    utf8check.py MAILDIR POUCH_DIR REF_DIR HOST PORT USER PASS

MAILDIR is what the server was loaded with (message N = the Nth file of
cur/ by name), POUCH_DIR holds pouch's N.eml, REF_DIR poplib's (which sends
UTF8 when CAPA lists it, as pouch does). For each message whose header has
8-bit bytes (RFC 6532), pouch's copy must be the message as stored: the
same SHA-256 as the file loaded into the server, its line ends made CRLF
(what RETR sends for it), or that file after header fields that the
server's delivery put on top (Cyrus's LMTP adds Received and others, and
its own Return-Path in place of the file's first field, the Return-Path,
as RFC 5321 4.4 has the final delivery do). When it is not:
  - the first such header line missing from pouch's copy: FAIL when the
    server offers UTF8 (RFC 6856) and sends the line after UTF8 (a new
    session here checks), skip when poplib lacks it too and the server has
    no UTF8 (the server stored it changed);
  - otherwise skip when poplib's copy is byte for byte pouch's (the server
    changed the message the same way for both), FAIL when it is not.
Prints one line: pass|FAIL|skip, a tab, the reason. Standard library only.
"""

import hashlib
import os
import poplib
import re
import sys


def crlf(data):
    """The bytes RETR sends for a stored message: every line end CRLF."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def delivered_tail(got, stored):
    """When GOT is STORED (or STORED without its first field, a
    Return-Path) after header fields a delivery put on top: says so."""
    if got is None:
        return None
    rest = stored
    dropped = ""
    if stored.lower().startswith(b"return-path:"):
        m = re.match(rb"return-path:[^\r]*\r\n(?:[ \t][^\r]*\r\n)*", stored, re.I)
        rest = stored[m.end():]
        dropped = "its Return-Path replaced, "
    for cand, what in ((stored, ""), (rest, dropped)):
        top = got[:len(got) - len(cand)]
        if len(got) > len(cand) and got.endswith(cand) and \
                top.endswith(b"\r\n") and b"\r\n\r\n" not in top and \
                re.match(rb"[!-9;-~]+:", top):
            return "%safter %d octets of header fields the server's delivery " \
                "added" % (what, len(top))
    return None


def main(argv):
    if len(argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    maildir, pdir, rdir, host, port, user, password = argv
    cur = os.path.join(maildir, "cur")
    want = []
    for n, name in enumerate(sorted(os.listdir(cur)), 1):
        data = read(os.path.join(cur, name))
        head = data.split(b"\n\n", 1)[0]
        for line in head.split(b"\n"):
            if any(b > 127 for b in line):
                want.append((n, line.rstrip(b"\r"), crlf(data)))
                break
    if not want:
        print("skip\tno message with UTF-8 in its header")
        return 0

    # In the header section: Courier's substitute carries the original
    # as a message/global part.
    def in_header(data, line):
        return data is not None and \
            line + b"\r\n" in data.split(b"\r\n\r\n", 1)[0] + b"\r\n"

    same, bad = [], None
    for n, line, stored in want:
        got = read(os.path.join(pdir, "%d.eml" % n))
        sha = hashlib.sha256(stored).hexdigest()[:16]
        tail = delivered_tail(got, stored)
        if got == stored:
            same.append("message %d: %d octets, the SHA-256 of the file "
                        "loaded into the server (%s...)" % (n, len(stored), sha))
        elif tail:
            same.append("message %d: the file loaded into the server (%d "
                        "octets, SHA-256 %s...), %s" % (n, len(stored), sha, tail))
        elif bad is None:
            bad = (n, line, stored, got)
    if bad is None:
        print("pass\tas stored: %s" % "; ".join(same))
        return 0

    n, line, stored, got = bad
    size = len(got) if got is not None else 0
    field = line.split(b":", 1)[0].decode("ascii", "replace")
    ref = read(os.path.join(rdir, "%d.eml" % n))
    if in_header(got, line):
        if ref == got:
            print("skip\tmessage %d: pouch's copy (%d octets) is poplib's but "
                  "not as stored (%d octets): the server changed it"
                  % (n, size, len(stored)))
        else:
            print("FAIL\tmessage %d: pouch's copy (%d octets) is neither as "
                  "stored (%d octets) nor poplib's (%s octets)"
                  % (n, size, len(stored), len(ref) if ref is not None else "no"))
        return 0
    p = poplib.POP3(host, int(port), timeout=30)
    try:
        caps = p.capa()
    except poplib.error_proto:
        caps = {}
    got_utf8 = None
    p.user(user)
    p.pass_(password)
    if "UTF8" in caps:
        p.utf8()
        _, lines, _ = p.retr(n)
        got_utf8 = b"".join(x + b"\r\n" for x in lines)
    p.quit()
    if got_utf8 is not None and in_header(got_utf8, line):
        print("FAIL\tmessage %d's %s is not in pouch's copy (%d octets): the "
              "server offers UTF8 (RFC 6856) and sends the message (%d "
              "octets, %s as stored) after UTF8"
              % (n, field, size, len(got_utf8),
                 "the same" if got_utf8 == stored else "not the same"))
    elif not in_header(ref, line):
        print("skip\tmessage %d's %s: poplib gets it changed too and the "
              "server has no UTF8: the server stored it so" % (n, field))
    else:
        print("FAIL\tmessage %d's %s is in poplib's copy, not in pouch's"
              % (n, field))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
