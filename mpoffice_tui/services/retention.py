"""Retention (issue 7): a policy set by a manager, a review list, and erasure or anonymisation.

Policy: a `settings` row `retention.policy` (JSON): closed cases are reviewed N years after they
closed, constituents with no case or message newer than M years; and rules by case category and outcome
(issue 17), e.g. immigration cases kept 10 years, a closed noise complaint resolved 2 years. The most
specific rule wins: category and outcome, then category, then outcome, then the default for closed cases.
The review lists what is due with the rule that applies.

Erasure is a fact about a person (or a case), replicated through the write path: a `$erase` op on
the person's record, which sync's merge applies on every machine to everything linked to it
(`db.models.ERASURE_LINKS`: their cases, and the notes, tasks, letters, parties, consents, messages
and attachments of those, whether already held, arriving later or written later by a machine that
had not heard of it). Every row it reaches here gets its own `$erase` op and a tombstone too (so a
machine running an older version applies it as well). Rows are rebuilt from their redacted ops at
once; `scrub` then rebuilds the full-text indexes, VACUUMs and truncates the WAL so that the erased
values survive nowhere in the database file. After it, writing about the person is refused. The
deletion log is the audit trail: one `retention.erase` / `retention.anonymise` event per item erased,
naming tables, ids, who, when and the reason, never the personal data itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlmodel import select

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Setting
from mpoffice_tui.db.writes import ERASE
from mpoffice_tui.services import access
from mpoffice_tui.services.clock import add_months
from mpoffice_tui.services.clock import today as clock_today
from mpoffice_tui.services.constituent_fields import name_sql

POLICY_KEY = "retention.policy"


class NotConfirmed(OfficeError):
    """Erasure needs an explicit confirmation; nothing was changed."""

    exit_code = 2


@dataclass(frozen=True)
class Rule:
    """Closed cases of this category (and/or outcome) are reviewed `years` after they closed."""

    years: int
    category: str | None = None
    outcome: str | None = None

    @property
    def label(self) -> str:
        what = " ".join(x for x in (self.category, "cases") if x) if self.category else "Cases"
        if self.outcome:
            what += f" closed as {self.outcome}"
        return f"{what}: {self.years} year{'s' if self.years != 1 else ''} after closing"


@dataclass(frozen=True)
class Policy:
    closed_case_years: int | None = None
    inactive_constituent_years: int | None = None
    rules: tuple[Rule, ...] = ()

    def rule_for(self, category: str | None, outcome: str | None) -> Rule | None:
        """The rule for a closed case of this category and outcome: the most specific, else the default."""
        cat, out = (category or "").casefold(), (outcome or "").casefold()
        ranked = sorted((r for r in self.rules
                         if (r.category is None or r.category.casefold() == cat)
                         and (r.outcome is None or r.outcome.casefold() == out)),
                        key=lambda r: (r.category is None, r.outcome is None))
        if ranked:
            return ranked[0]
        return Rule(self.closed_case_years) if self.closed_case_years is not None else None

    def as_json(self) -> str:
        return json.dumps({"closed_case_years": self.closed_case_years,
                           "inactive_constituent_years": self.inactive_constituent_years,
                           "rules": [r.__dict__ for r in self.rules]}, sort_keys=True)


def describe(policy: Policy, kinds: Iterable[tuple[str, str | None]]) -> list[str]:
    """How long cases of these (category, outcome) kinds are kept, in words for a covering letter."""
    lines = []
    for category, outcome in kinds:
        rule = policy.rule_for(category, outcome)
        if rule is not None:
            lines.append(f"{category} cases: reviewed for deletion {rule.years} year{'s' if rule.years != 1 else ''} "
                         "after the case is closed.")
    lines = list(dict.fromkeys(lines))
    if policy.inactive_constituent_years is not None:
        lines.append(f"Your contact details: reviewed for deletion when we have not heard from you for "
                     f"{policy.inactive_constituent_years} years and you have no open case.")
    if not lines:
        lines.append("We keep your casework while the matter is open and review it for deletion once it has closed.")
    return lines


@dataclass(frozen=True)
class ReviewItem:
    kind: str  # case | constituent
    id: str
    label: str  # a case ref, or the person's name (shown to the manager deciding; never logged)
    since: str  # the date the clock started (closed, or last activity)
    due_on: str
    reason: str
    rule: str = ""  # the retention rule that applies ("Immigration cases: 10 years after closing")


@dataclass(frozen=True)
class Erased:
    kind: str
    id: str
    mode: str  # erase | anonymise
    rows: dict[str, int]  # table -> rows erased


@dataclass(frozen=True)
class LogEntry:
    at: str
    staff_id: str | None
    action: str
    target: str | None
    detail: dict


# -- policy -------------------------------------------------------------------------------------
def get_policy(office: Office) -> Policy:
    with office.engine.connect() as conn:
        row = conn.execute(text("SELECT value FROM settings WHERE key = :k AND deleted = 0"),
                           {"k": POLICY_KEY}).fetchone()
    if not row or not row[0]:
        return Policy()
    data = json.loads(row[0])
    rules = tuple(Rule(int(r["years"]), r.get("category"), r.get("outcome")) for r in data.get("rules") or ())
    return Policy(data.get("closed_case_years"), data.get("inactive_constituent_years"), rules)


def _check_years(v: int | None) -> None:
    if v is not None and not 0 <= v <= 100:
        raise OfficeError(f"a retention period of {v} years is out of range (0 to 100)")


def set_policy(office: Office, *, closed_case_years: int | None = None,
               inactive_constituent_years: int | None = None) -> Policy:
    """Set the policy (managers only; audited). A value left as None keeps the current one."""
    old = get_policy(office)
    new = Policy(closed_case_years if closed_case_years is not None else old.closed_case_years,
                 inactive_constituent_years if inactive_constituent_years is not None
                 else old.inactive_constituent_years, old.rules)
    return _save_policy(office, new)


def set_rule(office: Office, *, years: int | None, category: str | None = None, outcome: str | None = None) -> Policy:
    """Add or change the rule for a case category and/or outcome (`years` None removes it); managers only."""
    category = " ".join((category or "").split()) or None
    outcome = " ".join((outcome or "").split()) or None
    if category is None and outcome is None:
        raise OfficeError("a rule is for a case category (--category) and/or an outcome (--outcome); "
                          "the default for every closed case is --closed-case-years")
    old = get_policy(office)
    same = [r for r in old.rules if (r.category or "").casefold() == (category or "").casefold()
            and (r.outcome or "").casefold() == (outcome or "").casefold()]
    if years is None and not same:
        raise OfficeError("there is no rule for " + " and ".join(x for x in (category, outcome) if x))
    rules = tuple(r for r in old.rules if r not in same)
    if years is not None:
        rules += (Rule(years, category, outcome),)
    return _save_policy(office, Policy(old.closed_case_years, old.inactive_constituent_years, rules))


def _save_policy(office: Office, new: Policy) -> Policy:
    access.require(office, "retention.change")
    for v in (new.closed_case_years, new.inactive_constituent_years, *(r.years for r in new.rules)):
        _check_years(v)
    value = new.as_json()
    with office.writing() as w:
        row = w.session.exec(select(Setting).where(Setting.key == POLICY_KEY)).first()
        if row is None:
            w.insert(Setting, key=POLICY_KEY, value=value)
        else:
            w.update(row, value=value, deleted=False)
        w.audit("retention.set", target=f"setting:{POLICY_KEY}", detail=value)
    return new


# -- review -------------------------------------------------------------------------------------
def _cutoff(today: date, years: int) -> str:
    return add_months(today, -12 * years).isoformat()


def review(office: Office, today: date | None = None) -> list[ReviewItem]:
    """What has passed its retention date, or whose erasure was requested (staff may look)."""
    access.require(office, "sar.manage")
    today = today or clock_today()
    policy = get_policy(office)
    items: list[ReviewItem] = []
    with office.engine.connect() as conn:
        periods = [r.years for r in policy.rules] + ([policy.closed_case_years]
                                                     if policy.closed_case_years is not None else [])
        if periods:  # only cases closed before the shortest period could be due
            cut = _cutoff(today, min(periods))
            for cid, ref, closed, category, outcome in conn.execute(text(
                    "SELECT id, ref, closed_at, category, outcome FROM cases WHERE deleted = 0 AND status = 'closed' "
                    "AND closed_at IS NOT NULL AND closed_at != '' AND substr(closed_at, 1, 10) < :cut "
                    "ORDER BY closed_at, ref"), {"cut": cut}):
                rule = policy.rule_for(category, outcome)
                if rule is None:
                    continue
                due = add_months(date.fromisoformat(closed[:10]), 12 * rule.years)
                if due > today:
                    continue
                items.append(ReviewItem("case", cid, ref, closed[:10], due.isoformat(),
                                        f"closed more than {rule.years} years ago", rule.label))
        if policy.inactive_constituent_years is not None:
            years = policy.inactive_constituent_years
            cut = _cutoff(today, years)
            for pid, name, last in conn.execute(text(
                    f"SELECT p.id, {name_sql('p')}, max(substr(p.updated_at, 1, 10), "
                    "  coalesce((SELECT max(substr(coalesce(nullif(c.closed_at, ''), c.updated_at), 1, 10)) "
                    "   FROM cases c WHERE c.constituent_id = p.id AND c.deleted = 0), ''), "
                    "  coalesce((SELECT max(substr(m.received_at, 1, 10)) FROM messages m "
                    "   WHERE m.constituent_id = p.id AND m.deleted = 0), '')) AS last "
                    "FROM constituents p WHERE p.deleted = 0 AND p.privacy_state != 'anonymised' "
                    "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.constituent_id = p.id AND c.deleted = 0 "
                    "  AND c.status != 'closed') "
                    "GROUP BY p.id HAVING last < :cut ORDER BY last, p.id"), {"cut": cut}):
                due = add_months(date.fromisoformat(last), 12 * years)
                items.append(ReviewItem("constituent", pid, name, last, due.isoformat(),
                                        f"no activity for more than {years} years",
                                        f"People: {years} years after the last activity"))
        seen = {i.id for i in items}
        for pid, name in conn.exec_driver_sql(f"SELECT id, {name_sql()} FROM constituents "
                                              "WHERE deleted = 0 AND privacy_state = 'erasure_requested' ORDER BY id"):
            if pid not in seen:
                items.append(ReviewItem("constituent", pid, name, "", today.isoformat(),
                                        "erasure requested", "The person asked for erasure"))
    return items


# -- what belongs to an item -------------------------------------------------------------------
def case_rows(conn, case_id: str) -> list[tuple[str, str]]:
    """Every row (deleted or not) an erasure of one case reaches: the case, its notes, tasks, letters,
    parties, consents, messages and their attachments (`merge.everything_about`)."""
    from mpoffice_tui.sync.merge import everything_about

    return everything_about(conn, [("cases", case_id)])


def constituent_rows(conn, constituent_id: str) -> list[tuple[str, str]]:
    """Every row an erasure of one person reaches: their record (and duplicates merged into it), consents,
    subject access requests, messages, entries as a party on other cases, and all their own cases."""
    from mpoffice_tui.sync.merge import everything_about

    return everything_about(conn, [("constituents", constituent_id)])


# -- erasure ------------------------------------------------------------------------------------
def erase_rows(w, rows: Sequence[tuple[str, str]], *, tombstone: bool = True, mode: str = "erase") -> None:
    """Erase rows through the write path: a `$erase` op each (replicated), then a tombstone op,
    then rebuild them (and anything else the erasure reaches) from their redacted ops. Runs in the
    writer's transaction."""
    from mpoffice_tui.sync.merge import rebuild_rows

    rows = list(dict.fromkeys(rows))
    if not rows:
        return
    w.session.flush()
    for tbl, rid in rows:
        w.record(tbl, rid, ERASE, {"erased": True, "mode": mode})
        if tombstone:
            w.record(tbl, rid, "deleted", True, erasure=True)
    rebuild_rows(w.session.connection(), rows)
    w.session.expire_all()


def _parse_target(item: str | ReviewItem) -> tuple[str, str]:
    if isinstance(item, ReviewItem):
        return item.kind, item.id
    kind, _, rid = str(item).partition(":")
    if kind not in ("case", "constituent") or not rid:
        raise OfficeError(f"{item!r}: name an item as case:ID (or case:REF) or constituent:ID")
    return kind, rid


def erase(office: Office, items: Iterable[str | ReviewItem], *, reason: str, confirm: bool = False,
          anonymise: bool = False) -> list[Erased]:
    """Erase (or anonymise) cases and constituents, each in one transaction; managers only.

    Erasing a case erases its notes, tasks, letters, parties, consents, messages and attachments.
    Erasing a constituent erases their record, consents, SARs, their messages, their entries as a
    party on other cases, and all their own cases (`db.models.ERASURE_LINKS`), here and, through sync,
    wherever those rows are or arrive. Anonymising keeps a case's category, status, outcome, priority
    and dates (for statistics) with every personal field blanked. Afterwards the database is scrubbed
    (`scrub`) so nothing erased survives in the file.
    """
    access.require(office, "retention.erase")
    targets = [_parse_target(i) for i in items]
    if not confirm:
        raise NotConfirmed(f"nothing erased: confirm the erasure of {len(targets)} item(s)")
    if not reason.strip():
        raise OfficeError("give a reason for the erasure (it goes in the deletion log)")
    mode = "anonymise" if anonymise else "erase"
    from mpoffice_tui.sync.erasure import reconcile_if_needed
    from mpoffice_tui.sync.merge import rebuild_rows

    reconcile_if_needed(office)  # an upgraded office first carries its earlier erasures everywhere

    done: list[Erased] = []
    for kind, rid in targets:
        with office.writing() as w:
            conn = w.session.connection()
            if kind == "case":
                row = conn.execute(text("SELECT id, category, status, priority, opened_at, closed_at, "
                                        "outcome, awaiting_since FROM cases WHERE id = :k OR ref = :k"),
                                   {"k": rid}).fetchone()
                if row is None:
                    raise OfficeError(f"no case {rid!r}")
                rows = case_rows(conn, row[0])
                keep = {"category": row[1], "status": row[2], "priority": row[3], "opened_at": row[4],
                        "closed_at": row[5], "outcome": row[6], "awaiting_since": row[7],
                        "title": "(anonymised)", "deleted": False} if anonymise else None
                main = ("cases", row[0])
            else:
                found = conn.execute(text("SELECT id FROM constituents WHERE id = :k"), {"k": rid}).fetchone()
                if found is None:
                    raise OfficeError(f"no constituent {rid!r}")
                rows = constituent_rows(conn, rid)
                keep = {"privacy_state": "anonymised", "surname": "(anonymised)",
                        "deleted": False} if anonymise else None
                main = ("constituents", rid)
            rows = list(dict.fromkeys(rows))
            erase_rows(w, [r for r in rows if r != main], mode=mode)
            erase_rows(w, [main], tombstone=keep is None, mode=mode)
            if keep is not None:  # written by the erasure itself: the only values the record keeps
                w.record_fields(main[0], main[1], keep, erasure=True)
                rebuild_rows(conn, [main])
            counts: dict[str, int] = {}
            for tbl, _ in rows:
                counts[tbl] = counts.get(tbl, 0) + 1
            detail = {"mode": mode, "reason": reason.strip()[:500], "rows": counts,
                      "ids": [f"{t}:{i}" for t, i in rows]}
            w.audit(f"retention.{mode}", target=f"{kind}:{main[1]}", detail=json.dumps(detail))
        done.append(Erased(kind, main[1], mode, counts))
    if done:
        scrub(office)
    return done


def deletion_log(office: Office) -> list[LogEntry]:
    """What was erased or anonymised: tables, ids, when, who, why (no personal data); managers only."""
    access.require(office, "audit.read")
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT at, staff_id, action, target, detail FROM audit_events WHERE action IN "
            "('retention.erase', 'retention.anonymise') ORDER BY at DESC, id DESC").fetchall()
    out = []
    for at, staff, action, target, detail in rows:
        try:
            parsed = json.loads(detail)
        except ValueError:
            parsed = {"detail": detail}
        out.append(LogEntry(at, staff, action, target, parsed))
    return out


def scrub(office: Office) -> None:
    """Leave no erased value in the file: merge the full-text indexes (dropping deleted entries),
    VACUUM (rewriting every page, so freed pages go) and truncate the WAL (see `sync.erasure.scrub`;
    a sync import that brings erasures from another machine runs it by itself)."""
    from mpoffice_tui.sync.erasure import scrub as _scrub

    _scrub(office)


def erasures_pending_scrub(office: Office) -> bool:
    """Whether erase ops arrived since the last scrub."""
    from mpoffice_tui.sync.erasure import erasures_pending_scrub as _pending

    return _pending(office)
