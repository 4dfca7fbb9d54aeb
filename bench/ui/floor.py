#!/usr/bin/env python3
"""floor.py: what the path allows for the reader's work, beside pouch and
neomutt in bench/ui/run. Faster than a real client ought to be.

    floor.py HOST PORT USER PASSWORD top N    TOP 1 0 .. TOP N 0, one flight
    floor.py HOST PORT USER PASSWORD retr K   TOP 1 0 .. TOP K 0, then RETR K twice

Sends USER and PASS in one flight after the greeting and waits for PASS's
reply (the end of the login); then sends the commands and QUIT in one flight
(more pipelining than RFC 2449 allows), reads until the server closes and
throws the data away. Prints "LOGIN_S AFTER_S OCTETS REPLIES_ENDED": the
seconds from connect to the end of the login, the seconds from there to the
last reply's end, the octets after the login and how many multi-line replies
ended. Exits 1 if fewer than the replies asked for ended. Standard library
only.

retr K first asks for the headers of messages 1..K, as the reader's index
does, so that the connection (TCP's congestion window) is in the state the
reader's is when a message is opened; AFTER_S is then the first RETR alone,
from its sending to its end, and a fifth field WARM_S the second RETR, sent
in the same flight: the same bytes once the window has opened.
"""
import socket
import sys
import time


def main():
    host, port, user, password, what, n = sys.argv[1:7]
    port, n = int(port), int(n)
    if what == "top":
        cmds, want = ["TOP %d 0" % i for i in range(1, n + 1)], n
    elif what == "retr":
        cmds, want = ["RETR %d" % n] * 2, 2
    else:
        sys.stderr.write("floor.py: top N or retr K\n")
        return 2
    t0 = time.monotonic()
    s = socket.create_connection((host, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    while b"\r\n" not in buf:          # the greeting
        d = s.recv(4096)
        if not d:
            return 1
        buf += d
    s.sendall(("USER %s\r\nPASS %s\r\n" % (user, password)).encode())
    buf = b""
    while buf.count(b"\r\n") < 2:      # USER's and PASS's replies
        d = s.recv(4096)
        if not d:
            return 1
        buf += d
    if not buf.split(b"\r\n")[1].startswith(b"+OK"):
        sys.stderr.write("floor.py: login refused\n")
        return 1
    t1 = time.monotonic()
    login = t1 - t0
    if what == "retr":
        s.sendall("".join("TOP %d 0\r\n" % i for i in range(1, n + 1)).encode())
        buf = b""
        while buf.count(b"\r\n.\r\n") < n:
            d = s.recv(1 << 20)
            if not d:
                return 1
            buf += d
        t1 = time.monotonic()
    s.sendall(("\r\n".join(cmds + ["QUIT"]) + "\r\n").encode())
    total = ends = 0
    tail = b""
    t2 = t1
    marks = []
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        total += len(d)
        chunk = tail + d
        k = chunk.count(b"\r\n.\r\n")
        if k:
            ends += k
            t2 = time.monotonic()
            marks += [t2] * k
        tail = chunk[-4:]
    if what == "retr":
        if len(marks) < 2:
            return 1
        print("%.4f %.4f %d %d %.4f" % (login, marks[0] - t1, total, ends, marks[1] - marks[0]))
    else:
        print("%.4f %.4f %d %d" % (login, t2 - t1, total, ends))
    return 0 if ends >= want else 1


if __name__ == "__main__":
    sys.exit(main())
