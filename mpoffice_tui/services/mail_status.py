"""How the office's mailbox stands on this machine: online or not, when mail was last fetched, what is
waiting to go. The connection state is this machine's own (office_meta, never synced); counts come from
the shared outbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.services import mail_accounts, outbox

_KEY = "mail:status:"


@dataclass(frozen=True)
class AccountStatus:
    name: str
    address: str
    mail_machine: str
    here: bool
    online: bool | None  # None: not tried yet on this machine
    last_fetch: str | None  # UTC ISO
    last_send: str | None
    problem: str | None  # the last thing that went wrong, in words
    queued: int
    awaiting_approval: int
    failed: int
    sending: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _local(office: Office, account_id: str) -> dict:
    try:
        return json.loads(office.meta(_KEY + account_id) or "{}")
    except ValueError:
        return {}


def note(office: Office, account_id: str, *, online: bool, fetched: bool = False, sent: bool = False,
         problem: str | None = None) -> None:
    """Remember how the last talk with the account's servers went (local to this machine)."""
    state = _local(office, account_id)
    state["online"] = online
    state["problem"] = problem
    if fetched:
        state["last_fetch"] = utcnow()
    if sent:
        state["last_send"] = utcnow()
    office.set_meta(_KEY + account_id, json.dumps(state))


def status(office: Office) -> list[AccountStatus]:
    with office.engine.connect() as conn:
        per = {(a, s): n for a, s, n in conn.exec_driver_sql(
            "SELECT coalesce(account_id, ''), state, count(*) FROM outgoing_mail WHERE deleted = 0 "
            "GROUP BY account_id, state").fetchall()}
    out = []
    for i, a in enumerate(mail_accounts.list_accounts(office)):
        local = _local(office, a.id)
        ids = (a.id, "") if i == 0 else (a.id,)  # mail with no account yet goes from the first
        n = {s: sum(per.get((x, s), 0) for x in ids) for s in outbox.STATES}
        out.append(AccountStatus(a.name, a.address, a.mail_machine, a.here, local.get("online"),
                                 local.get("last_fetch"), local.get("last_send"), local.get("problem"),
                                 n["queued"], n["awaiting_approval"], n["failed"], n["sending"]))
    return out


def _clock(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return ""


def header_line(office: Office) -> str:
    """What the header says, e.g. "2 to approve · offline · 3 to send · mail fetched 09:14" (letters and emails
    waiting for sign-off first: the MP's desk); "" with no account and nothing waiting."""
    from mpoffice_tui.services import approvals

    accounts = status(office)
    approval = approvals.count_pending(office)
    if not accounts:
        waiting = outbox.counts(office)["queued"]
        parts = [f"{approval} to approve"] if approval else []
        return " · ".join(parts + ([f"{waiting} to send, no mail account"] if waiting else []))
    here = [a for a in accounts if a.here]
    to_send = sum(a.queued + a.sending for a in accounts)
    parts = [f"{approval} to approve"] if approval else []
    if not here:
        parts.append(f"mail via {accounts[0].mail_machine}")
    elif any(a.online is False for a in here):
        parts.append("offline")
    elif any(a.online for a in here):
        parts.append("online")
    if to_send:
        parts.append(f"{to_send} to send")
    failed = sum(a.failed for a in accounts)
    if failed:
        parts.append(f"{failed} failed")
    fetched = max((a.last_fetch for a in here if a.last_fetch), default=None)
    if fetched:
        parts.append(f"mail fetched {_clock(fetched)}")
    return " · ".join(parts)
