"""Bounces fetched or imported later: matched to the outgoing message they report on, which fails with the
remote server's reason, and filed on that message's case so the caseworker sees it on the timeline."""

from __future__ import annotations

from mpoffice_tui.db.models import OutgoingMail
from mpoffice_tui.importers.mail.bounce import parse_bounce


def apply_bounce(w, row: dict, raw: bytes) -> bool:
    """If the incoming message `row` (about to be inserted; `raw` its bytes) is a bounce of one of ours,
    file it with that message's case and mark the outgoing message failed. Inside the import's transaction."""
    bounce = parse_bounce(raw) if raw else None
    if bounce is None:
        return False
    conn = w.session.connection()
    found = conn.exec_driver_sql(
        "SELECT m.id, m.case_id, m.constituent_id, o.id FROM messages m JOIN outgoing_mail o ON o.message_id = m.id "
        "WHERE m.message_id_header = ? AND m.direction = 'out' AND o.deleted = 0 LIMIT 1",
        (bounce.original_message_id,)).fetchone()
    if found is None:
        return False
    msg_id, case_id, constituent_id, out_id = found
    failed = bounce.action.startswith("failed")
    words = f"{'bounced' if failed else 'delayed'}: {bounce.recipient or 'a recipient'}" + (
        f" ({bounce.status})" if bounce.status else "") + (f": {bounce.diagnostic}" if bounce.diagnostic else "")
    row.update(triage="done", case_id=case_id, constituent_id=constituent_id, suggestion_reason=words,
               flags=",".join(f for f in (*row.get("flags", "").split(","), "bounce") if f))
    if failed:
        w.update(w.get(OutgoingMail, out_id), state="failed", reason=words)
        w.audit("mail.bounced", target=f"message:{msg_id}", detail=words)
    return True
