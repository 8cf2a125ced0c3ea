"""The test SMTP server (aiosmtpd), run as a subprocess by fixture.py: `python smtp_server.py CONFIG.json`.

Two listeners on 127.0.0.1 with the same certificate: implicit TLS and STARTTLS (required). AUTH PLAIN and
LOGIN check the test user's password, AUTH XOAUTH2 the test token. Every accepted message is saved, logged
in `deliveries.jsonl` and delivered into the user's Maildir INBOX. Switches are files in the control
folder, read on every message: `hold` (DATA waits until the file is gone), `save_sent` (a copy in the
user's Sent folder, as Microsoft 365 and Gmail do), `reject.json` ([[regex, code], ...] for RCPT TO).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import signal
import ssl
import sys
from email.parser import BytesHeaderParser
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from servers.maildir import Maildir  # noqa: E402


class Handler:
    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.root = Path(cfg["root"])
        self.control = Path(cfg["control"])
        self.maildir = Maildir(Path(cfg["maildir"]))
        self.raw_dir = self.root / "raw"
        self.raw_dir.mkdir(exist_ok=True)
        self.ids = itertools.count(1)
        self.lock = asyncio.Lock()

    # --- AUTH -------------------------------------------------------------------------------------
    def authenticator(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.cfg["user"]
              and auth_data.password.decode() == self.cfg["password"])
        return AuthResult(success=ok, handled=False)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802 (aiosmtpd's name)
        if len(args) < 2:
            blob = await server.challenge_auth("", encode_to_b64=False)
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=False)
        else:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except ValueError:
                return AuthResult(success=False, handled=False)
        fields = dict(part.split("=", 1) for part in blob.decode(errors="replace").split("\x01") if "=" in part)
        ok = (fields.get("user") == self.cfg["user"]
              and fields.get("auth") == f"Bearer {self.cfg['token']}")
        return AuthResult(success=ok, handled=False, auth_data=fields.get("user"))

    # --- envelope -----------------------------------------------------------------------------------
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        rules = self.control / "reject.json"
        if rules.exists():
            for pattern, code in json.loads(rules.read_text(encoding="utf-8")):
                if re.search(pattern, address, re.IGNORECASE):
                    if int(code) >= 500:
                        return f"{code} 5.1.1 <{address}>: recipient rejected (mailbox unavailable)"
                    return f"{code} 4.3.0 <{address}>: temporarily unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        # Shielded: a client that disconnects (or is killed) while held does not undo what was accepted.
        task = asyncio.ensure_future(self._accept(envelope.mail_from, list(envelope.rcpt_tos),
                                                  bytes(envelope.original_content or envelope.content)))
        return await asyncio.shield(task)

    async def _accept(self, mail_from: str, rcpts: list[str], raw: bytes) -> str:
        n = next(self.ids)
        held = self.control / f"held-{n}"
        if (self.control / "hold").exists():
            held.touch()
            while (self.control / "hold").exists():
                await asyncio.sleep(0.02)
            held.unlink(missing_ok=True)
        async with self.lock:
            path = self.raw_dir / f"{n:06d}.eml"
            path.write_bytes(raw)
            self.maildir.put(raw, "INBOX")
            if (self.control / "save_sent").exists():
                self.maildir.put(raw, "Sent", seen=True)
            message_id = BytesHeaderParser().parsebytes(raw).get("Message-ID", "")
            line = json.dumps({"mail_from": mail_from, "rcpts": rcpts, "message_id": str(message_id).strip(),
                               "path": str(path)})
            with open(self.root / "deliveries.jsonl", "a", encoding="utf-8") as log:
                log.write(line + "\n")
        return "250 2.0.0 OK: queued"


async def main(cfg: dict) -> None:
    loop = asyncio.get_running_loop()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cfg["cert"], cfg["key"])
    handler = Handler(cfg)

    def factory(implicit: bool):
        def make() -> SMTP:
            return SMTP(handler, hostname="smtp.office.test", authenticator=handler.authenticator,
                        auth_required=True, auth_require_tls=not implicit,
                        tls_context=None if implicit else ctx, require_starttls=not implicit,
                        timeout=60)
        return make

    smtps = await loop.create_server(factory(True), "127.0.0.1", cfg.get("smtps_port", 0), ssl=ctx)
    submission = await loop.create_server(factory(False), "127.0.0.1", cfg.get("submission_port", 0))
    ports = {"smtps_port": smtps.sockets[0].getsockname()[1],
             "submission_port": submission.sockets[0].getsockname()[1], "pid": os.getpid()}
    ready = Path(cfg["root"]) / "ports.json"
    tmp = ready.with_suffix(".tmp")
    tmp.write_text(json.dumps(ports), encoding="utf-8")
    os.replace(tmp, ready)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    smtps.close()
    submission.close()


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
