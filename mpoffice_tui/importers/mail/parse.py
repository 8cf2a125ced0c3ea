"""RFC 5322 bytes -> a frozen `ParsedMessage` (no database, no network).

Headers are decoded (RFC 2047 encoded words, RFC 2231 parameters, and raw 8-bit bytes as UTF-8 else
Windows-1252) best effort; bodies are decoded from quoted-printable/base64 and from their declared charset.
An unknown or wrong charset label never rejects a message: it is decoded as well as it can be, falling back
with replacement characters, and flagged.
HTML-only mail becomes readable text with inscriptis (nothing is fetched). Anything that cannot be a
message raises `MailError` with a short reason; the caller reports it with the file and position.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import decode_header, make_header
from email.message import Message as EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime, unquote

MAX_HTML_FOR_TEXT = 4_000_000  # larger HTML bodies are shown truncated as text


class MailError(Exception):
    """A message that cannot be imported; str() is the reason shown to the user."""


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    """One parsed message; `raw` is the original byte for byte."""

    raw: bytes
    sender_name: str
    sender_email: str
    recipients: str
    subject: str
    body_text: str
    date: str | None  # ISO-8601 UTC, or None when the message has no usable Date
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    content_hash: str
    attachments: tuple[ParsedAttachment, ...] = ()
    flags: tuple[str, ...] = field(default=())


# -- helpers ------------------------------------------------------------------------------------
_MSGID = re.compile(r"<[^<>\s]+>")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")
_ADDR = re.compile(r"<?([^<>\s@,;\"]+@[^<>\s,;\"]+?)>?(?:\s|$)")
# charsets mail software declares that are really their supersets (as WHATWG decodes them)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "latin_1": "cp1252", "iso8859-1": "cp1252",
              "ascii": "ascii", "ks_c_5601-1987": "cp949", "euc_kr": "cp949", "shift_jis": "cp932",
              "iso8859-9": "cp1254", "tis-620": "cp874", "big5": "big5hkscs"}


class _RawHeaders(email.policy.Compat32):
    """compat32, but a header with raw 8-bit bytes is handed back as the parser read it (bytes kept as
    surrogate escapes) instead of as a `Header` whose text has lost them: `decode_header_value` decodes
    them (a name such as Siobhán arrives intact, and an 8-bit attachment name is a name, not a crash)."""

    def header_fetch_parse(self, name, value):
        return value


_POLICY = _RawHeaders()


def content_hash(raw: bytes) -> str:
    """A hash of the message's bytes, insensitive to CRLF/LF (used when there is no Message-ID)."""
    return hashlib.sha256(raw.replace(b"\r\n", b"\n").rstrip(b"\n")).hexdigest()


def _charset_ok(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip('"').lower().split("*", 1)[0]  # "utf-8*en": RFC 2231 adds a language
    if name in ("unknown-8bit", "x-unknown", "unknown"):
        return None
    try:
        found = codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(found, found)


def decode_bytes(data: bytes, charset: str | None, flags: set[str]) -> str:
    """Bytes in a declared charset -> text; unknown or wrong charsets are decoded best effort."""
    declared = _charset_ok(charset)
    if charset and declared is None:
        flags.add("charset_unknown")
    if declared:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
        if declared:
            flags.add("charset_mismatch")
        return text
    except UnicodeDecodeError:
        pass
    flags.add("charset_replaced")
    if declared and declared not in ("ascii", "utf-8"):
        return data.decode(declared, errors="replace")
    return data.decode("cp1252", errors="replace")


def decode_header_value(value, flags: set[str]) -> str:
    """An RFC 2047 header (or raw 8-bit bytes in a header) -> text, best effort."""
    if value is None:
        return ""
    value = str(value)
    if _has_8bit(value):
        # raw 8-bit bytes in a header (surrogate-escaped by the parser): UTF-8 (RFC 6532), else a guess
        # at Windows-1252 (a superset of Latin-1), which is flagged
        data = value.encode("utf-8", errors="surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = decode_bytes(data, "cp1252", flags)
            flags.add("header_8bit")
    if "=?" not in value:
        return _unfold(value)
    try:
        parts = decode_header(value)
    except Exception:  # noqa: BLE001 - malformed encoded words: keep them as they are
        flags.add("header_undecodable")
        return _unfold(value)
    try:
        return _unfold(str(make_header(parts)))
    except Exception:  # noqa: BLE001 - unknown charset in an encoded word
        pass
    out = []
    for chunk, cs in parts:
        out.append(decode_bytes(chunk, cs, flags) if isinstance(chunk, bytes) else chunk)
    return _unfold(" ".join(o.strip() for o in out))


def _unfold(s: str) -> str:
    return re.sub(r"\r?\n[ \t]*", " ", s).strip()


def html_to_text(html: str) -> str:
    """HTML -> readable text with inscriptis; no network access, no images, no scripts."""
    from inscriptis import get_text

    if len(html) > MAX_HTML_FOR_TEXT:
        html = html[:MAX_HTML_FOR_TEXT]
    try:
        text = get_text(html)
    except Exception:  # noqa: BLE001 - lxml gives up on some junk; fall back to stripping tags
        text = re.sub(r"<[^>]*>", " ", html)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _iso(dt: datetime) -> str:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_date(value: str | None, flags: set[str]) -> str | None:
    if not value:
        flags.add("no_date")
        return None
    try:
        dt = parsedate_to_datetime(str(value))
        if dt is None or not (1970 <= dt.year <= 2200):
            raise ValueError(value)
        return _iso(dt)
    except (TypeError, ValueError, IndexError, OverflowError):
        flags.add("bad_date")
        return None


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(str(value or ""))


def looks_like_message(raw: bytes) -> str | None:
    """None if `raw` could be an RFC 5322 message, else the reason it cannot."""
    if not raw.strip():
        return "empty file"
    head = raw.lstrip(b"\r\n")[:4096]
    first = head.split(b"\n", 1)[0]
    end = head.find(b"\n\n")
    header_block = head if end < 0 else head[:end]
    if b"\x00" in header_block:
        return "binary data, not an email message"
    if not _HEADER_LINE.match(first):
        printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
        if printable < 0.9 * len(head):
            return "binary data, not an email message"
        return "not an email message: no header block at the start"
    return None


# -- the parser -----------------------------------------------------------------------------------
def parse_bytes(raw: bytes) -> ParsedMessage:
    """Parse one RFC 5322 message. Raises MailError (with a reason) for what cannot be imported."""
    try:
        return _parse_bytes(raw)
    except MailError:
        raise
    except Exception as exc:  # noqa: BLE001 - hostile input must never crash an import
        raise MailError(f"unreadable message ({type(exc).__name__})") from exc


def _parse_bytes(raw: bytes) -> ParsedMessage:
    problem = looks_like_message(raw)
    if problem:
        raise MailError(problem)
    try:
        msg = email.message_from_bytes(raw, policy=_POLICY)
    except Exception as exc:  # noqa: BLE001 - the stdlib parser rarely raises, but never crash
        raise MailError(f"broken MIME: {type(exc).__name__}") from exc
    flags: set[str] = set()

    from_raw = str(msg.get("From") or msg.get("Sender") or "")
    from_value = decode_header_value(from_raw, flags)
    name, addr = parseaddr(from_raw)  # addresses first, then the display name is decoded
    if addr and "@" in addr and not _has_8bit(addr):
        name = decode_header_value(name, flags) if ("=?" in name or _has_8bit(name)) else name
    else:
        name, addr = parseaddr(from_value)
    if not addr or "@" not in addr or any(c.isspace() for c in addr):
        found = _ADDR.search(from_value)
        if found:
            addr, name = found.group(1), from_value[:found.start()].strip(' "<')
    if not addr or "@" not in addr:
        if not from_value.strip():
            raise MailError("no sender (no From: header)")
        raise MailError(f"no sender address in From: {from_value[:60]!r}")
    recipients = []
    for hdr in ("To", "Cc"):
        for v in msg.get_all(hdr) or []:
            recipients.append(decode_header_value(v, flags))
    rcpt_addrs = [a for _, a in getaddresses(recipients) if a]

    body, attachments = _walk(msg, flags)
    defects = _defects(msg)
    if defects:
        flags.add("broken_mime")
        if not body.strip() and not attachments:
            raise MailError("broken MIME: " + ", ".join(sorted(defects)))

    message_id = (_ids(msg.get("Message-ID")) or [None])[0]
    refs = tuple(_ids(msg.get("References")))
    irt = (_ids(msg.get("In-Reply-To")) or [None])[0]
    return ParsedMessage(
        raw=raw, sender_name=name.strip(), sender_email=addr.strip().lower(),
        recipients=", ".join(rcpt_addrs) or ", ".join(recipients),
        subject=decode_header_value(msg.get("Subject"), flags), body_text=body,
        date=_parse_date(msg.get("Date"), flags), message_id=message_id, in_reply_to=irt,
        references=refs, content_hash=content_hash(raw), attachments=tuple(attachments),
        flags=tuple(sorted(flags)),
    )


def _defects(msg: EmailMessage) -> set[str]:
    found: set[str] = set()
    for part in msg.walk():
        for d in getattr(part, "defects", []) or []:
            name = type(d).__name__
            if name in ("StartBoundaryNotFoundDefect", "CloseBoundaryNotFoundDefect",
                        "NoBoundaryInMultipartDefect", "MultipartInvariantViolationDefect",
                        "MissingHeaderBodySeparatorDefect", "InvalidBase64PaddingDefect",
                        "InvalidBase64CharactersDefect", "InvalidBase64LengthDefect"):
                found.add(name.replace("Defect", ""))
    return found


def _payload_bytes(part: EmailMessage, flags: set[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            flags.add("broken_mime")
            return payload.encode("utf-8", errors="surrogateescape")
        return b""
    return data


def _has_8bit(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def _filename(part: EmailMessage, flags: set[str], n: int) -> str | None:
    """An attachment's name: RFC 2231 (in its declared charset), RFC 2047 or raw 8-bit, best effort."""
    name: str | None = None
    for header in ("content-disposition", "content-type"):
        param = "filename" if header == "content-disposition" else "name"
        try:
            value = part.get_param(param, header=header)
        except Exception:  # noqa: BLE001 - a malformed parameter list: look elsewhere
            value = None
        if isinstance(value, tuple):  # RFC 2231: (charset, language, the bytes as Latin-1 text)
            charset, _lang, text = value
            try:
                name = decode_bytes(text.encode("latin-1", errors="surrogateescape"), charset or None, flags)
            except UnicodeEncodeError:
                name = text
        elif value:
            name = unquote(value)
        if name:
            break
    if name:
        name = decode_header_value(name, flags)
        name = re.sub(r"[\x00-\x1f\x7f]", "_", name).strip() or None  # kept as written ("a/b.pdf" too):
    return name  # a name is made safe for a disk only where a file is written (services.cases.disk_name)


def _walk(msg: EmailMessage, flags: set[str]) -> tuple[str, list[ParsedAttachment]]:
    plain: list[str] = []
    html: list[str] = []
    attachments: list[ParsedAttachment] = []
    n = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = (part.get_content_type() or "text/plain").lower()
        disp = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        name = _filename(part, flags, n)
        if ctype.startswith("multipart/") or (ctype == "message/rfc822" and not name):
            payload = part.get_payload()  # a container the parser could not split (broken MIME)
            if isinstance(payload, str) and payload.strip():
                flags.add("broken_mime")
                plain.append(decode_bytes(payload.encode("utf-8", errors="surrogateescape"),
                                          part.get_content_charset(), flags))
            continue
        if disp == "attachment" or name or not ctype.startswith("text/"):
            n += 1
            data = _payload_bytes(part, flags)
            ext = {"text/plain": "txt", "text/html": "html", "message/rfc822": "eml"}.get(ctype, "bin")
            attachments.append(ParsedAttachment(name or f"attachment-{n}.{ext}", ctype, data))
            continue
        text = decode_bytes(_payload_bytes(part, flags), part.get_content_charset(), flags)
        if ctype == "text/html":
            html.append(text)
        else:
            plain.append(text)
    if any(p.strip() for p in plain) or (plain and not html):
        body = "\n\n".join(plain)
    elif html:
        flags.add("html_only")
        body = "\n\n".join(html_to_text(h) for h in html)
    else:
        body = ""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return body, attachments
