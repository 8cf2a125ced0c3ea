"""TLS for the mail servers: verified certificates, or one self-signed certificate trusted by fingerprint.

With `settings.trust_fingerprint` set, the chain is not verified, but after the handshake the server's
certificate must have exactly that SHA-256 (`check_peer`); any other certificate is refused. Without it,
the certificate and host name are verified as any mail client does.
"""

from __future__ import annotations

import hashlib
import imaplib
import re
import smtplib
import socket
import ssl

from mpoffice_tui.mailbox.types import MailServerError, Server, ServerSettings

_HEX = re.compile(r"[0-9A-F]{64}")


def fingerprint_of(der: bytes) -> str:
    """SHA-256 of a DER certificate as colon-separated upper-case hex pairs (3A:0F:…)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def normalise_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint typed any way (colons, spaces, any case) in the canonical form.

    Raises ValueError when it is not 64 hex digits.
    """
    bare = re.sub(r"[\s:\-]", "", text or "").upper()
    if not _HEX.fullmatch(bare):
        raise ValueError("a SHA-256 fingerprint is 64 hex digits (pairs may be separated by colons)")
    return ":".join(bare[i:i + 2] for i in range(0, 64, 2))


def ssl_context(settings: ServerSettings) -> ssl.SSLContext:
    """The client context for `settings`: normal verification, or (with a trusted fingerprint) none,
    the fingerprint being checked by `check_peer` after the handshake."""
    if settings.trust_fingerprint:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def check_peer(settings: ServerSettings, sslsock: ssl.SSLSocket, server: Server | None = None) -> None:
    """Refuse the connection unless the peer's certificate is the trusted one (when one is trusted)."""
    if not settings.trust_fingerprint:
        return
    where = server or settings.imap
    der = sslsock.getpeercert(binary_form=True)
    shown = fingerprint_of(der) if der else "(none)"
    try:
        wanted = normalise_fingerprint(settings.trust_fingerprint)
    except ValueError as exc:
        raise MailServerError(settings.account, f"the trusted fingerprint is not valid: {exc}",
                              kind="certificate") from None
    if shown != wanted:
        raise MailServerError(
            settings.account,
            f"the certificate of {where.host}:{where.port} is not the one this account trusts "
            f"(the server showed {shown}); if the server's certificate was replaced on purpose, "
            f"trust the new one with --trust-fingerprint {shown}",
            kind="certificate")


def _unverified() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def probe_fingerprint(server: Server, protocol: str = "imap", timeout: float = 10.0) -> str:
    """Connect to `server` without verifying anything and return its certificate's fingerprint.

    Used to show the user what they would be trusting. `protocol` ("imap" or "smtp") says how to ask for
    STARTTLS when `server.security` is "starttls". Raises OSError/ssl.SSLError (and the protocol
    libraries' errors) when the server cannot be reached.
    """
    ctx = _unverified()
    if server.security == "ssl":
        with socket.create_connection((server.host, server.port), timeout=timeout) as raw, \
                ctx.wrap_socket(raw, server_hostname=server.host) as tls:
            return fingerprint_of(tls.getpeercert(binary_form=True))
    if protocol == "smtp":
        with smtplib.SMTP(server.host, server.port, timeout=timeout) as smtp:
            smtp.starttls(context=ctx)
            return fingerprint_of(smtp.sock.getpeercert(binary_form=True))
    imap = imaplib.IMAP4(server.host, server.port, timeout=timeout)
    try:
        imap.starttls(ssl_context=ctx)
        return fingerprint_of(imap.sock.getpeercert(binary_form=True))
    finally:
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            imap.shutdown()


def _reason(exc: ssl.SSLCertVerificationError) -> str:
    message = (getattr(exc, "verify_message", "") or str(exc)).lower()
    if "self-signed" in message or "self signed" in message:
        return "self-signed"
    if "expired" in message:
        return "it has expired"
    if "hostname" in message or "ip address mismatch" in message:
        return f"it is for another host name: {message}"
    if "unable to get local issuer" in message:
        return "it is signed by an authority this machine does not know"
    return message or "verification failed"


def certificate_error(settings: ServerSettings, server: Server, exc: ssl.SSLCertVerificationError,
                      protocol: str = "imap") -> MailServerError:
    """The one-line error for a certificate that failed verification, with the fingerprint to trust."""
    try:
        shown = probe_fingerprint(server, protocol, timeout=5.0)
        hint = f"; if it is your server's, add --trust-fingerprint {shown}"
    except Exception:  # the server vanished in between: the reason alone still helps
        hint = ""
    return MailServerError(
        settings.account,
        f"the certificate of {server.host}:{server.port} is not trusted ({_reason(exc)}){hint}",
        kind="certificate")
