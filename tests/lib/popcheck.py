#!/usr/bin/env python3
"""popcheck.py: an independent POP3 client for the tests (Python's poplib).

    popcheck.py [--ssl] [--cafile F] [--utf8] HOST PORT USER PASS COMMAND [ARGS] [-- COMMAND ...]

Commands, one session, in order, then QUIT:
    stat          prints "COUNT OCTETS"
    list          prints "N SIZE" lines
    uidl          prints "N UID" lines
    retr N        writes message N to stdout, CRLF line ends, as RETR sent it
    top N L       writes TOP N L to stdout the same way
    dele N        marks N deleted
    rset          undoes the marks
    capa          prints the capability lines (as the first command: the
                  ones offered before login, e.g. STLS, SASL)
    sums          RETRs every message; prints "N LENGTH SHA256" lines
    noquit        ends without QUIT (the marks are dropped)

--utf8 sends UTF8 (RFC 6856) after login when the CAPA before login lists
it, as pouch does (a server may otherwise serve a substitute for a message
with raw UTF-8 in its header, as Courier does).

Exit 0 when every command got +OK, 1 on -ERR (server text on stderr), 2 on
usage. Used to check pouch's results from a second session.
"""

import hashlib
import poplib
import ssl
import sys


def main(argv):
    use_ssl = False
    use_utf8 = False
    cafile = None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--ssl":
            use_ssl = True
            argv = argv[1:]
        elif argv[0] == "--utf8":
            use_utf8 = True
            argv = argv[1:]
        elif argv[0] == "--cafile":
            cafile = argv[1]
            argv = argv[2:]
        else:
            break
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    host, port, user, password = argv[0], int(argv[1]), argv[2], argv[3]
    cmds, cur = [], []
    for a in argv[4:]:
        if a == "--":
            if cur:
                cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    if cur:
        cmds.append(cur)
    if use_ssl:
        ctx = ssl.create_default_context(cafile=cafile)
        p = poplib.POP3_SSL(host, port, context=ctx, timeout=30)
    else:
        p = poplib.POP3(host, port, timeout=30)
    out = sys.stdout.buffer
    quit_at_end = True
    try:
        caps = None
        if cmds and cmds[0][0].lower() == "capa":
            caps = p.capa()
            for k, v in caps.items():
                out.write((" ".join([k] + v) + "\n").encode())
            cmds = cmds[1:]
        if use_utf8 and caps is None:
            try:
                caps = p.capa()
            except poplib.error_proto:
                caps = {}
        p.user(user)
        p.pass_(password)
        if use_utf8 and "UTF8" in caps:
            try:
                p.utf8()
            except poplib.error_proto:
                pass  # pouch goes on without it too
        for c in cmds:
            name = c[0].lower()
            if name == "stat":
                n, size = p.stat()
                out.write(b"%d %d\n" % (n, size))
            elif name in ("list", "uidl"):
                _, lines, _ = p.list() if name == "list" else p.uidl()
                for ln in lines:
                    out.write(ln + b"\n")
            elif name in ("retr", "top"):
                if name == "retr":
                    _, lines, _ = p.retr(int(c[1]))
                else:
                    _, lines, _ = p.top(int(c[1]), int(c[2]))
                for ln in lines:
                    out.write(ln + b"\r\n")
            elif name == "dele":
                p.dele(int(c[1]))
            elif name == "rset":
                p.rset()
            elif name == "sums":
                _, lines, _ = p.list()
                for ln in lines:
                    n = int(ln.split()[0])
                    _, body, _ = p.retr(n)
                    data = b"".join(b + b"\r\n" for b in body)
                    out.write(b"%d %d %s\n" % (n, len(data), hashlib.sha256(
                        data).hexdigest().encode()))
            elif name == "capa":
                for k, v in p.capa().items():
                    out.write((" ".join([k] + v) + "\n").encode())
            elif name == "noquit":
                quit_at_end = False
            else:
                sys.stderr.write("popcheck: unknown command %s\n" % name)
                return 2
    except poplib.error_proto as e:
        sys.stderr.write("popcheck: %s\n" % e)
        p.close()
        return 1
    if quit_at_end:
        p.quit()
    else:
        p.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
