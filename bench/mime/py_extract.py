"""py_extract.py: Python's email package as a peer for bench/mime/run:
saves every attachment of FILE as DIR/N, decoded."""
import email, sys
from email import policy

out, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    msg = email.message_from_binary_file(f, policy=policy.compat32)
n = 0
for part in msg.walk():
    if part.is_multipart():
        continue
    disp = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if part.get_filename() is None and disp != "attachment":
        continue
    n += 1
    with open("%s/%d" % (out, n), "wb") as w:
        w.write(part.get_payload(decode=True))
sys.exit(0 if n else 1)
