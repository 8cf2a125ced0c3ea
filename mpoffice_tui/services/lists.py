"""Paged list queries for the app's screens: Core SQL, one window of rows at a time.

Every list has a `count_*` and a `page_*(offset, limit)` pair so a table can ask for just the rows
it shows (DESIGN §6: lists are paged from SQL, never loaded whole). Rows are frozen dataclasses.
Sort keys are chosen from fixed whitelists, never spliced from user input.
"""

from __future__ import annotations

from dataclasses import dataclass

from mpoffice_tui.db.engine import Office
from mpoffice_tui.importers.register.normalise import elector_number
from mpoffice_tui.services import access
from mpoffice_tui.services.constituent_fields import name_sql
from mpoffice_tui.services.lanes import LANES


# -- inbox ------------------------------------------------------------------------------------
# The lanes, their rows and the message detail come from `services.inbox` (one set of queries);
# here are only what the Inbox screen adds: a per-lane count and the campaign groups.
@dataclass(frozen=True)
class CampaignGroup:
    """A campaign as the Campaigns lane shows it: its messages still waiting, and how many are flagged."""

    id: str
    name: str
    waiting: int  # messages still in the Campaigns lane
    total: int  # every incoming message in the campaign
    senders: int
    flagged: int  # waiting messages whose text differs materially from the template
    latest: str
    template_text: str


def _lane_clause(lane: str) -> tuple[str, tuple]:
    states = LANES.get(lane)
    if states is None:
        raise ValueError(f"unknown inbox lane {lane!r}")
    return f"m.triage IN ({', '.join('?' * len(states))})", states


def count_messages(office: Office, lane: str = "new") -> int:
    where, params = _lane_clause(lane)
    with office.engine.connect() as conn:
        sql = f"SELECT count(*) FROM messages m WHERE m.deleted = 0 AND {where}"
        return int(conn.exec_driver_sql(sql, params).scalar() or 0)


def lane_counts(office: Office) -> dict[str, int]:
    """How many messages wait in each lane (and in the outbox)."""
    from mpoffice_tui.services import inbox

    counts = inbox.lane_counts(office)
    return {lane: counts.get(lane, 0) for lane in LANES if lane != "sent"}


def page_messages(office: Office, lane: str, offset: int, limit: int) -> list:
    """Messages in a lane, newest first (`services.inbox.InboxRow`)."""
    from mpoffice_tui.services import inbox

    return inbox.list_inbox(office, lane, limit=int(limit), offset=int(offset))


def seek_messages(office: Office, lane: str, anchor, limit: int, forward: bool = True) -> list:
    """The messages just after (or before) `anchor`, a row of this lane already shown, by key (no OFFSET)."""
    from mpoffice_tui.services import inbox

    if forward:
        return inbox.list_inbox(office, lane, limit=int(limit), after=anchor)
    return inbox.list_inbox(office, lane, limit=int(limit), before=anchor)


_GROUP_SQL = (
    "SELECT c.id, c.name, sum(m.triage = 'campaign'), count(m.id), count(DISTINCT lower(m.sender_email)), "
    "sum(m.triage = 'campaign' AND m.flags LIKE '%differs_from_campaign%'), max(m.received_at), c.template_text "
    "FROM campaigns c JOIN messages m ON m.campaign_id = c.id AND m.deleted = 0 AND m.direction = 'in' "
    "WHERE c.deleted = 0 GROUP BY c.id HAVING sum(m.triage = 'campaign') > 0 ")


def count_campaign_groups(office: Office) -> int:
    with office.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM ({_GROUP_SQL})").scalar() or 0)


def page_campaign_groups(office: Office, offset: int, limit: int) -> list[CampaignGroup]:
    """Campaigns with messages waiting in the Campaigns lane, latest message first."""
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(_GROUP_SQL + "ORDER BY 7 DESC, c.id LIMIT ? OFFSET ?",
                                    (int(limit), int(offset))).fetchall()
    return [CampaignGroup(r[0], r[1] or "Campaign", int(r[2] or 0), int(r[3] or 0), int(r[4] or 0),
                          int(r[5] or 0), r[6] or "", r[7] or "") for r in rows]


def count_campaign_messages(office: Office, campaign_id: str) -> int:
    with office.engine.connect() as conn:
        return int(conn.exec_driver_sql(
            "SELECT count(*) FROM messages WHERE campaign_id = ? AND triage = 'campaign' AND deleted = 0",
            (campaign_id,)).scalar() or 0)


def page_campaign_messages(office: Office, campaign_id: str, offset: int, limit: int) -> list:
    """A campaign's waiting messages: flagged ones (that may carry a real case) first, then newest first."""
    from mpoffice_tui.services.inbox import InboxRow

    sql = ("SELECT m.id, m.received_at, m.channel, m.direction, coalesce(m.sender_name, ''), "
           "coalesce(m.sender_email, ''), m.subject, m.triage, c.ref, m.suggestion_reason, m.flags, "
           "(SELECT count(*) FROM attachments a WHERE a.message_id = m.id AND a.deleted = 0) "
           "FROM messages m LEFT JOIN cases c ON c.id = m.case_id "
           "WHERE m.campaign_id = ? AND m.triage = 'campaign' AND m.deleted = 0 "
           "ORDER BY (coalesce(m.flags, '') LIKE '%differs_from_campaign%') DESC, m.received_at DESC, m.id "
           "LIMIT ? OFFSET ?")
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, (campaign_id, int(limit), int(offset))).fetchall()
    return [InboxRow(*r[:10], r[10] or "", int(r[11] or 0)) for r in rows]


def _in_order(conn, keys_sql: str, params: tuple, rows_sql: str) -> list[tuple]:
    """Page in two steps: the ordered keys of one window (the OFFSET walks an index, with no joins),
    then the joined rows for just those keys, put back in key order."""
    keys = [r[0] for r in conn.exec_driver_sql(keys_sql, params).fetchall()]
    if not keys:
        return []
    found = conn.exec_driver_sql(rows_sql.format(keys=", ".join("?" * len(keys))), tuple(keys)).fetchall()
    by_key = {r[0]: r[1:] for r in found}
    return [by_key[k] for k in keys if k in by_key]


# -- cases ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoundCase:
    """A case found by reference or title (the palette, "file to a case")."""

    id: str
    ref: str
    title: str
    constituent: str
    status: str
    category: str
    assignee: str
    opened: str
    review_date: str | None


_CASE_COLUMNS = (
    f"c.id, c.ref, c.title, {name_sql('p')}, "
    "c.status, c.category, coalesce(s.name, ''), substr(c.opened_at, 1, 10), c.review_date "
)
_CASE_SELECT = (
    f"SELECT {_CASE_COLUMNS} FROM cases c LEFT JOIN constituents p ON p.id = c.constituent_id "
    "LEFT JOIN staff s ON s.id = c.assignee_id "
)


def find_cases(office: Office, text: str, limit: int = 20) -> list[FoundCase]:
    """Cases whose reference starts with, or whose title contains, what was typed."""
    text = (text or "").strip()
    if not text:
        return []
    like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    sql = _CASE_SELECT + (
        "WHERE c.deleted = 0 AND (c.ref LIKE ? ESCAPE '\\' OR c.title LIKE ? ESCAPE '\\') "
        "ORDER BY (c.ref LIKE ? ESCAPE '\\') DESC, c.opened_at DESC, c.ref LIMIT ?")
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, (like.upper() + "%", "%" + like + "%", like.upper() + "%",
                                          int(limit))).fetchall()
    return [FoundCase(*r) for r in rows]


def case_id_for_ref(office: Office, ref: str) -> str | None:
    with office.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT id FROM cases WHERE ref = ? AND deleted = 0",
                                   (ref.strip().upper(),)).fetchone()
    return row[0] if row else None


# -- register ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ElectorRow:
    id: str
    name: str
    postcode: str
    address: str
    number: str  # polling district, number and suffix when not zero, e.g. "AB1-124/1"
    key: str = ""  # elector_key (links constituents to electors)
    markers: str = ""  # e.g. "F", "N", "Z"; "A" is added for attainers
    optout: bool = False  # opted out of the open register


def _elector_where(query: str) -> tuple[str, tuple]:
    query = (query or "").strip()
    if not query:
        return "", ()
    like = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    compact = like.replace(" ", "").upper()
    return (
        "WHERE (surname LIKE ?1 ESCAPE '\\' OR forename LIKE ?1 ESCAPE '\\' OR name_key LIKE ?2 ESCAPE '\\' "
        "OR replace(postcode, ' ', '') LIKE ?3 ESCAPE '\\' OR address LIKE ?2 ESCAPE '\\') ",
        (like + "%", "%" + like + "%", compact + "%"),
    )


def count_electors(office: Office, query: str = "") -> int:
    """How many electors the bulk list holds (needs "register.bulk": not for volunteers)."""
    access.require(office, "register.bulk")
    where, params = _elector_where(query)
    with office.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT count(*) FROM electors {where}", params).scalar() or 0)


def page_electors(office: Office, query: str, offset: int, limit: int) -> list[ElectorRow]:
    """The register in bulk, by surname (optionally filtered by a plain prefix/LIKE query).

    Anonymous entries (marker N) are shown by number only. Needs "register.bulk".
    """
    access.require(office, "register.bulk")
    where, params = _elector_where(query)
    n = len(params)
    sql = (
        "SELECT id, trim(coalesce(title || ' ', '') || forename || ' ' || surname), postcode, address, "
        f"pd, eno, suffix, elector_key, coalesce(markers, ''), attainment_date, open_register_optout "
        f"FROM electors {where}ORDER BY surname, forename, id LIMIT ?{n + 1} OFFSET ?{n + 2}"
    )
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, (*params, int(limit), int(offset))).fetchall()
    out = []
    for rid, name, postcode, address, pd, eno, suffix, key, markers, attains, optout in rows:
        markers = markers + ("A" if attains and "A" not in markers else "")
        if "N" in markers:
            name, postcode, address = "Anonymous elector", "", ""
        out.append(ElectorRow(rid, name, postcode or "", address or "", elector_number(pd or "", eno, suffix or 0),
                              key or "", markers, bool(optout)))
    return out
