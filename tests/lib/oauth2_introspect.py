#!/usr/bin/env python3
"""oauth2_introspect.py: a token introspection endpoint (RFC 7662) on
127.0.0.1 for Dovecot's oauth2 passdb in the tests.

    oauth2_introspect.py --token TOKEN --user USER --port-file FILE
                         --log FILE [--lifetime S]

POST /introspect with the form field token=...: {"active": true,
"username": USER} for TOKEN, {"active": false} for anything else. Each
request is logged as "token ok" or "token bad" (never the token itself).
Listens on a free port (written to FILE, atomically); exits after
--lifetime seconds (default 120) or on SIGTERM.  Standard library only.
"""
import argparse
import http.server
import json
import os
import socketserver
import sys
import threading
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--token", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--lifetime", type=float, default=120.0)
    a = p.parse_args()

    log = open(a.log, "a", buffering=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(n).decode("latin-1"))
            good = form.get("token") == [a.token]
            log.write("token %s\n" % ("ok" if good else "bad"))
            body = {"active": True, "username": a.user} if good else {"active": False}
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    srv = Server(("127.0.0.1", 0), Handler)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    threading.Timer(a.lifetime, srv.shutdown).start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
