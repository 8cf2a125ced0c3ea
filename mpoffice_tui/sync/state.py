"""What a replica knows about the op log and the other machines.

- the **version vector**: for each origin site, the highest seq n such that ops 1..n are all here;
- the **sites** of the office, replicated as settings rows `sync.site.<id>` (code, label, the vector
  the site started from) and `sync.retired.<id>`, so every machine learns of joins and retirements;
- the **acks** of each peer (local table `peer`): the vector it last told us it holds. A bundle carries
  every op some active peer has not acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from mpoffice_tui.db.engine import CLOCK_FLOOR, COMPACTED
from mpoffice_tui.sync.merge import OP_COLUMNS, OpRow

Vector = dict[str, int]
SITE_KEY = "sync.site."
RETIRED_KEY = "sync.retired."




def keep_clock_floor(conn, hlc: int) -> None:
    """Note that ops up to time `hlc` were compacted away: this replica's clock starts after it
    (`db.engine.Office.clock`), so a later edit here is later than an insert another machine still holds."""
    conn.exec_driver_sql("INSERT OR REPLACE INTO office_meta (key, value) SELECT ?, CAST(max(?, coalesce((SELECT "
                         "CAST(value AS INTEGER) FROM office_meta WHERE key = ?), 0)) AS TEXT)",
                         (CLOCK_FLOOR, int(hlc), CLOCK_FLOOR))


def compacted(conn) -> Vector:
    """Per origin, the seq up to which this replica compacted its op log (sync.compact): every op at or below
    it was held here, and those missing were superseded and acknowledged by every machine."""
    row = conn.exec_driver_sql("SELECT value FROM office_meta WHERE key = ?", (COMPACTED,)).fetchone()
    try:
        return {str(k): int(v) for k, v in json.loads(row[0]).items()} if row else {}
    except (ValueError, TypeError, AttributeError):
        return {}


def vector(conn) -> Vector:
    """The contiguous prefix of each origin's ops held here (ops compacted away count as held)."""
    out: Vector = {}
    done = compacted(conn)
    if not done:
        rows = conn.exec_driver_sql("SELECT site, count(*), min(seq), max(seq) FROM ops GROUP BY site").fetchall()
    else:  # each origin's ops above what was compacted (by the primary key)
        rows = [(site, *conn.exec_driver_sql("SELECT count(*), min(seq), max(seq) FROM ops WHERE site = ? AND "
                                             "seq > ?", (site, done.get(site, 0))).fetchone())
                for (site,) in conn.exec_driver_sql("SELECT DISTINCT site FROM ops").fetchall()]
        rows = [r for r in rows if r[1]]
    for site, count, lo, hi in rows:
        base = done.get(site, 0)
        if count == hi - base and lo == base + 1:
            out[site] = int(hi)
        elif lo != base + 1:
            out[site] = base
        else:
            row = conn.exec_driver_sql(
                "SELECT min(seq) FROM ops o WHERE site = ? AND seq > ? AND NOT EXISTS "
                "(SELECT 1 FROM ops p WHERE p.site = o.site AND p.seq = o.seq + 1)", (site, base)).fetchone()
            out[site] = int(row[0])
    for site, base in done.items():
        out.setdefault(site, base)
    return out


def vmax(a: Mapping[str, int], b: Mapping[str, int]) -> Vector:
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in set(a) | set(b)}


def ops_since(conn, floor: Mapping[str, int]) -> list[OpRow]:
    """Every op not covered by `floor`, in (site, seq) order."""
    out: list[OpRow] = []
    sites = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT site FROM ops ORDER BY site")]
    for site in sites:
        out += [OpRow(*r) for r in conn.exec_driver_sql(
            f"SELECT {OP_COLUMNS} FROM ops WHERE site = ? AND seq > ? ORDER BY seq", (site, floor.get(site, 0)))]
    return out


@dataclass(frozen=True)
class Site:
    site: str
    code: str
    label: str
    start: Vector  # the vector it began from (what its enrolment file held)
    retired: bool


def sites(conn) -> dict[str, Site]:
    """Every machine of the office this replica has heard of."""
    rows = conn.exec_driver_sql(
        "SELECT key, value FROM settings WHERE (key LIKE 'sync.site.%' OR key LIKE 'sync.retired.%') "
        "AND deleted = 0").fetchall()
    retired = {k[len(RETIRED_KEY):] for k, _ in rows if k.startswith(RETIRED_KEY)}
    out: dict[str, Site] = {}
    for key, value in rows:
        if key.startswith(SITE_KEY):
            site = key[len(SITE_KEY):]
            try:
                info = json.loads(value or "{}")
            except ValueError:
                info = {}
            out[site] = Site(site, str(info.get("code", "?")), str(info.get("label", "")),
                             dict(info.get("start") or {}), site in retired)
    for site in retired - set(out):
        out[site] = Site(site, "?", "", {}, True)
    return out


def retired_sites(conn) -> set[str]:
    return {s.site for s in sites(conn).values() if s.retired}


def peer_acks(conn) -> dict[str, Vector]:
    return {site: json.loads(acked or "{}") for site, acked in
            conn.exec_driver_sql("SELECT site, acked FROM peer").fetchall()}


def record_ack(conn, site: str, their_vector: Mapping[str, int], *, code: str = "", at: str | None = None) -> None:
    """Note what a peer holds (never moving backwards: an old bundle replayed changes nothing)."""
    row = conn.exec_driver_sql("SELECT acked FROM peer WHERE site = ?", (site,)).fetchone()
    acked = vmax(json.loads(row[0]) if row else {}, their_vector)
    if row is None:
        conn.exec_driver_sql("INSERT INTO peer (site, code, label, retired, acked, last_import_at) "
                             "VALUES (?, ?, '', 0, ?, ?)", (site, code, json.dumps(acked), at))
    else:
        conn.exec_driver_sql("UPDATE peer SET acked = ?, last_import_at = coalesce(?, last_import_at), "
                             "code = CASE WHEN ? != '' THEN ? ELSE code END WHERE site = ?",
                             (json.dumps(acked), at, code, code, site))


def floor_for_export(conn, own_site: str) -> Vector:
    """Per origin, the seq every active peer already holds (what need not be sent again)."""
    known = sites(conn)
    acks = peer_acks(conn)
    active = {s for s, info in known.items() if not info.retired} | {s for s in acks if s not in known}
    active.discard(own_site)
    if not active:
        return {}
    floors: list[Vector] = [vmax(acks.get(s, {}), known[s].start if s in known else {}) for s in active]
    origins = set().union(*floors) | {own_site}
    return {o: min(f.get(o, 0) for f in floors) for o in origins}


def waiting(conn, own_site: str) -> int:
    """The changes some active peer has not acknowledged: exactly the ops the next bundle holds (this
    machine's own and those it passes on from others), counted as `ops_since` would list them."""
    floor = floor_for_export(conn, own_site)
    if not floor:
        return 0
    total = 0
    for site, top in conn.exec_driver_sql("SELECT site, max(seq) FROM ops GROUP BY site").fetchall():
        if int(top) > floor.get(site, 0):
            total += int(conn.exec_driver_sql("SELECT count(*) FROM ops WHERE site = ? AND seq > ?",
                                              (site, floor.get(site, 0))).scalar() or 0)
    return total
