#!/usr/bin/env python3
"""maildir2mbox.py: MAILDIR's cur/ messages, in file name order, as an mbox.

    maildir2mbox.py MAILDIR MBOX

Each message keeps its bytes (no parsing: Python's mailbox module would
write them anew through the email package), with a "From " line before it
and a blank line after it; a line that starts with "From " is quoted as
">From " (mboxo, what popa3d reads). MBOX must not exist. Standard library
only.
"""

import os
import sys

FROM_LINE = b"From pouch@localhost Mon Nov  2 09:00:00 2026\n"


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    cur = os.path.join(argv[0], "cur")
    with open(argv[1], "xb") as out:
        for name in sorted(os.listdir(cur)):
            with open(os.path.join(cur, name), "rb") as f:
                data = f.read()
            lines = data.split(b"\n")
            lines = [b">" + x if x.startswith(b"From ") else x for x in lines]
            data = b"\n".join(lines)
            if not data.endswith(b"\n"):
                data += b"\n"
            out.write(FROM_LINE + data + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
