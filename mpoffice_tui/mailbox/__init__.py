"""Talking to mail servers only (DESIGN §2, §5a): IMAP fetch, SMTP send, Microsoft 365 sign-in.

No database here: `services/mail_*` drive these modules and keep their state in the office. Every
failure is a `MailServerError` whose message names the account and the cause in one line, with no
secret in it.
"""

from mpoffice_tui.mailbox.types import Credentials, MailServerError, Server, ServerSettings

__all__ = ["Credentials", "MailServerError", "Server", "ServerSettings"]
