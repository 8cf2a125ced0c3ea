"""Mail importers: parse .eml, Outlook .msg, mbox and Maildir into frozen `ParsedMessage`s.

No database here: `services/inbox.py` stores what these readers yield.
"""

from mpoffice_tui.importers.mail.parse import MailError, ParsedAttachment, ParsedMessage, parse_bytes
from mpoffice_tui.importers.mail.readers import Item, iter_files, read_file, read_paths

__all__ = ["Item", "MailError", "ParsedAttachment", "ParsedMessage", "iter_files", "parse_bytes",
           "read_file", "read_paths"]
