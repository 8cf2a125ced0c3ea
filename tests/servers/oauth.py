"""A tiny OAuth2 token-introspection endpoint (RFC 7662) for Dovecot's oauth2 passdb, in a thread."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Introspection:
    """Accepts exactly one token, for one user; everything else is reported inactive."""

    def __init__(self, token: str, user: str) -> None:
        self.token = token
        self.user = user
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, token: str) -> None:
                active = token == outer.token
                body = json.dumps({"active": "true" if active else "false",
                                   **({"username": outer.user} if active else {})}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                self._answer((form.get("token") or [""])[0])

            def do_GET(self) -> None:  # noqa: N802
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                self._answer((query.get("access_token") or [bearer])[0])

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/introspect"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="oauth-introspection", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
