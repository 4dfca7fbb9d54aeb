#!/usr/bin/env python3
"""maildir2mbox.py: MAILDIR's cur/ messages, in file name order, as an mbox.

    maildir2mbox.py MAILDIR MBOX

Each message gets a "From " line and a blank line after it; body lines that
start with "From " are quoted as ">From " (mboxo, what popa3d reads), as
Python's mailbox module writes them. Standard library only.
"""

import mailbox
import os
import sys


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    cur = os.path.join(argv[0], "cur")
    box = mailbox.mbox(argv[1], create=True)
    box.lock()
    try:
        for name in sorted(os.listdir(cur)):
            with open(os.path.join(cur, name), "rb") as f:
                msg = mailbox.mboxMessage(f.read())
            msg.set_from("pouch@localhost", (2026, 11, 2, 9, 0, 0, 0, 306, 0))
            box.add(msg)
        box.flush()
    finally:
        box.unlock()
        box.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
