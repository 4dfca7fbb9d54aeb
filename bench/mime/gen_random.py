"""gen_random.py FILE SEED: an honest random MIME message built with Python's
email package (nested multiparts, message/rfc822, text in several charsets,
binary attachments, LF or CRLF), for bench/mime/diff-gmime."""
import random, sys
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.image import MIMEImage
r = random.Random(int(sys.argv[2]))
def text():
    cs = r.choice(['utf-8', 'iso-8859-1', 'koi8-r', 'us-ascii'])
    s = {'utf-8': 'héllo wörld € ', 'iso-8859-1': 'café naïve ', 'koi8-r': 'привет мир ', 'us-ascii': 'plain text = x '}[cs]
    body = ''.join(s * r.randint(1, 30) + ('\n' if r.random() < .3 else '') for _ in range(r.randint(1, 20)))
    m = MIMEText(body, r.choice(['plain', 'html']), cs)
    if r.random() < .3: m.add_header('Content-Disposition', 'attachment', filename=r.choice(['a.txt', 'отчёт.txt', 'x y.txt']))
    return m
def leaf():
    k = r.random()
    if k < .5: return text()
    data = r.randbytes(r.randint(0, 5000))
    m = MIMEApplication(data, 'octet-stream')
    m.add_header('Content-Disposition', 'attachment', filename='f%d.bin' % r.randint(0, 99))
    return m
def node(d):
    k = r.random()
    if d > 4 or k < .4: return leaf()
    if k < .5:
        inner = node(d + 1); inner['Subject'] = 'inner'; return MIMEMessage(inner)
    m = MIMEMultipart(r.choice(['mixed', 'alternative', 'related']))
    for _ in range(r.randint(1, 4)): m.attach(node(d + 1))
    return m
m = node(0)
m['Subject'] = 'diff %s' % sys.argv[2]
m['From'] = 'a@example.org'
b = m.as_bytes()
if r.random() < .5: b = b.replace(b'\n', b'\r\n')
open(sys.argv[1], 'wb').write(b)
