#!/usr/bin/env python3
"""faultserver.py: a scripted POP3 server on 127.0.0.1 for the faults that
Dovecot will not commit.  Standard library only.

    faultserver.py --scenario NAME --port-file FILE [--log FILE]
                   [--connections N] [--lifetime SECONDS]
    faultserver.py --scenario NAME --print-message N   (the bytes pouch should
                   deliver for RETR N: unstuffed, line ends as sent)
    faultserver.py --list-scenarios

It listens on a free port of 127.0.0.1, writes the port to FILE (atomically:
the file appears complete or not at all), serves N connections (default 1)
one after the other, then exits.  It never lives longer than --lifetime
seconds (default 30), whatever the client does.

The mailbox holds 3 messages (USER any, PASS any).  It answers USER PASS CAPA
STAT LIST UIDL TOP RETR DELE RSET NOOP LAST QUIT.  DELE only marks; RSET
unmarks; QUIT commits the marks, as RFC 1939 says.

The log (--log) gets every line the client sent, one per line, as received
(without its line end), and notes from the server in lines that start with
"# ":
    # connection N           a client connected
    # batch K                K commands were already waiting when the server
                             read (only in scenarios that read with a delay:
                             capa-pipelining): the client pipelined
    # committed: 1 3         QUIT committed these deletions
    # committed: none        QUIT, nothing marked
    # quit refused           QUIT answered -ERR (err-quit): nothing committed
    # stalled                the scenario stopped sending (stall-mid-retr)
    # closed by client       EOF from the client (it did not QUIT)
    # closed by server       after QUIT, or the scenario hung up
    # lifetime over          the server gave up on a client that did not leave
So "no deletion committed" is: no line matching '^# committed: [0-9]'.

Scenarios: see SCENARIOS below (--list-scenarios prints them).
"""

import argparse
import base64
import os
import select
import socket
import sys
import threading
import time

CRLF = b"\r\n"


def small_mailbox():
    m1 = (b"From: alice@example.org\r\n"
          b"To: bob@example.org\r\n"
          b"Subject: one\r\n"
          b"Message-ID: <one@example.org>\r\n"
          b"\r\n"
          b"Hello, this is message one.\r\n")
    # Lines that start with "." (one of them only "."): stuffed on the wire.
    m2 = (b"From: carol@example.org\r\n"
          b"Subject: two\r\n"
          b"\r\n"
          b".leading dot\r\n"
          b".\r\n"
          b"..two dots\r\n"
          b"middle line of message two, long enough to be cut in half\r\n"
          b"another line so that half of it is well inside the body\r\n"
          b"end of two\r\n")
    m3 = (b"From: dave@example.org\r\n"
          b"Subject: three\r\n"
          b"\r\n" +
          b"".join(b"line %02d of message three\r\n" % i for i in range(40)))
    return [m1, m2, m3]


def big_message(size):
    """About SIZE bytes, CRLF lines, some of which start with a dot."""
    head = (b"From: big@example.org\r\n"
            b"Subject: big\r\n"
            b"\r\n")
    parts = [head]
    n = len(head)
    i = 0
    while n < size:
        if i % 1000 == 7:
            line = b".dotted line %08d\r\n" % i
        else:
            line = b"line %08d: the quick brown fox jumps over the lazy dog\r\n" % i
        parts.append(line)
        n += len(line)
        i += 1
    return b"".join(parts)


def first_half(msg, eol):
    """The lines of MSG that end in its first half (short-retr's body)."""
    cut = msg[:len(msg) // 2]
    return cut[:cut.rfind(eol) + len(eol)]


def to_lf(msg):
    return msg.replace(b"\r\n", b"\n")


def stuff(msg, eol):
    """Dot-stuff MSG (whose lines end in EOL) and add the terminator."""
    out = []
    for line in msg.split(eol)[:-1] if msg.endswith(eol) else msg.split(eol):
        if line.startswith(b"."):
            line = b"." + line
        out.append(line + eol)
    out.append(b"." + eol)
    return b"".join(out)


class Closed(Exception):
    pass


class LifetimeOver(Exception):
    pass


class Hangup(Exception):
    """The scenario closes the connection on purpose."""


class Session:
    """One POP3 connection.  Scenario hooks are methods looked up by name:
    hook_CMD(arg) returns True when it handled the command."""

    def __init__(self, srv, conn, number):
        self.srv = srv
        self.conn = conn
        self.number = number
        self.buf = b""
        self.eol = srv.eol
        self.msgs = srv.msgs
        self.deleted = set()
        self.authed = False
        self.user = None
        self.read_delay = 0.0

    # ---- I/O -------------------------------------------------------------

    def remaining(self):
        left = self.srv.deadline - time.monotonic()
        if left <= 0:
            raise LifetimeOver()
        return left

    def send(self, data):
        try:
            self.conn.settimeout(self.remaining())
            self.conn.sendall(data)
        except socket.timeout:
            raise LifetimeOver()
        except OSError:
            raise Closed()

    def line(self, text):
        if isinstance(text, str):
            text = text.encode()
        self.send(text + self.eol)

    def ok(self, text=""):
        self.line("+OK" + (" " + text if text else ""))

    def err(self, text):
        self.line("-ERR " + text)

    def multi(self, status, body):
        """Status line, then BODY (lines ending in self.eol) stuffed."""
        self.send(status.encode() + self.eol + stuff(body, self.eol))

    def recv_some(self, block=True):
        if block:
            self.conn.settimeout(self.remaining())
        else:
            self.conn.settimeout(0)
        try:
            data = self.conn.recv(65536)
        except (BlockingIOError, InterruptedError):
            return None
        except socket.timeout:
            raise LifetimeOver()
        except OSError:
            raise Closed()
        if not data:
            raise Closed()
        return data

    def readline(self):
        while b"\n" not in self.buf:
            if self.read_delay and not self.buf:
                # Give a pipelining client time to send everything it
                # means to send before the first reply, then count.
                time.sleep(self.read_delay)
                self.buf += self.recv_some()
                while True:
                    more = self.recv_some(block=False)
                    if not more:
                        break
                    self.buf += more
                k = self.buf.count(b"\n")
                if k > 1:
                    self.srv.note("batch %d" % k)
            else:
                self.buf += self.recv_some()
            if len(self.buf) > 1 << 20:
                raise Closed()
        line, self.buf = self.buf.split(b"\n", 1)
        if line.endswith(b"\r"):
            line = line[:-1]
        return line.decode("latin-1")

    # ---- the mailbox -----------------------------------------------------

    def msg(self, arg, allow_deleted=False):
        """The message number ARG names, or None after answering -ERR."""
        try:
            n = int(arg)
        except (TypeError, ValueError):
            self.err("bad message number")
            return None
        if n < 1 or n > len(self.msgs):
            self.err("no such message")
            return None
        if n in self.deleted and not allow_deleted:
            self.err("message %d already deleted" % n)
            return None
        return n

    def size(self, n):
        """What LIST says; scenarios override it."""
        return len(self.msgs[n - 1])

    def live(self):
        return [n for n in range(1, len(self.msgs) + 1) if n not in self.deleted]

    def greet(self):
        self.ok("faultserver ready")

    def capa_lines(self):
        caps = ["USER", "UIDL", "TOP", "RESP-CODES"]
        if self.srv.pipelining:
            caps.append("PIPELINING")
        return caps

    def do_CAPA(self, arg):
        body = b"".join(c.encode() + self.eol for c in self.capa_lines())
        self.multi("+OK capability list follows", body)

    def do_USER(self, arg):
        self.user = arg
        self.ok("send PASS")

    def do_PASS(self, arg):
        if self.user is None:
            self.err("USER first")
            return
        self.authed = True
        self.ok("logged in")

    def need_auth(self):
        if not self.authed:
            self.err("not logged in")
            return False
        return True

    def do_STAT(self, arg):
        live = self.live()
        self.ok("%d %d" % (len(live), sum(self.size(n) for n in live)))

    def do_LIST(self, arg):
        if arg:
            n = self.msg(arg)
            if n:
                self.ok("%d %d" % (n, self.size(n)))
            return
        body = b"".join(b"%d %d" % (n, self.size(n)) + self.eol
                        for n in self.live())
        self.multi("+OK %d messages" % len(self.live()), body)

    def do_UIDL(self, arg):
        if arg:
            n = self.msg(arg)
            if n:
                self.ok("%d uid-%d" % (n, n))
            return
        body = b"".join(b"%d uid-%d" % (n, n) + self.eol for n in self.live())
        self.multi("+OK", body)

    def do_TOP(self, arg):
        parts = arg.split() if arg else []
        if len(parts) != 2 or not parts[1].isdigit():
            self.err("usage: TOP msg lines")
            return
        n = self.msg(parts[0])
        if not n:
            return
        m = self.msgs[n - 1]
        head, sep, body = m.partition(self.eol + self.eol)
        lines = body.split(self.eol)[:int(parts[1])]
        out = head + sep + b"".join(l + self.eol for l in lines)
        self.multi("+OK top of message follows", out)

    def do_RETR(self, arg):
        n = self.msg(arg)
        if n:
            self.multi("+OK %d octets" % self.size(n), self.msgs[n - 1])

    def do_DELE(self, arg):
        n = self.msg(arg)
        if n:
            self.deleted.add(n)
            self.ok("message %d deleted" % n)

    def do_RSET(self, arg):
        self.deleted.clear()
        self.ok("maildrop has %d messages" % len(self.msgs))

    def do_NOOP(self, arg):
        self.ok()

    def do_LAST(self, arg):
        self.ok("0")

    def commit(self):
        """What QUIT commits, noted in the log."""
        if self.deleted:
            self.srv.note("committed: " +
                          " ".join(str(n) for n in sorted(self.deleted)))
        else:
            self.srv.note("committed: none")

    def do_QUIT(self, arg):
        self.commit()
        self.ok("bye")
        raise Hangup()

    def serve(self):
        hook = getattr(self, "hook_connect", None)
        if not (hook and hook()):
            self.greet()
        while True:
            line = self.readline()
            self.srv.log(line)
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            hook = getattr(self, "hook_" + cmd, None)
            if hook and hook(arg):
                continue
            handler = getattr(self, "do_" + cmd, None)
            if handler is None:
                self.err("unknown command")
                continue
            if cmd not in ("CAPA", "USER", "PASS", "AUTH", "QUIT") and not self.need_auth():
                continue
            handler(arg)


# ---- scenarios ---------------------------------------------------------------
#
# Each is a Session subclass; its docstring is what --list-scenarios prints.

class Normal(Session):
    """no fault: a well-behaved 3-message mailbox (for checking the checks)"""


class DropMidRetr(Session):
    """closes the connection halfway through RETR 2 (status line and half the body sent)"""

    def hook_RETR(self, arg):
        if arg.strip() != "2" or 2 in self.deleted:
            return False
        body = stuff(self.msgs[1], self.eol)
        self.send(b"+OK %d octets" % self.size(2) + self.eol +
                  body[:len(body) // 2])
        time.sleep(0.2)
        raise Hangup()


class StallMidRetr(Session):
    """RETR 2 stops halfway (status line and half the body) and the connection stays open, silent"""

    def hook_RETR(self, arg):
        if arg.strip() != "2" or 2 in self.deleted:
            return False
        body = stuff(self.msgs[1], self.eol)
        self.send(b"+OK %d octets" % self.size(2) + self.eol +
                  body[:len(body) // 2])
        self.srv.note("stalled")
        while True:
            self.recv_some()


class ErrQuit(Session):
    """QUIT answers -ERR (RFC 1939: some deleted messages not removed) and closes"""

    def do_QUIT(self, arg):
        self.srv.note("quit refused")
        self.err("some deleted messages not removed")
        raise Hangup()


class DropQuit(Session):
    """QUIT commits the deletions, then the connection closes before the reply"""

    def do_QUIT(self, arg):
        self.commit()
        raise Hangup()


class NewMail(Session):
    """LAST unknown; connections 1-2 see 3 messages, later ones a 4th; connection 2 answers QUIT 3 s late; connections served at once"""

    concurrent = True

    def __init__(self, srv, conn, number):
        Session.__init__(self, srv, conn, number)
        if number >= 3:
            self.msgs = self.msgs + [self.eol.join([
                b"From: late@example.org", b"Subject: new mail", b"",
                b"It came after the first sessions listed the mailbox.", b""])]

    def do_LAST(self, arg):
        self.err("unknown command")

    def do_QUIT(self, arg):
        if self.number == 2:
            self.srv.note("QUIT of connection 2 held back")
            time.sleep(3)
        Session.do_QUIT(self, arg)


class SlowDele(NewMail):
    """as new-mail, but connection 2 answers DELE 3 s late (QUIT on time): a commit can be given up before its QUIT"""

    def do_DELE(self, arg):
        if self.number == 2:
            self.srv.note("DELE of connection 2 held back")
            time.sleep(3)
        Session.do_DELE(self, arg)

    def do_QUIT(self, arg):
        Session.do_QUIT(self, arg)


class NoLast(Session):
    """LAST unknown (as Dovecot, Courier, Cyrus): pouch answers from its record"""

    def do_LAST(self, arg):
        self.err("unknown command")


class LongUid(NoLast):
    """LAST unknown; UIDL gives message 3 a 300-character UID (RFC 1939 allows 70)"""

    def uid(self, n):
        return "uid-3-" + "x" * 294 if n == 3 else "uid-%d" % n

    def do_UIDL(self, arg):
        if arg:
            n = self.msg(arg)
            if n:
                self.ok("%d %s" % (n, self.uid(n)))
            return
        body = b"".join(b"%d %s" % (n, self.uid(n).encode()) + self.eol
                        for n in self.live())
        self.multi("+OK", body)


class SpacedUid(LongUid):
    """LAST unknown; the UIDs of messages 1 and 2 differ only after a space ("same a", "same b")"""

    def uid(self, n):
        return {1: "same a", 2: "same b"}.get(n, "uid-%d" % n)


class DupUid(LongUid):
    """LAST unknown; messages 1 and 2 share one UID"""

    def uid(self, n):
        return "same" if n in (1, 2) else "uid-%d" % n


class DupNumber(LongUid):
    """LAST unknown; UIDL lists message 1 twice, with two UIDs"""

    def do_UIDL(self, arg):
        if arg:
            return LongUid.do_UIDL(self, arg)
        body = b"1 uid-1x" + self.eol + b"".join(
            b"%d uid-%d" % (n, n) + self.eol for n in self.live())
        self.multi("+OK", body)


class EndlessRetr(Session):
    """RETR 1 never ends: body lines as fast as the client reads, until it leaves ("# sent N KiB" at the end)"""

    def hook_RETR(self, arg):
        if arg.strip() != "1":
            return False
        self.send(b"+OK 122 octets" + self.eol)
        chunk = b"".join(b"endless line %06d of a message that never ends" % i + self.eol
                         for i in range(1000))
        sent = 0
        try:
            while True:
                self.send(chunk)
                sent += len(chunk)
        finally:
            self.srv.note("sent %d KiB" % (sent // 1024))


class HostileText(Session):
    """the greeting, the -ERR to RETR 2 and UID 3 hold ESC sequences, C1 CSI and U+202E (right-to-left override)"""

    EVIL = "\u202e\x1b[2J\x1b]0;pwned\x07\u009b31m"

    def greet(self):
        self.ok("faultserver " + self.EVIL + " ready")

    def hook_RETR(self, arg):
        if arg.strip() != "2":
            return False
        self.err("message 2 " + self.EVIL + " is locked")
        return True


class StlsSession(Session):
    """Base of the STLS scenarios: CAPA lists STLS."""

    def capa_lines(self):
        return Session.capa_lines(self) + ["STLS"]


class StlsRefused(StlsSession):
    """CAPA lists STLS, but STLS answers -ERR (a downgrade: the login must not go out in clear)"""

    def hook_STLS(self, arg):
        self.err("TLS not available right now")
        return True


class StlsDrop(StlsSession):
    """STLS answers +OK, then the connection closes before any handshake"""

    def hook_STLS(self, arg):
        self.ok("begin TLS negotiation")
        raise Hangup()


class StlsPlain(StlsSession):
    """STLS answers +OK, then the server goes on in plain text (garbage to a TLS client)"""

    def hook_STLS(self, arg):
        self.ok("begin TLS negotiation")
        self.line("+OK this is not TLS")
        while True:
            self.srv.log(repr(self.recv_some())[:60])


class ErrPass(Session):
    """PASS answers -ERR [AUTH] (wrong password)"""

    def do_PASS(self, arg):
        self.err("[AUTH] invalid user name or password")


class NoCapa(Session):
    """CAPA is an unknown command (an RFC 1939 server without RFC 2449)"""

    def hook_CAPA(self, arg):
        self.err("unknown command")
        return True


class ErrRetrPendingDele(Session):
    """RETR 2 answers -ERR (DELE, RSET and QUIT work): the log shows whether a DELE got committed"""

    def hook_RETR(self, arg):
        if arg.strip() != "2":
            return False
        self.err("message 2 is locked by another session")
        return True


class GarbageStatus(Session):
    """replies "HELLO" to STAT"""

    def hook_STAT(self, arg):
        self.line("HELLO")
        return True


class LfOnly(Session):
    """every line ends in LF only, greeting to QUIT (must work)"""


class LongLine(Session):
    """STAT gets a 10 MB status line without a line end, then silence"""

    def hook_STAT(self, arg):
        chunk = b"9" * 65536
        self.send(b"+OK ")
        for _ in range(160):      # 10 MiB
            self.send(chunk)
        self.srv.note("long line sent")
        self.linger()

    def linger(self):
        # Keep the connection open (no line end ever comes) until the client
        # leaves or the lifetime ends.
        while True:
            self.recv_some()


class Drip(Session):
    """the STAT reply comes one byte per 100 ms, forever (the line never ends)"""

    def hook_STAT(self, arg):
        text = b"+OK 3 " + b"0" * 1000000
        for i in range(len(text)):
            self.send(text[i:i + 1])
            time.sleep(0.1)


class DripGreeting(Session):
    """the greeting comes one byte per 100 ms, forever (the line never ends)"""

    def hook_connect(self):
        text = b"+OK faultserver" + b" ." * 1000000
        for i in range(len(text)):
            self.send(text[i:i + 1])
            time.sleep(0.1)


class NoGreeting(Session):
    """accepts the connection, never sends the greeting"""

    def hook_connect(self):
        while True:
            data = self.recv_some()
            for l in data.decode("latin-1").splitlines():
                self.srv.log(l)


class ShortRetr(Session):
    """RETR 1 ends with "." after fewer octets than LIST said"""

    def hook_RETR(self, arg):
        if arg.strip() != "1":
            return False
        self.multi("+OK %d octets" % self.size(1),
                   first_half(self.msgs[0], self.eol))
        return True


class LongRetr(Session):
    """LIST says message 1 is 100 octets; RETR 1 delivers all 122 (sizes are advisory)"""

    def size(self, n):
        return 100 if n == 1 else Session.size(self, n)


class BadList(Session):
    """LIST and LIST n give a size that overflows 64 bits for message 2"""

    def size(self, n):
        return 18446744073709551616 if n == 2 else Session.size(self, n)


class BadListGarbage(Session):
    """LIST and LIST n give garbage for message 2 ("2 12abc", "x 5")"""

    def hook_LIST(self, arg):
        if arg:
            if arg.strip() == "2":
                self.ok("2 12abc")
                return True
            return False
        body = self.eol.join([b"1 %d" % self.size(1), b"2 12abc",
                              b"x 5", b"3 %d" % self.size(3)]) + self.eol
        self.multi("+OK 3 messages", body)
        return True


class CapaPipelining(Session):
    """offers PIPELINING and reads with a delay: "# batch K" shows pipelining"""

    def do_PASS(self, arg):
        Session.do_PASS(self, arg)
        if self.authed:
            self.read_delay = 0.3
            # Commands sent with PASS, before its reply: pipelined too.
            k = self.buf.count(b"\n")
            if k > 1:
                self.srv.note("batch %d" % k)


class SlowBigRetr(Session):
    """message 1 is 5 MB; RETR 1 comes in 7 chunks with 1 s pauses"""

    def hook_RETR(self, arg):
        if arg.strip() != "1":
            return False
        data = (b"+OK %d octets" % self.size(1) + self.eol +
                stuff(self.msgs[0], self.eol))
        k = 7
        step = (len(data) + k - 1) // k
        for i in range(0, len(data), step):
            if i:
                time.sleep(self.srv.pause)
            self.send(data[i:i + step])
        return True



class OAuth(Session):
    """offers SASL XOAUTH2 and OAUTHBEARER (RFC 7628); accepts alice with the
    bearer token 'pouch-test-token' ("# sasl MECH ok" / "# sasl MECH refused")"""

    TOKEN = "pouch-test-token"

    def capa_lines(self):
        return Session.capa_lines(self) + ["SASL XOAUTH2 OAUTHBEARER"]

    def do_AUTH(self, arg):
        mech, _, ir = arg.partition(" ")
        mech = mech.upper()
        if mech not in ("XOAUTH2", "OAUTHBEARER"):
            self.err("unsupported mechanism")
            return
        if not ir:
            self.send(b"+ " + self.eol)
            ir = self.readline()
            self.srv.log(ir)
        try:
            payload = base64.b64decode(ir.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            self.err("[AUTH] bad base64")
            return
        bearer = "\x01auth=Bearer %s\x01" % self.TOKEN
        if mech == "XOAUTH2":
            good = payload == "user=alice" + bearer + "\x01"
        else:
            good = payload.startswith("n,a=alice,") and payload.endswith(bearer + "\x01")
        self.srv.note("sasl %s %s" % (mech, "ok" if good else "refused"))
        if good:
            self.authed = True
            self.ok("logged in")
        else:
            self.err("[AUTH] invalid token")


class BareLfDot(Session):
    """message 2 holds "x" LF "." LF "y" CRLF: lines are CRLF to this server, so it never stuffs that dot (the message must come whole)"""


class EchoPass(Session):
    """PASS answers -ERR and echoes the command, password included"""

    def do_PASS(self, arg):
        self.err("unknown command: PASS %s" % arg)


class ReplyTwice(Session):
    """offers PIPELINING; DELE answers +OK twice, so later replies are out of step"""

    def capa_lines(self):
        return Session.capa_lines(self) + ["PIPELINING"]

    def do_DELE(self, arg):
        Session.do_DELE(self, arg)
        self.ok("deleted again")


class DigestMd5(Session):
    """offers SASL DIGEST-MD5 PLAIN (as Cyrus does): PLAIN logs in ("# sasl PLAIN ok"); DIGEST-MD5 gets a challenge, and any response is refused ("# digest response")"""

    def capa_lines(self):
        return Session.capa_lines(self) + ["SASL DIGEST-MD5 PLAIN"]

    def do_AUTH(self, arg):
        mech, _, ir = arg.partition(" ")
        mech = mech.upper()
        if mech == "DIGEST-MD5":
            chal = base64.b64encode(b'realm="fault",nonce="OA6MG9tEQGm2hh",'
                                    b'qop="auth",algorithm=md5-sess,charset=utf-8')
            self.send(b"+ " + chal + self.eol)
            self.srv.log(self.readline())
            self.srv.note("digest response")
            self.err("[AUTH] DIGEST-MD5 refused")
            return
        if mech != "PLAIN":
            self.err("unsupported mechanism")
            return
        if not ir:
            self.send(b"+ " + self.eol)
            ir = self.readline()
            self.srv.log(ir)
        try:
            parts = base64.b64decode(ir.strip(), validate=True).split(b"\0")
        except ValueError:
            self.err("[AUTH] bad base64")
            return
        self.srv.note("sasl PLAIN ok" if len(parts) == 3 else "sasl PLAIN refused")
        self.authed = len(parts) == 3
        if self.authed:
            self.ok("logged in")
        else:
            self.err("[AUTH] bad PLAIN response")


class HugeListing(Session):
    """STAT, LIST and UIDL report --listing-lines messages (a listing of ~60 MiB at 5.8 million)"""

    def count(self):
        return self.srv.listing_lines

    def do_STAT(self, arg):
        self.ok("%d %d" % (self.count(), 100 * self.count()))

    def send_listing(self, fmt):
        self.send(b"+OK" + self.eol)
        n = self.count()
        step = 100000
        for start in range(1, n + 1, step):
            self.send(b"".join(fmt % (i, i) + self.eol
                               for i in range(start, min(n + 1, start + step))))
        self.send(b"." + self.eol)

    def hook_LIST(self, arg):
        if arg:
            return False
        self.send_listing(b"%d %d00")
        return True

    def hook_UIDL(self, arg):
        if arg:
            return False
        self.send_listing(b"%d u%d")
        return True


class LastPerSession(Session):
    """LAST per session, as popa3d (RFC 1460): the highest message this connection retrieved since RSET, 0 to a new one"""

    def __init__(self, srv, conn, number):
        Session.__init__(self, srv, conn, number)
        self.last = 0

    def hook_RETR(self, arg):
        try:
            n = int(arg)
        except ValueError:
            return False
        if self.authed and 1 <= n <= len(self.msgs) and n not in self.deleted:
            self.last = max(self.last, n)
        return False

    def hook_RSET(self, arg):
        self.last = 0
        return False

    def do_LAST(self, arg):
        self.ok("%d" % self.last)


def utf8_message():
    """A message whose headers are raw UTF-8 (RFC 6532)."""
    return ("From: J\u00fcrgen M\u00fcller <j\u00fcrgen@b\u00fccher.example>\r\n"
            "To: bob@example.org\r\n"
            "Subject: Gr\u00fc\u00dfe aus K\u00f6ln\r\n"
            "\r\n"
            "Ein Gru\u00df.\r\n").encode("utf-8")


class Utf8(Session):
    """CAPA lists UTF8 (RFC 6856); message 1 has raw UTF-8 headers and, as Courier does, is replaced by a notice unless the client sent UTF8"""

    def __init__(self, srv, conn, number):
        Session.__init__(self, srv, conn, number)
        self.utf8 = False

    def capa_lines(self):
        return Session.capa_lines(self) + ["UTF8"]

    def do_UTF8(self, arg):
        self.utf8 = True
        self.srv.note("utf8 on")
        self.ok("UTF8 enabled")

    def substitute(self):
        return (b"From: postmaster\r\n"
                b"Subject: Cannot display Unicode content\r\n"
                b"\r\n"
                b"This message contains Unicode content; your mail client "
                b"did not enable UTF8 (RFC 6856).\r\n")

    def hook_RETR(self, arg):
        if self.authed and arg.strip() == "1" and not self.utf8 and 1 not in self.deleted:
            self.multi("+OK", self.substitute())
            return True
        return False


class HugeListingNoLast(HugeListing):
    """huge-listing, and LAST unknown: pouch's LAST record takes the whole UIDL map"""

    def do_LAST(self, arg):
        self.err("unknown command")


class DigestMd5Only(Session):
    """offers SASL DIGEST-MD5 and nothing else (no USER in CAPA, no APOP): checks the response as RFC 2831 says for user u, password x ("# digest MD5 ok" / "# digest MD5 refused"), sends rspauth, logs in"""

    PASSWORD = b"x"
    NONCE = b"OA6MG9tEQGm2hh"

    def capa_lines(self):
        return [c for c in Session.capa_lines(self) if c != "USER"] + ["SASL DIGEST-MD5"]

    def do_USER(self, arg):
        self.err("use AUTH DIGEST-MD5")

    @staticmethod
    def fields(text):
        """The name=value pairs of a DIGEST-MD5 response (values unquoted)."""
        out, rest = {}, text
        while rest:
            name, _, rest = rest.partition("=")
            if rest.startswith('"'):
                value, _, rest = rest[1:].partition('"')
            else:
                value, _, rest = rest.partition(",")
                rest = "," + rest if rest else ""
            out[name.strip()] = value
            rest = rest.lstrip(",").lstrip()
        return out

    def digest(self, f, a2_prefix):
        import hashlib

        def h(b):
            return hashlib.md5(b).digest()

        def hx(b):
            return hashlib.md5(b).hexdigest().encode()
        user, realm = f.get("username", "").encode(), f.get("realm", "").encode()
        a1 = h(user + b":" + realm + b":" + self.PASSWORD) + b":" + \
            f.get("nonce", "").encode() + b":" + f.get("cnonce", "").encode()
        a2 = a2_prefix + b":" + f.get("digest-uri", "").encode()
        return hx(hx(a1) + b":" + f.get("nonce", "").encode() + b":" +
                  f.get("nc", "").encode() + b":" + f.get("cnonce", "").encode() +
                  b":" + f.get("qop", "").encode() + b":" + hx(a2)).decode()

    def do_AUTH(self, arg):
        mech = arg.partition(" ")[0].upper()
        if mech != "DIGEST-MD5":
            self.err("unsupported mechanism")
            return
        chal = b'realm="fault",nonce="' + self.NONCE + \
            b'",qop="auth",algorithm=md5-sess,charset=utf-8'
        self.send(b"+ " + base64.b64encode(chal) + self.eol)
        resp = self.readline()
        self.srv.log(resp)
        try:
            f = self.fields(base64.b64decode(resp.strip(), validate=True).decode())
        except (ValueError, UnicodeDecodeError):
            self.err("[AUTH] bad base64")
            return
        good = (f.get("username") == "u" and f.get("nonce") == self.NONCE.decode() and
                f.get("qop", "auth") == "auth" and
                f.get("response") == self.digest(f, b"AUTHENTICATE"))
        self.srv.note("digest MD5 %s" % ("ok" if good else "refused"))
        if not good:
            self.err("[AUTH] DIGEST-MD5 response refused")
            return
        rspauth = "rspauth=" + self.digest(f, b"")
        self.send(b"+ " + base64.b64encode(rspauth.encode()) + self.eol)
        self.srv.log(self.readline())
        self.authed = True
        self.ok("logged in")


class CapaRefusedAfterLogin(Session):
    """CAPA answers before login and -ERR after it (RFC 2449 lets the list change; a refusal is the extreme)"""

    def hook_CAPA(self, arg):
        if not self.authed:
            return False
        self.err("no capabilities for you")
        return True


class StlsRefusedDigest(DigestMd5):
    """CAPA lists STLS and SASL DIGEST-MD5 PLAIN; STLS answers -ERR (on loopback pouch then logs in without TLS, on what that CAPA offered)"""

    def capa_lines(self):
        return DigestMd5.capa_lines(self) + ["STLS"]

    def hook_STLS(self, arg):
        self.err("TLS not available right now")
        return True


SCENARIOS = {
    "oauth": OAuth,
    "normal": Normal,
    "drop-mid-retr": DropMidRetr,
    "stall-mid-retr": StallMidRetr,
    "err-retr-pending-dele": ErrRetrPendingDele,
    "err-quit": ErrQuit,
    "drop-quit": DropQuit,
    "new-mail": NewMail,
    "slow-dele": SlowDele,
    "no-last": NoLast,
    "long-uid": LongUid,
    "spaced-uid": SpacedUid,
    "dup-uid": DupUid,
    "dup-number": DupNumber,
    "endless-retr": EndlessRetr,
    "hostile-text": HostileText,
    "stls-refused": StlsRefused,
    "stls-drop": StlsDrop,
    "stls-plain": StlsPlain,
    "no-capa": NoCapa,
    "err-pass": ErrPass,
    "garbage-status": GarbageStatus,
    "lf-only": LfOnly,
    "long-line": LongLine,
    "drip": Drip,
    "drip-greeting": DripGreeting,
    "no-greeting": NoGreeting,
    "short-retr": ShortRetr,
    "long-retr": LongRetr,
    "bad-list": BadList,
    "bad-list-garbage": BadListGarbage,
    "capa-pipelining": CapaPipelining,
    "slow-big-retr": SlowBigRetr,
    "bare-lf-dot": BareLfDot,
    "echo-pass": EchoPass,
    "reply-twice": ReplyTwice,
    "huge-listing": HugeListing,
    "digest-md5": DigestMd5,
    "digest-md5-only": DigestMd5Only,
    "capa-refused-after-login": CapaRefusedAfterLogin,
    "stls-refused-digest": StlsRefusedDigest,
    "last-per-session": LastPerSession,
    "utf8": Utf8,
    "huge-listing-nolast": HugeListingNoLast,
}


class Server:
    def __init__(self, args):
        self.scenario = args.scenario
        self.cls = SCENARIOS[args.scenario]
        self.logf = open(args.log, "a") if args.log else None
        self.lock = threading.Lock()
        self.deadline = time.monotonic() + args.lifetime
        self.pause = args.pause
        self.eol = b"\n" if args.scenario == "lf-only" else CRLF
        self.pipelining = args.scenario == "capa-pipelining" or args.pipelining
        msgs = small_mailbox()
        if args.scenario == "slow-big-retr":
            msgs[0] = big_message(5 * 1024 * 1024)
        if args.scenario == "bare-lf-dot":
            msgs[1] = (b"From: carol@example.org\r\n"
                       b"Subject: bare LF\r\n"
                       b"\r\n"
                       b"x\n.\ny\r\n"
                       b"x\n..z\r\n"
                       b"the rest of message two\r\n")
        if args.scenario == "utf8":
            msgs[0] = utf8_message()
        self.listing_lines = args.listing_lines
        if self.eol != CRLF:
            msgs = [to_lf(m) for m in msgs]
        self.msgs = msgs

    def log(self, line):
        if self.logf:
            with self.lock:
                self.logf.write(line + "\n")
                self.logf.flush()

    def note(self, text):
        self.log("# " + text)

    def message_as_delivered(self, n):
        """What a client should hand over for RETR N."""
        if self.cls is ShortRetr and n == 1:
            return first_half(self.msgs[0], self.eol)
        return self.msgs[n - 1]

    def run(self, port_file, connections):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", 0))
        ls.listen(4)
        port = ls.getsockname()[1]
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, port_file)
        threads = []
        for number in range(1, connections + 1):
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.note("lifetime over")
                break
            ls.settimeout(left)
            try:
                conn, _ = ls.accept()
            except socket.timeout:
                self.note("lifetime over")
                break
            self.note("connection %d" % number)
            if getattr(self.cls, "concurrent", False):
                t = threading.Thread(target=self.serve_one, args=(conn, number))
                t.start()
                threads.append(t)
            else:
                self.serve_one(conn, number)
        ls.close()
        for t in threads:
            t.join()

    def serve_one(self, conn, number):
        sess = self.cls(self, conn, number)
        try:
            sess.serve()
        except Closed:
            self.note("closed by client")
        except Hangup:
            self.note("closed by server")
        except LifetimeOver:
            self.note("lifetime over")
        finally:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def main():
    p = argparse.ArgumentParser(description="scripted POP3 fault server")
    p.add_argument("--scenario", default="normal")
    p.add_argument("--port-file")
    p.add_argument("--log")
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--lifetime", type=float, default=30.0)
    p.add_argument("--pause", type=float, default=1.0,
                   help="seconds between chunks in slow-big-retr")
    p.add_argument("--pipelining", action="store_true",
                   help="list PIPELINING in CAPA in any scenario")
    p.add_argument("--listing-lines", type=int, default=5800000,
                   help="messages in huge-listing's STAT, LIST and UIDL")
    p.add_argument("--print-message", type=int, metavar="N")
    p.add_argument("--list-scenarios", action="store_true")
    args = p.parse_args()
    if args.list_scenarios:
        for name, cls in SCENARIOS.items():
            print("%-22s %s" % (name, cls.__doc__))
        return 0
    if args.scenario not in SCENARIOS:
        p.error("unknown scenario %r (try --list-scenarios)" % args.scenario)
    srv = Server(args)
    if args.print_message:
        sys.stdout.buffer.write(srv.message_as_delivered(args.print_message))
        return 0
    if not args.port_file:
        p.error("--port-file is required")
    srv.run(args.port_file, args.connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
