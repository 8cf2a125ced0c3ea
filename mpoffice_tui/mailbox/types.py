"""The shapes every mailbox module shares: where a server is, how to sign in, and what went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

SECURITIES = ("ssl", "starttls")  # implicit TLS, or STARTTLS; plaintext is never offered
IMAP_PORTS = {"ssl": 993, "starttls": 143}
SMTP_PORTS = {"ssl": 465, "starttls": 587}


@dataclass(frozen=True)
class Server:
    """One server: host, port and how TLS starts."""

    host: str
    port: int
    security: str = "ssl"  # one of SECURITIES


@dataclass(frozen=True)
class ServerSettings:
    """An account's two servers, as the mailbox modules need them."""

    account: str  # the account's name in the office, used in every error message
    imap: Server
    smtp: Server
    user: str  # the login (for Microsoft 365: the mailbox address, shared mailboxes included)
    trust_fingerprint: str | None = None  # SHA-256 of a self-signed certificate the user trusts on purpose


@dataclass(frozen=True)
class Credentials:
    """A password (or app password) or an OAuth2 access token for XOAUTH2; never printed."""

    password: str | None = field(default=None, repr=False)
    oauth_token: str | None = field(default=None, repr=False)


class MailServerError(Exception):
    """A mail server could not do what was asked. `str()` is one line: the account, then the cause.

    kind: "auth" (wrong password, expired sign-in), "network" (unknown host, refused, dropped,
    timed out), "certificate" (not trusted, or not the trusted fingerprint), "gone" (a folder that no
    longer exists), "rejected" (the server refused a message or recipient), "protocol" (anything else).
    transient: worth trying again later (network trouble, 4xx from SMTP); permanent otherwise.
    """

    def __init__(self, account: str, cause: str, *, kind: str = "protocol", transient: bool = False,
                 code: int | None = None) -> None:
        self.account = account
        self.cause = " ".join(cause.split())[:300]
        self.kind = kind
        self.transient = transient
        self.code = code
        super().__init__(f"mail account {account!r}: {self.cause}")
