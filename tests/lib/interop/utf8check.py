#!/usr/bin/env python3
"""utf8check.py: did pouch get the messages with UTF-8 header fields whole?

    utf8check.py MAILDIR POUCH_DIR REF_DIR HOST PORT USER PASS

MAILDIR is what the server was loaded with (message N = the Nth file of
cur/ by name), POUCH_DIR holds pouch's N.eml, REF_DIR poplib's (no UTF8
command). For each message whose header has 8-bit bytes (RFC 6532), the
first such header line must be in the header of pouch's copy. When it is not: if the
server offers UTF8 (RFC 6856) and, after poplib sends UTF8, sends the line,
pouch missed it by not sending UTF8 (FAIL); if poplib without UTF8 lacks it
too and the server has no UTF8, the server stored it changed (skip).
Prints one line: pass|FAIL|skip, a tab, the reason. Standard library only.
"""

import os
import poplib
import sys


def main(argv):
    if len(argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    maildir, pdir, rdir, host, port, user, password = argv
    cur = os.path.join(maildir, "cur")
    want = []
    for n, name in enumerate(sorted(os.listdir(cur)), 1):
        with open(os.path.join(cur, name), "rb") as f:
            head = f.read().split(b"\n\n", 1)[0]
        for line in head.split(b"\n"):
            if any(b > 127 for b in line):
                want.append((n, line))
                break
    if not want:
        print("skip\tno message with UTF-8 in its header")
        return 0

    # In the header section: Courier's substitute carries the original
    # as a message/global part.
    def in_header(data, line):
        return line + b"\r\n" in data.split(b"\r\n\r\n", 1)[0] + b"\r\n"

    def has(d, n, line):
        try:
            with open(os.path.join(d, "%d.eml" % n), "rb") as f:
                return in_header(f.read(), line)
        except OSError:
            return False

    missing = [(n, line) for n, line in want if not has(pdir, n, line)]
    nums = " ".join(str(n) for n, _ in want)
    if not missing:
        print("pass\tmessages %s: their UTF-8 header fields as stored" % nums)
        return 0
    n, line = missing[0]
    field = line.split(b":", 1)[0].decode("ascii", "replace")
    p = poplib.POP3(host, int(port), timeout=30)
    try:
        caps = p.capa()
    except poplib.error_proto:
        caps = {}
    got_utf8 = None
    if "UTF8" in caps:
        p.utf8()
        p.user(user)
        p.pass_(password)
        _, lines, _ = p.retr(n)
        size = int(p.list(n).split()[2])
        got_utf8 = b"".join(x + b"\r\n" for x in lines)
    else:
        p.user(user)
        p.pass_(password)
    p.quit()
    got = os.path.getsize(os.path.join(pdir, "%d.eml" % n)) \
        if os.path.exists(os.path.join(pdir, "%d.eml" % n)) else 0
    if got_utf8 is not None and in_header(got_utf8, line):
        print("FAIL\tmessage %d's %s is not in pouch's copy (%d octets, LIST "
              "said %d): the server offers UTF8 (RFC 6856) and sends the "
              "message as stored (%d octets) only after UTF8, which pouch "
              "does not send; without it the server sends a substitute"
              % (n, field, got, size, len(got_utf8)))
    elif not has(rdir, n, line):
        print("skip\tmessage %d's %s: poplib gets it changed too and the "
              "server has no UTF8: the server stored it so" % (n, field))
    else:
        print("FAIL\tmessage %d's %s is in poplib's copy, not in pouch's"
              % (n, field))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
