#!/usr/bin/env python3
"""samemsg.py: is a message pouch wrote the one the reference client got?

    samemsg.py FILE REF_A REF_B

REF_A and REF_B are the same message (or the same run of messages) as
Python's poplib got it in two sessions. Usually they are equal, and FILE
must be byte for byte REF_A. Some servers make part of a message per
session (Courier wraps a message that needs UTF8 in a new MIME part, with a
boundary made of its PID and the time): then FILE must equal REF_A on every
line where REF_A and REF_B agree; where they do not, FILE's line must have
what they have in common around the part that varies (both cut back to a
character other than a letter, digit, '.', '_' or '-': a PID and a time
may share digits by chance) and only such characters in its place. Exit 0 when it does; 1 and the first difference on stdout
otherwise. Standard library only.
"""

import os
import re
import sys

TOKEN = re.compile(rb"[A-Za-z0-9._-]*")



def common_prefix(x, y):
    p = os.path.commonprefix([x, y])
    while p and TOKEN.fullmatch(p[-1:]):
        p = p[:-1]
    return p


def varied_line_ok(line, a, b):
    pre = common_prefix(a, b)
    suf = common_prefix(a[::-1], b[::-1])[::-1]
    if len(pre) + len(suf) > min(len(a), len(b)):
        return False
    if not (line.startswith(pre) and line.endswith(suf)):
        return False
    if len(pre) + len(suf) > len(line):
        return False
    middle = line[len(pre):len(line) - len(suf)]
    return TOKEN.fullmatch(middle) is not None


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
        if y != z and not varied_line_ok(x, y, z):
            print("line %d (one the server varies) differs in what it keeps" % (i + 1))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
