"""Sign-off: what the office wants the MP (or a manager) to approve before it leaves, the queue, the decisions.

The office chooses by rule (`ApprovalRule`): letters and/or emails written from a template, on a case of a
category, to a kind of recipient (a minister, an agency, the constituent), or everything; the old
`mail_approval` setting is the rule "every email". A writer may also ask for sign-off on one draft (a flag).

    letter:  written ──▶ pending ──approve──▶ approved (may be exported: .docx, PDF, attached, marked sent)
                            └──return (comment on the case)──▶ returned ──edit──▶ pending
    email:   drafted (`needed` when a rule or flag asks) ──queue──▶ pending (outbox: awaiting approval)
                 ──approve──▶ approved (outbox: queued) | ──return──▶ returned (outbox: back to draft)

An approval holds the hash of the text approved: a letter or email changed after approval needs sign-off
again. Nothing that needs approval is sent or exported without it (`ensure_cleared`, `gate_email_in`): the
services refuse, so the CLI and the app obey the same rule. Only the MP and managers approve or return
(`access` "approvals.decide"); every decision is audited, and a return's comment is a note on the case.

    add_rule / list_rules / remove_rule;  list_approvals / count_pending / get_approval / find
    approve(office, ids);  return_to_writer(office, id, comment);  edit(office, id, subject=, body=)
    request(office, target_kind, target_id)   (the writer's flag: this one needs sign-off)
    check_in(w, ...) / gate_email_in(w, ...) / ensure_cleared(source, ...)   (for other services)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.errors import OfficeError, PermissionDenied

RULE_KINDS: dict[str, str] = {
    "template": "written from the template",
    "category": "on a case of the category",
    "recipient_kind": "to a recipient of the kind",
    "all": "everything",
}
RECIPIENT_KINDS = ("constituent", "council", "police", "nhs", "agency", "minister", "other")
APPLIES = ("letter", "email", "both")
STATES: dict[str, str] = {"needed": "needs approval when sent", "pending": "waiting for approval",
                          "approved": "approved", "returned": "returned"}
QUEUE_STATES = ("pending", "returned")  # what the approvals lane shows
APPROVERS_ONLY = "only the MP or a manager can approve outgoing mail and letters"
FLAGGED = "asked for by the writer"
EVERY_EMAIL = "every email (setting mail_approval)"


# -- rules ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleView:
    id: str
    kind: str
    value: str
    applies_to: str

    @property
    def description(self) -> str:
        what = {"both": "letters and emails", "letter": "letters", "email": "emails"}[self.applies_to]
        return f"{what} {RULE_KINDS[self.kind]}" + (f" {self.value!r}" if self.kind != "all" else "")

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "value": self.value, "applies_to": self.applies_to,
                "description": self.description}


def list_rules(office_or_conn: Any) -> list[RuleView]:
    sql = "SELECT id, kind, value, applies_to FROM approval_rules WHERE deleted = 0 ORDER BY created_at, id"
    if hasattr(office_or_conn, "writing"):  # an Office
        with office_or_conn.engine.connect() as conn:
            return [RuleView(*r) for r in conn.exec_driver_sql(sql).fetchall()]
    return [RuleView(*r) for r in office_or_conn.exec_driver_sql(sql).fetchall()]


def add_rule(office: Office, kind: str, value: str = "", applies_to: str = "both") -> RuleView:
    """A new sign-off rule (the MP and managers only). The same rule twice is one rule."""
    from mpoffice_tui.db.models import ApprovalRule
    from mpoffice_tui.services import access
    from mpoffice_tui.text import clean

    kind, applies_to = (kind or "").strip().lower().replace("-", "_"), (applies_to or "both").strip().lower()
    value = " ".join(clean(value or "").split())
    if kind not in RULE_KINDS:
        raise OfficeError(f"unknown rule kind {kind!r}: choose one of {', '.join(RULE_KINDS)}")
    if applies_to not in APPLIES:
        raise OfficeError(f"a rule applies to {', '.join(APPLIES)}, not {applies_to!r}")
    if kind == "all":
        value = ""
    elif not value:
        raise OfficeError(f"a {kind} rule needs a value (which {kind.replace('_', ' ')})")
    if kind == "recipient_kind":
        value = value.lower()
        if value not in RECIPIENT_KINDS:
            raise OfficeError(f"unknown recipient kind {value!r}: choose one of {', '.join(RECIPIENT_KINDS)}")
    access.require(office, "settings.change")
    for r in list_rules(office):
        if (r.kind, r.value.casefold(), r.applies_to) == (kind, value.casefold(), applies_to):
            return r
    with office.writing() as w:
        row = w.insert(ApprovalRule, kind=kind, value=value, applies_to=applies_to)
        view = RuleView(row.id, kind, value, applies_to)
        w.audit("approval.rule", target=f"approval_rule:{row.id}", detail=f"added: {view.description}")
    return view


def remove_rule(office: Office, rule_id: str) -> RuleView:
    from mpoffice_tui.db.models import ApprovalRule
    from mpoffice_tui.services import access

    access.require(office, "settings.change")
    found = [r for r in list_rules(office) if r.id == rule_id or (len(rule_id) >= 4 and r.id.endswith(rule_id))]
    if len(found) != 1:
        raise OfficeError(f"no approval rule {rule_id!r}" if not found else f"{rule_id!r} matches more than one rule")
    with office.writing() as w:
        w.delete(w.get(ApprovalRule, found[0].id))
        w.audit("approval.rule", target=f"approval_rule:{found[0].id}", detail=f"removed: {found[0].description}")
    return found[0]


@dataclass(frozen=True)
class Facts:
    """What the rules look at in a letter or email."""

    target_kind: str  # letter | email
    template: str = ""  # the template's name
    category: str = ""
    recipient_kind: str = ""
    flagged: bool = False


def rule_reason(conn: Any, facts: Facts) -> str | None:
    """Why `facts` need sign-off (the first rule that applies, in words), or None."""
    if facts.flagged:
        return FLAGGED
    if facts.target_kind == "email":
        row = conn.exec_driver_sql("SELECT value FROM settings WHERE key = 'mail_approval' AND deleted = 0").fetchone()
        if row and row[0].strip().lower() in ("yes", "on", "true", "1"):
            return EVERY_EMAIL
    seen = {"template": facts.template, "category": facts.category, "recipient_kind": facts.recipient_kind}
    for r in list_rules(conn):
        if r.applies_to not in ("both", facts.target_kind):
            continue
        if r.kind == "all" or (seen[r.kind] and seen[r.kind].casefold() == r.value.casefold()):
            return r.description
    return None


def content_hash(*parts: str | None) -> str:
    return hashlib.sha256("\x00".join(p or "" for p in parts).encode("utf-8")).hexdigest()


# -- inside other services' transactions ---------------------------------------------------------------
def _row(w, target_kind: str, target_id: str):
    from sqlmodel import select

    from mpoffice_tui.db.models import Approval

    return w.session.exec(select(Approval).where(Approval.target_kind == target_kind, Approval.target_id == target_id,
                                                 Approval.deleted == False)).first()  # noqa: E712


def check_in(w, target_kind: str, target_id: str, case_id: str | None, facts: Facts, *, state: str) -> str | None:
    """Inside the caller's transaction: when a rule (or the writer's flag) asks for sign-off, record that this
    letter or email needs it (`state` pending for a letter, needed for an email draft). Returns the reason."""
    from mpoffice_tui.db.models import Approval

    reason = rule_reason(w.session.connection(), facts)
    if reason is None:
        return None
    row = _row(w, target_kind, target_id)
    if row is None:
        w.insert(Approval, target_kind=target_kind, target_id=target_id, case_id=case_id, reason=reason,
                 state=state, requested_by=w.staff_id)
    elif row.state != "pending":
        w.update(row, state=state, reason=reason, approved_hash=None)
    if state == "pending":
        w.audit("approval.request", target=f"{target_kind}:{target_id}", detail=reason)
    return reason


def _email_facts(conn, msg_id: str) -> tuple[Facts, str | None]:
    """(the facts of an outgoing email as it is now, its case id): its case's category, whom it is to."""
    from email.utils import getaddresses

    row = conn.exec_driver_sql("SELECT m.case_id, coalesce(c.category, ''), coalesce(m.recipients, ''), "
                               "coalesce(p.email, '') FROM messages m LEFT JOIN cases c ON c.id = m.case_id "
                               "LEFT JOIN constituents p ON p.id = m.constituent_id WHERE m.id = ?",
                               (msg_id,)).fetchone()
    if row is None:
        return Facts("email"), None
    case_id, category, recipients, own = row
    addrs = [a.lower() for _, a in getaddresses([recipients]) if a]
    kind = ""
    if addrs:
        marks = ",".join("?" * len(addrs))
        k = conn.exec_driver_sql(f"SELECT kind FROM contacts WHERE deleted = 0 AND lower(email) IN ({marks}) "
                                 "ORDER BY kind = 'minister' DESC LIMIT 1", tuple(addrs)).fetchone()
        kind = k[0] if k else ("constituent" if own and own.lower() in addrs else "")
    return Facts("email", category=category, recipient_kind=kind), case_id


def gate_email_in(w, msg_id: str, subject: str, body: str, recipients: str) -> bool:
    """Inside `outbox.queue_in`: whether this email must wait for sign-off (its approval is then pending).
    An approval of exactly this text lets it go; a changed text, a return, or a rule that applies now asks
    again."""
    from mpoffice_tui.db.models import Approval

    digest = content_hash(subject, body, recipients)
    row = _row(w, "email", msg_id)
    if row is not None and row.state == "approved" and row.approved_hash == digest:
        return False
    facts, case_id = _email_facts(w.session.connection(), msg_id)
    if row is None:
        reason = rule_reason(w.session.connection(), facts)
        if reason is None:
            return False
        w.insert(Approval, target_kind="email", target_id=msg_id, case_id=case_id, reason=reason, state="pending",
                 requested_by=w.staff_id)
    else:
        w.update(row, state="pending", approved_hash=None, decided_by=None, decided_at=None)
        reason = row.reason
    w.audit("approval.request", target=f"email:{msg_id}", detail=reason)
    return True


def ensure_cleared(source: Any, target_kind: str, target_id: str, what: str) -> None:
    """Refuse (OfficeError, one line) to export or send a letter or email that needs sign-off and has not
    had it for exactly its text. `source` is an Office or a connection."""
    if hasattr(source, "writing"):  # an Office (a Connection has .engine too)
        with source.engine.connect() as conn:
            return ensure_cleared(conn, target_kind, target_id, what)
    conn = source
    row = conn.exec_driver_sql("SELECT id, state, approved_hash, reason, comment FROM approvals WHERE target_kind = ? "
                               "AND target_id = ? AND deleted = 0", (target_kind, target_id)).fetchone()
    if row is None:  # a rule added since it was written applies too (not to a letter already posted)
        if target_kind == "letter" and conn.exec_driver_sql("SELECT sent_on FROM letters WHERE id = ?",
                                                            (target_id,)).scalar():
            return
        facts = _letter_facts(conn, target_id) if target_kind == "letter" else _email_facts(conn, target_id)[0]
        reason = rule_reason(conn, facts) if facts else None
        if reason:
            how = ("ask for sign-off with `mpoffice approvals request letter ID` (or R on the case)"
                   if target_kind == "letter" else "send it to ask for sign-off")
            raise OfficeError(f"this {target_kind} needs approval before it can be {what} ({reason}): {how}")
        return
    aid, state, approved, reason, comment = row
    if state == "approved" and approved == _current_hash(conn, target_kind, target_id):
        return
    noun = "letter" if target_kind == "letter" else "email"
    if state == "needed":
        raise OfficeError(f"this {noun} needs approval before it can be {what} ({reason}): send it to ask for "
                          "sign-off by the MP or a manager")
    if state == "approved":
        why = "it was changed after it was approved"
    elif state == "returned":
        why = f"it was returned{': ' + comment if comment else ''}"
    else:
        why = f"{reason}; it is {STATES.get(state, state)}"
    raise OfficeError(f"this {noun} needs approval before it can be {what} ({why}); approval {aid[-8:]}: "
                      f"`mpoffice approvals approve {aid[-8:]}` (the MP or a manager)")


def _letter_facts(conn, letter_id: str) -> Facts | None:
    row = conn.exec_driver_sql(
        "SELECT coalesce(t.name, ''), coalesce(c.category, ''), CASE WHEN l.recipient_contact_id IS NULL "
        "THEN 'constituent' ELSE coalesce(k.kind, '') END FROM letters l JOIN cases c ON c.id = l.case_id "
        "LEFT JOIN letter_templates t ON t.id = l.template_id LEFT JOIN contacts k ON k.id = l.recipient_contact_id "
        "WHERE l.id = ?", (letter_id,)).fetchone()
    return Facts("letter", template=row[0], category=row[1], recipient_kind=row[2]) if row else None


def letter_facts(conn, letter_id: str, *, flagged: bool = False) -> Facts:
    """The facts of a stored letter (inside a transaction too: `conn` is its connection)."""
    f = _letter_facts(conn, letter_id) or Facts("letter")
    return Facts("letter", f.template, f.category, f.recipient_kind, flagged)


def _current_hash(conn, target_kind: str, target_id: str) -> str | None:
    if target_kind == "letter":
        row = conn.exec_driver_sql("SELECT subject, body_text, recipient_name FROM letters WHERE id = ?",
                                   (target_id,)).fetchone()
    else:
        row = conn.exec_driver_sql("SELECT subject, body_text, recipients FROM messages WHERE id = ?",
                                   (target_id,)).fetchone()
    return content_hash(*row) if row else None


# -- the queue -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApprovalView:
    id: str
    target_kind: str  # letter | email
    target_id: str
    case_id: str | None
    case_ref: str | None
    state: str
    state_label: str
    reason: str
    to: str
    subject: str
    body: str
    requested_by: str
    requested_at: str
    decided_by: str
    decided_at: str | None
    comment: str | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


_SQL = ("SELECT a.id, a.target_kind, a.target_id, a.case_id, c.ref, a.state, a.reason, "
        "coalesce(l.recipient_name, m.recipients, ''), coalesce(l.subject, m.subject, ''), "
        "coalesce(l.body_text, m.body_text, ''), coalesce(rs.name, ''), a.created_at, coalesce(ds.name, ''), "
        "a.decided_at, a.comment FROM approvals a "
        "LEFT JOIN letters l ON a.target_kind = 'letter' AND l.id = a.target_id "
        "LEFT JOIN messages m ON a.target_kind = 'email' AND m.id = a.target_id "
        "LEFT JOIN cases c ON c.id = a.case_id LEFT JOIN staff rs ON rs.id = a.requested_by "
        "LEFT JOIN staff ds ON ds.id = a.decided_by "
        "WHERE a.deleted = 0 AND coalesce(l.deleted, m.deleted, 1) = 0")


def _view(r) -> ApprovalView:
    return ApprovalView(r[0], r[1], r[2], r[3], r[4], r[5], STATES.get(r[5], r[5]), r[6], r[7], r[8], r[9], r[10],
                        r[11], r[12], r[13], r[14])


def list_approvals(office: Office, states: tuple[str, ...] = QUEUE_STATES, limit: int = 500,
                   offset: int = 0) -> list[ApprovalView]:
    """Letters and emails in these states, oldest request first (the queue is worked from the top)."""
    marks = ",".join("?" * len(states))
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(_SQL + f" AND a.state IN ({marks}) ORDER BY a.state = 'returned', a.created_at, "
                                    "a.id LIMIT ? OFFSET ?", (*states, limit, offset)).fetchall()
    return [_view(r) for r in rows]


def count_approvals(office: Office, states: tuple[str, ...] = QUEUE_STATES) -> int:
    marks = ",".join("?" * len(states))
    with office.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM ({_SQL} AND a.state IN ({marks}))", states).scalar() or 0)


def count_pending(office: Office) -> int:
    """How many letters and emails wait for the MP's or a manager's sign-off (the header's count)."""
    return count_approvals(office, ("pending",))


def get_approval(office: Office, approval_id: str) -> ApprovalView:
    with office.engine.connect() as conn:
        r = conn.exec_driver_sql(_SQL + " AND a.id = ?", (approval_id,)).fetchone()
    if r is None:
        raise OfficeError(f"no approval {approval_id!r}")
    return _view(r)


def find(office: Office, token: str) -> str:
    """An approval's id from its id, a unique ending of it, or of its letter's or email's id."""
    t = (token or "").strip()
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT DISTINCT id FROM approvals WHERE deleted = 0 AND (id = ? OR target_id = ? OR "
            "(length(?) >= 4 AND (id LIKE ? OR target_id LIKE ?))) LIMIT 2", (t, t, t, f"%{t}", f"%{t}")).fetchall()
    if len(rows) != 1 or not t:
        raise OfficeError(f"no approval {token!r}" if not rows else f"{token!r} matches more than one approval")
    return rows[0][0]


def for_target(office: Office, target_kind: str, target_id: str) -> ApprovalView | None:
    with office.engine.connect() as conn:
        r = conn.exec_driver_sql(_SQL + " AND a.target_kind = ? AND a.target_id = ?",
                                 (target_kind, target_id)).fetchone()
    return _view(r) if r else None


# -- decisions ------------------------------------------------------------------------------------------
def _require_approver(office: Office) -> None:
    from mpoffice_tui.services import access

    if not access.can(office, "approvals.decide"):
        raise PermissionDenied(f"{APPROVERS_ONLY}; a {access.role_of(office)} cannot")


def _approval(w, approval_id: str):
    from mpoffice_tui.db.models import Approval

    row = w.get(Approval, approval_id)
    if row is None or row.deleted:
        raise OfficeError(f"no approval {approval_id!r}")
    return row


def approve(office: Office, approval_ids: list[str]) -> list[ApprovalView]:
    """Approve letters and emails waiting for sign-off (the MP or a manager): a letter may then be exported,
    an email is queued to send. One transaction: all or none."""
    from mpoffice_tui.db.models import OutgoingMail

    _require_approver(office)
    with office.writing() as w:
        conn = w.session.connection()
        for aid in approval_ids:
            a = _approval(w, aid)
            if a.state not in ("pending", "returned"):
                raise OfficeError(f"approval {aid[-8:]} is {STATES.get(a.state, a.state)}, not waiting for approval")
            w.update(a, state="approved", decided_by=office.staff_id, decided_at=utcnow(), comment=None,
                     approved_hash=_current_hash(conn, a.target_kind, a.target_id))
            if a.target_kind == "email":
                from mpoffice_tui.services.outbox import _outgoing

                o: OutgoingMail = _outgoing(w, a.target_id)
                if o.state == "awaiting_approval":
                    w.update(o, state="queued", approved_by=office.staff_id)
            w.audit("approval.approve", target=f"{a.target_kind}:{a.target_id}", detail=a.reason)
    return [get_approval(office, aid) for aid in approval_ids]


def return_to_writer(office: Office, approval_id: str, comment: str) -> ApprovalView:
    """Send a letter or email back to its writer with a comment (the MP or a manager): the comment is a note on
    the case, an email goes back to draft. One transaction."""
    from mpoffice_tui.db.models import Note
    from mpoffice_tui.services.clock import now_iso
    from mpoffice_tui.text import clean

    comment = clean(comment or "").strip()
    if not comment:
        raise OfficeError("say why it is returned (a comment for the writer)")
    _require_approver(office)
    with office.writing() as w:
        a = _approval(w, approval_id)
        if a.state not in ("pending", "approved"):
            raise OfficeError(f"approval {approval_id[-8:]} is {STATES.get(a.state, a.state)}: nothing to return")
        if a.target_kind == "email":
            from mpoffice_tui.services.outbox import STATES as MAIL_STATES
            from mpoffice_tui.services.outbox import _outgoing

            o = _outgoing(w, a.target_id)
            if o.state in ("sending", "sent"):
                raise OfficeError(f"this email is {MAIL_STATES[o.state]}: it cannot be returned")
            w.update(o, state="draft", next_attempt_at=None)
        w.update(a, state="returned", decided_by=office.staff_id, decided_at=utcnow(), comment=comment,
                 approved_hash=None)
        subject = _subject(w.session.connection(), a.target_kind, a.target_id)
        if a.case_id:
            w.insert(Note, case_id=a.case_id, author_id=office.staff_id, kind="note", created_at=now_iso(),
                     body=f"Returned for changes ({a.target_kind} {subject!r}): {comment}")
        w.audit("approval.return", target=f"{a.target_kind}:{a.target_id}", detail="returned with a comment")
    return get_approval(office, approval_id)


def _subject(conn, target_kind: str, target_id: str) -> str:
    table = "letters" if target_kind == "letter" else "messages"
    row = conn.exec_driver_sql(f"SELECT subject FROM {table} WHERE id = ?", (target_id,)).fetchone()  # noqa: S608
    return row[0] if row else ""


def edit(office: Office, approval_id: str, *, subject: str, body: str) -> ApprovalView:
    """Change the text of a letter or email waiting for (or returned from) sign-off; it waits for approval again
    (an email returned to draft goes back to the queue). One transaction."""
    from mpoffice_tui.db.models import Letter
    from mpoffice_tui.services import outbox

    subject, body = " ".join((subject or "").split()), (body or "").strip()
    if not body:
        raise OfficeError("the text is empty")
    with office.writing() as w:
        a = _approval(w, approval_id)
        if a.target_kind == "letter":
            letter = w.get(Letter, a.target_id)
            if letter is None or letter.deleted:
                raise OfficeError("the letter is gone")
            if letter.sent_on:
                raise OfficeError("this letter was sent: write a new one instead")
            w.update(letter, subject=subject, body_text=body + "\n")
        else:
            o = outbox._outgoing(w, a.target_id)
            if o.state not in ("draft", "awaiting_approval", "failed"):
                raise OfficeError(f"this email is {outbox.STATES[o.state]}: it can no longer be changed")
            outbox.rewrite_in(w, a.target_id, subject=subject, body=body + "\n")
            if o.state != "awaiting_approval":
                outbox.queue_in(w, [a.target_id])  # back to the queue (gate_email_in makes it pending)
        w.update(a, state="pending", approved_hash=None, comment=None)
        w.audit("approval.edit", target=f"{a.target_kind}:{a.target_id}", detail="text changed; waiting for approval")
    return get_approval(office, approval_id)


def find_target(office: Office, target_kind: str, token: str) -> str:
    """A letter's or outgoing email's id from its id or a unique ending of it."""
    t = (token or "").strip()
    table, column = ("letters", "id") if target_kind == "letter" else ("outgoing_mail", "message_id")
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT {column} FROM {table} WHERE deleted = 0 AND ({column} = ? OR "  # noqa: S608
                                    f"(length(?) >= 4 AND {column} LIKE ?)) LIMIT 2", (t, t, f"%{t}")).fetchall()
    if len(rows) != 1:
        raise OfficeError(f"no {target_kind} {token!r}" if not rows else f"{token!r} matches more than one {target_kind}")
    return rows[0][0]


def every_email(office: Office) -> bool:
    """Whether the office asks for sign-off on every email (the `mail_approval` setting)."""
    with office.engine.connect() as conn:
        return rule_reason(conn, Facts("email")) == EVERY_EMAIL


def request(office: Office, target_kind: str, target_id: str) -> ApprovalView:
    """The writer's flag: this letter (pending now) or email (pending when it is sent) needs sign-off."""
    if target_kind not in ("letter", "email"):
        raise OfficeError("sign-off is for a letter or an email")
    with office.writing() as w:
        conn = w.session.connection()
        if target_kind == "letter":
            row = conn.exec_driver_sql("SELECT case_id FROM letters WHERE id = ? AND deleted = 0", (target_id,)).fetchone()
            state = "pending"
        else:
            row = conn.exec_driver_sql("SELECT m.case_id, o.state FROM messages m JOIN outgoing_mail o ON "
                                       "o.message_id = m.id WHERE m.id = ? AND o.deleted = 0", (target_id,)).fetchone()
            state = "pending" if row and row[1] == "awaiting_approval" else "needed"
            if row and row[1] in ("queued", "sending", "sent"):
                raise OfficeError("this email is on its way out already: take it back to draft first")
        if row is None:
            raise OfficeError(f"no {target_kind} {target_id!r}")
        check_in(w, target_kind, target_id, row[0], Facts(target_kind, flagged=True), state=state)
    return for_target(office, target_kind, target_id)  # type: ignore[return-value]
