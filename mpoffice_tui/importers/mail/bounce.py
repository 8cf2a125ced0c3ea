"""Delivery status notifications (RFC 3464 bounces): which message failed, for whom, and why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy

from mpoffice_tui.text import clean

_MARK = re.compile(rb"report-type\s*=\s*\"?delivery-status", re.I)
_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Bounce:
    original_message_id: str
    recipient: str
    action: str  # failed | delayed | ...
    status: str  # e.g. 5.1.1
    diagnostic: str  # the remote server's words, cleaned


def _fields(text: str) -> list[dict[str, str]]:
    """The per-message and per-recipient field groups of a message/delivery-status body."""
    groups, cur = [], {}
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if cur:
                groups.append(cur)
            cur = {}
            continue
        if line[:1] in " \t" and cur:
            last = next(reversed(cur))
            cur[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            cur[name.strip().lower()] = value.strip()
    if cur:
        groups.append(cur)
    return groups


def parse_bounce(raw: bytes) -> Bounce | None:
    """The bounce a message reports, or None when it is not a delivery status notification (or names no
    original Message-ID)."""
    if not _MARK.search(raw[:65536]):
        return None
    msg = message_from_bytes(raw, policy=policy.compat32)
    status_text, original = "", None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):  # the email package parses its field groups as sub-messages
                status_text = "\n\n".join("\n".join(f"{k}: {v}" for k, v in p.items()) for p in payload)
            else:
                status_text = str(payload)
        elif ctype in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers") and original is None:
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                original = payload[0].get("Message-ID")
            else:
                body = part.get_payload(decode=True) or b""
                inner = message_from_bytes(body if isinstance(body, bytes) else str(body).encode(), policy=policy.compat32)
                original = inner.get("Message-ID")
    found = _MSGID.search(str(original or ""))
    if not found:
        return None
    recipient, action, status, diag = "", "failed", "", ""
    for group in _fields(status_text):
        if "final-recipient" in group or "original-recipient" in group:
            recipient = (group.get("final-recipient") or group.get("original-recipient", "")).rpartition(";")[2].strip()
            action = group.get("action", action).lower()
            status = group.get("status", "")
            diag = group.get("diagnostic-code", "").rpartition(";")[2].strip() or diag
            break
    return Bounce(found.group(0), clean(recipient)[:200], clean(action)[:20], clean(status)[:20], clean(diag)[:300])
