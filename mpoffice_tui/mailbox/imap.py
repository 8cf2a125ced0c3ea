"""Reading the office mailbox over IMAP (imapclient): folders, new UIDs, raw messages, APPEND, IDLE.

`ImapSession` is a context manager: it connects and signs in on enter (implicit TLS or STARTTLS; a
password, or XOAUTH2 when the credentials carry an OAuth2 token) and logs out on exit. Every failure is a
`MailServerError` naming the account; nothing here touches the database.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from mpoffice_tui.mailbox import tls
from mpoffice_tui.mailbox.errors import connection_error, scrub, server_text
from mpoffice_tui.mailbox.types import Credentials, MailServerError, ServerSettings

FETCH_BATCH = 200  # messages per FETCH command: streams a big folder without holding it all
SENT_NAMES = ("sent", "sent items", "sent messages", "sent mail")  # when no folder has \Sent
IDLE_CHECK_SECONDS = 1.0  # the longest one idle_check waits, so a stop is honoured promptly


@dataclass(frozen=True)
class FolderStatus:
    """A selected folder: its UIDVALIDITY, the next UID it will give, and how many messages it has."""

    uidvalidity: int
    uidnext: int
    exists: int


class ImapSession:
    """One signed-in IMAP connection for one account (use as `with ImapSession(...) as imap:`)."""

    def __init__(self, settings: ServerSettings, creds: Credentials, timeout: float = 30) -> None:
        self.settings = settings
        self.creds = creds
        self.timeout = timeout
        self._client: IMAPClient | None = None
        self._folder: str | None = None

    # --- connection ---------------------------------------------------------------------------------
    def __enter__(self) -> ImapSession:
        self.connect()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def connect(self) -> None:
        """Connect, start TLS, check a trusted fingerprint, sign in."""
        server = self.settings.imap
        ctx = tls.ssl_context(self.settings)
        try:
            if server.security == "ssl":
                client = IMAPClient(server.host, server.port, ssl=True, ssl_context=ctx, timeout=self.timeout)
            else:
                client = IMAPClient(server.host, server.port, ssl=False, timeout=self.timeout)
                if not client.has_capability("STARTTLS"):
                    _drop(client)
                    raise MailServerError(self.settings.account, f"{server.host}:{server.port} does not offer "
                                          "STARTTLS; mpoffice never signs in unencrypted (try security ssl)",
                                          kind="protocol")
                client.starttls(ctx)
            self._client = client
            tls.check_peer(self.settings, client.socket(), server)
            self._login(client)
        except BaseException as exc:
            if self._client is not None:
                _drop(self._client)
                self._client = None
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise self._error(exc) from None

    def _login(self, client: IMAPClient) -> None:
        user = self.settings.user
        if self.creds.oauth_token:
            try:
                client.oauth2_login(user, self.creds.oauth_token)
            except LoginError as exc:
                raise self._auth_error(exc, "the server refused the sign-in token (it may have expired; "
                                       "sign in again)") from None
        elif self.creds.password is not None:
            try:
                client.login(user, self.creds.password)
            except LoginError as exc:
                raise self._auth_error(exc, "the server refused the user name or password") from None
        else:
            raise MailServerError(self.settings.account, "no password or sign-in token is set", kind="auth")

    def _auth_error(self, exc: Exception, cause: str) -> MailServerError:
        text = server_text(exc.args[0] if exc.args else "")
        if "UNAVAILABLE" in text.upper():  # the server could not check right now (RFC 5530)
            return MailServerError(self.settings.account, "the server cannot check the sign-in just now; "
                                   "it will be tried again", kind="network", transient=True)
        return MailServerError(self.settings.account, f"{cause} (user {self.settings.user})", kind="auth")

    def close(self) -> None:
        """Log out (or just drop the connection if it is already broken). Never raises."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            _drop(client)

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise MailServerError(self.settings.account, "not connected to the IMAP server", kind="network",
                                  transient=True)
        return self._client

    def _error(self, exc: BaseException, folder: str | None = None) -> MailServerError:
        if isinstance(exc, MailServerError):
            return exc
        server = self.settings.imap
        if isinstance(exc, IMAPClientAbortError):
            return MailServerError(self.settings.account, f"the connection to {server.host}:{server.port} was "
                                   "dropped", kind="network", transient=True)
        if isinstance(exc, (OSError, ssl.SSLError, EOFError)):
            return connection_error(self.settings, server, exc, "imap")
        if isinstance(exc, IMAPClientError):
            text = scrub(server_text(exc.args[0] if exc.args else exc), self.creds)
            where = f" ({folder!r})" if folder else ""
            return MailServerError(self.settings.account, f"the IMAP server said{where}: {text}")
        return connection_error(self.settings, server, exc, "imap")

    # --- folders ------------------------------------------------------------------------------------
    def _folder_error(self, exc: BaseException, folder: str) -> MailServerError:
        """What went wrong with a folder: "gone" when the server no longer has it."""
        if isinstance(exc, IMAPClientError) and not isinstance(exc, IMAPClientAbortError) \
                and folder not in self.folders():
            return MailServerError(self.settings.account, f"the folder {folder!r} no longer exists on the server",
                                   kind="gone")
        return self._error(exc, None if isinstance(exc, IMAPClientAbortError) else folder)

    def _list(self) -> list[tuple[tuple[bytes, ...], str]]:
        try:
            return [(tuple(flags), name) for flags, _sep, name in self.client.list_folders()]
        except Exception as exc:
            raise self._error(exc) from None

    def folders(self) -> list[str]:
        """Every folder that can hold mail (not \\Noselect ones), as the server names them."""
        return [name for flags, name in self._list()
                if not {b"\\Noselect", b"\\NonExistent"} & {f for f in flags}]

    def sent_folder(self) -> str | None:
        """The folder marked \\Sent (SPECIAL-USE), else one named Sent / Sent Items / Sent Messages."""
        listed = self._list()
        for flags, name in listed:
            if b"\\Sent" in flags:
                return name
        for flags, name in listed:
            leaf = name.rsplit("/", 1)[-1].rsplit(".", 1)[-1].strip().lower()
            if leaf in SENT_NAMES and b"\\Noselect" not in flags:
                return name
        return None

    def open(self, folder: str) -> FolderStatus:
        """Select `folder` read-only. A folder that no longer exists raises MailServerError kind "gone"."""
        try:
            info = self.client.select_folder(folder, readonly=True)
        except Exception as exc:
            raise self._folder_error(exc, folder) from None
        self._folder = folder
        try:
            uidvalidity = int(info[b"UIDVALIDITY"])
            exists = int(info.get(b"EXISTS", 0))
            uidnext = info.get(b"UIDNEXT")
            if uidnext is None:  # not every server sends it on SELECT; STATUS always can
                uidnext = self.client.folder_status(folder, [b"UIDNEXT"])[b"UIDNEXT"]
        except Exception as exc:
            raise self._error(exc, folder) from None
        return FolderStatus(uidvalidity=uidvalidity, uidnext=int(uidnext), exists=exists)

    # --- messages -----------------------------------------------------------------------------------
    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs greater than `last_uid` in the selected folder, ascending.

        `UID SEARCH UID n:*` always matches the last message even when n is beyond it, so it is filtered.
        """
        try:
            found = self.client.search(["UID", f"{int(last_uid) + 1}:*"])
        except Exception as exc:
            raise self._error(exc, self._folder) from None
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """(uid, raw message) for each UID that still exists, in the order given, in batches.

        BODY.PEEK[] is used, so nothing is marked read on the server.
        """
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start:start + FETCH_BATCH]
            try:
                answer = self.client.fetch(batch, [b"BODY.PEEK[]"])
            except Exception as exc:
                raise self._error(exc, self._folder) from None
            for uid in batch:
                data = answer.get(uid)
                if data is None:
                    continue  # expunged since the search
                raw = data.get(b"BODY[]")
                if raw is not None:
                    yield uid, bytes(raw)

    def find_message_id(self, folder: str, message_id: str) -> bool:
        """Whether `folder` holds a message with this Message-ID (selects that folder read-only)."""
        self.open(folder)
        wanted = message_id.strip()
        try:
            return bool(self.client.search(["HEADER", "Message-ID", wanted]))
        except Exception as exc:
            raise self._error(exc, folder) from None

    def append(self, folder: str, raw: bytes, seen: bool = True) -> None:
        """Store `raw` in `folder` (marked read unless seen=False)."""
        try:
            self.client.append(folder, raw, flags=(b"\\Seen",) if seen else ())
        except Exception as exc:
            raise self._folder_error(exc, folder) from None

    # --- waiting for mail ---------------------------------------------------------------------------
    def idle(self, wait_seconds: float, stop: threading.Event | None = None) -> bool:
        """IDLE on the selected folder: True as soon as the server reports new mail, False when
        `wait_seconds` pass or `stop` is set (checked at least every second)."""
        client = self.client
        deadline = time.monotonic() + max(0.0, wait_seconds)
        try:
            client.idle()
        except Exception as exc:
            raise self._error(exc, self._folder) from None
        news = False
        try:
            while not news:
                if stop is not None and stop.is_set():
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = min(IDLE_CHECK_SECONDS, remaining)
                started = time.monotonic()
                responses = client.idle_check(timeout=wait)
                news = any(len(r) >= 2 and r[1] in (b"EXISTS", b"RECENT") and r[0] for r in responses)
                if not responses and time.monotonic() - started < wait / 2:
                    # readable, yet nothing came: imapclient hides a closed connection this way, so ask
                    client.idle_done()
                    client.noop()
                    client.idle()
        except Exception as exc:
            _drop(client)
            self._client = None
            raise self._error(exc, self._folder) from None
        try:
            client.idle_done()
        except Exception as exc:
            _drop(client)
            self._client = None
            raise self._error(exc, self._folder) from None
        return news


def _drop(client: IMAPClient) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error, AttributeError):
        client.shutdown()
