"""Sending one message over SMTP (stdlib smtplib): implicit TLS or STARTTLS, password or XOAUTH2.

`raw` is sent exactly as given (the caller fixed its Message-ID when it was queued). Every failure is a
`MailServerError`: 5xx → kind "rejected", permanent, with the code and the server's reason; 4xx and
network trouble → transient; a refused sign-in → "auth".
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl

from mpoffice_tui.mailbox import tls
from mpoffice_tui.mailbox.errors import connection_error, scrub, server_text
from mpoffice_tui.mailbox.types import Credentials, MailServerError, ServerSettings


def _connect(settings: ServerSettings, creds: Credentials, timeout: float) -> smtplib.SMTP:
    """A signed-in SMTP connection over TLS (implicit, or STARTTLS, which must be offered)."""
    server = settings.smtp
    ctx = tls.ssl_context(settings)
    if server.security == "ssl":
        conn = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=ctx)
    else:
        conn = smtplib.SMTP(server.host, server.port, timeout=timeout)
        conn.ehlo()
        if not conn.has_extn("starttls"):
            with contextlib.suppress(OSError):
                conn.close()
            raise MailServerError(settings.account, f"{server.host}:{server.port} does not offer STARTTLS; "
                                  "mpoffice never sends mail unencrypted (try security ssl)", kind="protocol")
        conn.starttls(context=ctx)
        conn.ehlo()
    try:
        tls.check_peer(settings, conn.sock, server)
        _login(settings, creds, conn)
    except BaseException:
        with contextlib.suppress(OSError):
            conn.close()
        raise
    return conn


@contextlib.contextmanager
def _errors(settings: ServerSettings, creds: Credentials):
    """Every smtplib/socket/TLS failure as one MailServerError naming the account."""
    server = settings.smtp
    try:
        yield
    except MailServerError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        raise _refused_all(settings, creds, exc.recipients) from None
    except smtplib.SMTPResponseException as exc:
        raise _response_error(settings, creds, exc) from None
    except smtplib.SMTPServerDisconnected:
        raise MailServerError(settings.account, f"the connection to {server.host}:{server.port} was dropped",
                              kind="network", transient=True) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailServerError(settings.account, f"the SMTP server does not support this: {exc}") from None
    except (OSError, ssl.SSLError, smtplib.SMTPException) as exc:
        raise connection_error(settings, server, exc, "smtp") from None


def check(settings: ServerSettings, creds: Credentials, timeout: float = 30) -> None:
    """Connect and sign in, then leave: a wrong password or an untrusted certificate is said now."""
    with _errors(settings, creds):
        conn = _connect(settings, creds, timeout)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            conn.quit()


def send(settings: ServerSettings, creds: Credentials, raw: bytes, mail_from: str, rcpt_to: list[str],
         timeout: float = 30) -> dict[str, str]:
    """Send `raw` to `rcpt_to`. Returns the recipients the server refused while accepting others
    (address → "code reason"); raises MailServerError when nothing was accepted or anything failed."""
    if not rcpt_to:
        raise MailServerError(settings.account, "the message has no recipients", kind="rejected")
    conn: smtplib.SMTP | None = None
    with _errors(settings, creds):
        try:
            conn = _connect(settings, creds, timeout)
            refused = conn.sendmail(mail_from, rcpt_to, raw)
            with contextlib.suppress(smtplib.SMTPException, OSError):  # accepted: a rude goodbye changes nothing
                conn.quit()
            conn = None
            return {addr: f"{code} {scrub(server_text(msg), creds)}" for addr, (code, msg) in refused.items()}
        finally:
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()


def _login(settings: ServerSettings, creds: Credentials, conn: smtplib.SMTP) -> None:
    if creds.oauth_token:
        initial = f"user={settings.user}\x01auth=Bearer {creds.oauth_token}\x01\x01"
        conn.ehlo_or_helo_if_needed()
        # after a failure the server sends a JSON challenge; the empty answer ends the exchange
        conn.auth("XOAUTH2", lambda challenge=None: initial if challenge is None else "",
                  initial_response_ok=True)
    elif creds.password is not None:
        conn.login(settings.user, creds.password)
    else:
        raise MailServerError(settings.account, "no password or sign-in token is set", kind="auth")


def _response_error(settings: ServerSettings, creds: Credentials,
                    exc: smtplib.SMTPResponseException) -> MailServerError:
    code = int(exc.smtp_code)
    reason = scrub(server_text(exc.smtp_error), creds)
    if isinstance(exc, smtplib.SMTPAuthenticationError) or code in (530, 534, 535, 538):
        if 400 <= code < 500:
            return MailServerError(settings.account, f"the server cannot check the sign-in just now ({code})",
                                   kind="network", transient=True, code=code)
        what = "sign-in token (it may have expired; sign in again)" if creds.oauth_token else \
            "user name or password"
        return MailServerError(settings.account, f"the server refused the {what} (user {settings.user})",
                               kind="auth", code=code)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailServerError(settings.account, f"the server refused the sender {exc.sender}: {code} {reason}",
                               kind="rejected", transient=400 <= code < 500, code=code)
    if 400 <= code < 500:
        return MailServerError(settings.account, f"the server asked to try later: {code} {reason}",
                               kind="rejected", transient=True, code=code)
    return MailServerError(settings.account, f"the server refused the message: {code} {reason}",
                           kind="rejected", transient=False, code=code)


def _refused_all(settings: ServerSettings, creds: Credentials,
                 recipients: dict[str, tuple[int, bytes]]) -> MailServerError:
    codes = [int(code) for code, _msg in recipients.values()]
    detail = "; ".join(f"{addr}: {code} {scrub(server_text(msg), creds)}"
                       for addr, (code, msg) in recipients.items())
    transient = any(400 <= c < 500 for c in codes)
    code = next((c for c in codes if 400 <= c < 500), codes[0]) if transient else codes[0]
    return MailServerError(settings.account, f"the server refused every recipient: {detail}",
                           kind="rejected", transient=transient, code=code)
