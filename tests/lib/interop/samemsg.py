#!/usr/bin/env python3
"""samemsg.py: is a message pouch wrote the one the reference client got?

    samemsg.py FILE REF_A REF_B

REF_A and REF_B are the same message (or the same run of messages) as
Python's poplib got it in two sessions. Usually they are equal, and FILE
must be byte for byte REF_A. Some servers make part of a message per
session (Courier wraps a message that needs UTF8 in a new MIME part, with a
boundary made of its PID and the time): then FILE must equal REF_A on every
line where REF_A and REF_B agree, and have a line of the same length where
they do not. Exit 0 when it does; 1 and the first difference on stdout
otherwise. Standard library only.
"""

import sys


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    f, a, b = (open(p, "rb").read() for p in argv)
    if f == a:
        return 0
    fl, al, bl = (x.split(b"\n") for x in (f, a, b))
    if len(al) != len(bl):
        print("%d octets, poplib %d" % (len(f), len(a)))
        return 1
    if len(fl) != len(al):
        print("%d lines, poplib %d" % (len(fl), len(al)))
        return 1
    for i, (x, y, z) in enumerate(zip(fl, al, bl)):
        if y == z and x != y:
            print("line %d differs" % (i + 1))
            return 1
        if y != z and len(x) != len(y):
            print("line %d (one the server varies) has another length" % (i + 1))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
