#!/usr/bin/env python3
"""relay.py: a TCP relay on 127.0.0.1 that delays each direction by a fixed
time, to stand in for network latency where netem is not available.

    relay.py --target PORT --delay-ms MS --port-file FILE [--lifetime S]

Listens on a free port of 127.0.0.1 (written to FILE, atomically) and
forwards every connection to 127.0.0.1:PORT.  Each chunk read from one side
is written to the other MS milliseconds after it was read: byte order is
kept and the stream stays a stream (a chunk is never held for the next one),
so a round trip costs 2*MS more than on loopback and a pipelined burst costs
it once.  No bandwidth limit.  Exits after --lifetime seconds (default 3600)
or on SIGTERM.  Standard library only.
"""

import argparse
import collections
import os
import socket
import sys
import threading
import time


def pump(src, dst, delay):
    """Copy src -> dst, each chunk DELAY seconds after it was read."""
    q = collections.deque()
    cv = threading.Condition()
    done = [False]

    def reader():
        try:
            while True:
                data = src.recv(262144)
                if not data:
                    break
                with cv:
                    q.append((time.monotonic() + delay, data))
                    cv.notify()
        except OSError:
            pass
        with cv:
            done[0] = True
            cv.notify()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        while True:
            with cv:
                while not q and not done[0]:
                    cv.wait()
                if not q:
                    break
                due, data = q.popleft()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            dst.sendall(data)
    except OSError:
        pass
    # Pass the end of the stream on, after the data, as a half-close.
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    t.join()


def handle(client, target, delay):
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        return
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    a = threading.Thread(target=pump, args=(client, server, delay), daemon=True)
    b = threading.Thread(target=pump, args=(server, client, delay), daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    client.close()
    server.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--target", type=int, required=True)
    p.add_argument("--delay-ms", type=float, required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--lifetime", type=float, default=3600)
    a = p.parse_args()
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)
    deadline = time.monotonic() + a.lifetime
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return 0
        ls.settimeout(left)
        try:
            c, _ = ls.accept()
        except socket.timeout:
            return 0
        threading.Thread(target=handle, args=(c, a.target, a.delay_ms / 1000.0),
                         daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
