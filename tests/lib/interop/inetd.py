#!/usr/bin/env python3
"""inetd.py: an inetd-style listener, for servers that speak on stdin/stdout.

    inetd.py ADDR PORT LOG -- PROGRAM [ARGS]

Listens on ADDR:PORT; each connection gets a child running PROGRAM with the
socket as its standard input and output and LOG (appended) as its standard
error, as inetd's "nowait" services do. Runs in the foreground until
SIGTERM; the children of open connections end with their connections.
Standard library only.
"""

import os
import signal
import socket
import sys


def main(argv):
    if len(argv) < 5 or argv[3] != "--":
        sys.stderr.write(__doc__)
        return 2
    addr, port, log, prog = argv[0], int(argv[1]), argv[2], argv[4:]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # no zombies
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        try:
            conn, _ = s.accept()
        except InterruptedError:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                s.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                fd = conn.fileno()
                os.dup2(fd, 0)
                os.dup2(fd, 1)
                err = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                os.dup2(err, 2)
                os.execv(prog[0], prog)
            finally:
                os._exit(127)
        conn.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
