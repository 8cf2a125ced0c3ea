"""Outlook .msg files (OLE compound documents) -> ParsedMessage, via extract-msg (read in memory)."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from email.utils import getaddresses, parseaddr

from mpoffice_tui.importers.mail.parse import (
    MailError,
    ParsedAttachment,
    ParsedMessage,
    _iso,
    _parse_date,
    content_hash,
    decode_header_value,
    html_to_text,
)

_MSGID = re.compile(r"<[^<>\s]+>")
# 8-bit .msg strings without a code page are read as ISO-8859-15, which turns Windows-1252 punctuation
# (the ellipsis, curly quotes, dashes) into C1 control characters; map those back, as the .eml path does.
_C1_AS_CP1252 = {c: bytes([c]).decode("cp1252") for c in range(0x80, 0xA0) if c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    # string properties may keep their NUL terminator
    return str(value).rstrip("\x00").translate(_C1_AS_CP1252)


def parse_msg(raw: bytes) -> ParsedMessage:
    """Parse the bytes of an Outlook .msg file. Raises MailError when it is not a readable message."""
    import extract_msg

    flags: set[str] = {"outlook_msg"}
    try:
        msg = extract_msg.openMsg(raw, delayAttachments=False)
    except Exception as exc:  # noqa: BLE001 - olefile/extract-msg raise many kinds
        raise MailError(f"unreadable Outlook .msg file ({type(exc).__name__})") from exc
    try:
        if not hasattr(msg, "subject") or not hasattr(msg, "sender"):
            raise MailError("an Outlook item that is not an email (e.g. a contact or appointment)")
        sender = decode_header_value(_text(msg.sender), flags)
        name, addr = parseaddr(sender)
        if not addr or "@" not in addr:
            raise MailError("no sender address in the Outlook message")
        body = _text(msg.body)
        if not body.strip():
            html = msg.htmlBody
            if html:
                body = html_to_text(_text(html))
                flags.add("html_only")
        header = getattr(msg, "header", None)
        date = None
        parsed = getattr(msg, "date", None)
        if isinstance(parsed, datetime):
            date = _iso(parsed)
        elif header is not None:
            date = _parse_date(header.get("Date"), flags)
        if date is None:
            flags.add("no_date")
        recipients = ", ".join(a for _, a in getaddresses([_text(msg.to), _text(msg.cc)]) if a)
        mid = (_MSGID.findall(_text(getattr(msg, "messageId", "")) or "") or [None])[0]
        irt = (_MSGID.findall(_text(getattr(msg, "inReplyTo", "")) or "") or [None])[0]
        refs = tuple(_MSGID.findall(_text(header.get("References")) if header is not None else ""))
        atts = []
        for i, att in enumerate(getattr(msg, "attachments", []) or [], 1):
            data = getattr(att, "data", None)
            if not isinstance(data, bytes):
                continue  # embedded Outlook items are kept in the raw .msg only
            fname = _text(getattr(att, "longFilename", None) or getattr(att, "shortFilename", None)
                          or f"attachment-{i}.bin")
            ctype = _text(getattr(att, "mimetype", None)) or "application/octet-stream"
            atts.append(ParsedAttachment(re.sub(r"[\x00-\x1f\x7f/\\]", "_", fname), ctype, data))
        return ParsedMessage(
            raw=raw, sender_name=name.strip(), sender_email=addr.strip().lower(), recipients=recipients,
            subject=decode_header_value(_text(msg.subject), flags), body_text=body.replace("\r\n", "\n"),
            date=date, message_id=mid, in_reply_to=irt, references=refs, content_hash=content_hash(raw),
            attachments=tuple(atts), flags=tuple(sorted(flags)),
        )
    finally:
        with contextlib.suppress(Exception):
            msg.close()
