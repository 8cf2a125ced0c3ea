"""Turning socket, TLS and protocol failures into one-line `MailServerError`s with no secret in them."""

from __future__ import annotations

import socket
import ssl

from mpoffice_tui.mailbox.tls import certificate_error
from mpoffice_tui.mailbox.types import Credentials, MailServerError, Server, ServerSettings


def scrub(text: str, creds: Credentials | None) -> str:
    """`text` with the password and token (if any) blanked out, in case a server echoes them."""
    for secret in (creds.password, creds.oauth_token) if creds else ():
        if secret:
            text = text.replace(secret, "***")
    return text


def server_text(data: object) -> str:
    """A server's reply (bytes, str, or a list of them) as one line of text."""
    if isinstance(data, (list, tuple)):
        return " ".join(server_text(d) for d in data)
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return str(data)


def connection_error(settings: ServerSettings, server: Server, exc: BaseException,
                     protocol: str = "imap") -> MailServerError:
    """A socket/TLS failure talking to `server` as a MailServerError (kind and transient set)."""
    where = f"{server.host}:{server.port}"
    if isinstance(exc, MailServerError):
        return exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        return certificate_error(settings, server, exc, protocol)
    if isinstance(exc, socket.gaierror):
        return MailServerError(settings.account, f"cannot find the server {server.host!r} (unknown host name, "
                               "or no network)", kind="network", transient=True)
    if isinstance(exc, ConnectionRefusedError):
        return MailServerError(settings.account, f"{where} refused the connection (is the server running, "
                               "and is the port right?)", kind="network", transient=True)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return MailServerError(settings.account, f"{where} did not answer in time", kind="network",
                               transient=True)
    if isinstance(exc, (ssl.SSLZeroReturnError, ssl.SSLEOFError)):
        return MailServerError(settings.account, f"the connection to {where} was dropped", kind="network",
                               transient=True)
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or exc.__class__.__name__
        return MailServerError(settings.account, f"TLS with {where} failed ({reason}); check the port and "
                               f"the security setting ({server.security})", kind="protocol")
    if isinstance(exc, (ConnectionError, EOFError)):
        return MailServerError(settings.account, f"the connection to {where} was dropped", kind="network",
                               transient=True)
    if isinstance(exc, OSError):
        reason = exc.strerror or exc.__class__.__name__
        return MailServerError(settings.account, f"cannot talk to {where}: {reason}", kind="network",
                               transient=True)
    return MailServerError(settings.account, f"{where}: unexpected {exc.__class__.__name__}", kind="protocol")
