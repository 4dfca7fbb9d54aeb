#!/usr/bin/env python3
"""floor.py: a reference client for bench/pop3/run, faster than any real one
ought to be: it shows what a path allows, beside pouch and mpop.

    floor.py HOST PORT USER PASSWORD N

Sends USER, PASS, RETR 1..N and QUIT in one flight right after the
greeting (no CAPA, no LIST, no waiting: more pipelining than RFC 2449
allows a real client), reads until the server closes, and throws the
data away (no disk). Prints "SECONDS OCTETS REPLIES_ENDED" and exits 1 if
fewer than N message replies ended.  Standard library only.
"""
import socket
import sys
import time


def main():
    host, port, user, password, n = sys.argv[1:6]
    port, n = int(port), int(n)
    t0 = time.monotonic()
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.recv(4096)                        # the greeting
    cmds = ["USER " + user, "PASS " + password]
    cmds += ["RETR %d" % i for i in range(1, n + 1)] + ["QUIT"]
    s.sendall(("\r\n".join(cmds) + "\r\n").encode())
    total = ends = 0
    tail = b""
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        total += len(d)
        chunk = tail + d
        ends += chunk.count(b"\r\n.\r\n")
        tail = chunk[-4:]
    secs = time.monotonic() - t0
    print("%.3f %d %d" % (secs, total, ends))
    return 0 if ends >= n else 1


if __name__ == "__main__":
    sys.exit(main())
