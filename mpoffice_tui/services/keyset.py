"""Keyset paging: the rows just after (or before) a row already shown, by its sort key, not by OFFSET.

A list ordered `KEY dir NULLS LAST, TIE dir` (TIE unique) is walked from an anchor row whose values are
(`key`, `tie`). OFFSET reads and throws away every row before the page, so a page deep in 50k cases or
250k messages cost what the whole prefix costs; a seek from the anchor costs what the first page does.

    for where, order in segments("c.opened_at", "c.ref", descending=True, key=k, forward=True):
        rows += run(f"... AND {where} ORDER BY {order} LIMIT :n")   # with :k_key and :k_tie bound

Segments are run in turn until the page is full; each yields rows in walking order (nearest the anchor
first). Walking backwards, the caller reverses what it collected to get list order.
"""

from __future__ import annotations

KEY, TIE = ":k_key", ":k_tie"  # the bound names of the anchor's values


def segments(key_sql: str, tie_sql: str, *, descending: bool, key: object, forward: bool,
             nullable: bool = True) -> list[tuple[str, str]]:
    """(condition, ORDER BY) pairs for the rows beyond the anchor, nearest first (see the module doc).

    `key` is the anchor's own key value (None for NULL); bind it as `k_key`, its tie value as `k_tie`.
    """
    going_down = descending if forward else not descending
    op, d = ("<", "DESC") if going_down else (">", "ASC")
    beyond = f"({key_sql} {op}= {KEY} AND ({key_sql} {op} {KEY} OR {tie_sql} {op} {TIE}))"
    by_key = f"{key_sql} {d}, {tie_sql} {d}"
    if not nullable:
        return [(beyond, by_key)]
    nulls_beyond = (f"({key_sql} IS NULL AND {tie_sql} {op} {TIE})", f"{tie_sql} {d}")
    if forward:  # NULLS LAST: after a keyed row come the rest of the keyed rows, then every NULL
        return [(beyond, by_key), (f"{key_sql} IS NULL", f"{tie_sql} {d}")] if key is not None else [nulls_beyond]
    # backwards: before a NULL row come the NULLs before it, then every keyed row (the last first)
    return [(beyond, by_key)] if key is not None else [nulls_beyond, (f"{key_sql} IS NOT NULL", by_key)]
