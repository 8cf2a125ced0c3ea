"""FTS5 full-text indexes (kept in step by triggers) and safe query building."""

from __future__ import annotations

import re

# External-content FTS5 tables over shared tables; triggers keep them in step with every write.
FTS_INDEXES: dict[str, tuple[str, list[str]]] = {
    "messages_fts": ("messages", ["subject", "body_text", "sender_name", "sender_email"]),
    "constituents_fts": ("constituents", ["forenames", "surname", "preferred_name", "email", "postcode",
                                          "address1"]),
    "cases_fts": ("cases", ["ref", "title", "category", "tags"]),
    "electors_fts": ("electors", ["forename", "surname", "address", "postcode"]),
}

# Further search structures (register lookup, services/register.py): the FTS vocabulary of elector
# names (for typo-tolerant term expansion) and an index for elector-number lookups.
EXTRA_DDL = """\
CREATE VIRTUAL TABLE electors_vocab USING fts5vocab(electors_fts, 'col');
CREATE INDEX ix_electors_pd_eno ON electors (pd, eno);
"""


def fts_ddl() -> str:
    """CREATE statements for the FTS tables and their triggers (used by the migration files)."""
    out = []
    for fts, (table, cols) in FTS_INDEXES.items():
        collist = ", ".join(cols)
        new = ", ".join(f"new.{c}" for c in cols)
        old = ", ".join(f"old.{c}" for c in cols)
        out.append(f"CREATE VIRTUAL TABLE {fts} USING fts5({collist}, content='{table}', "
                   "content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');")
        out.append(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN\n"
                   f"  INSERT INTO {fts}(rowid, {collist}) VALUES (new.rowid, {new});\nEND;")
        out.append(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN\n"
                   f"  INSERT INTO {fts}({fts}, rowid, {collist}) VALUES ('delete', old.rowid, {old});\nEND;")
        out.append(f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {collist} ON {table} BEGIN\n"
                   f"  INSERT INTO {fts}({fts}, rowid, {collist}) VALUES ('delete', old.rowid, {old});\n"
                   f"  INSERT INTO {fts}(rowid, {collist}) VALUES (new.rowid, {new});\nEND;")
    return "\n".join(out) + "\n" + EXTRA_DDL


_WORD = re.compile(r"\w+", re.UNICODE)


def match_query(text: str, prefix: bool = True) -> str | None:
    """Turn what a person typed into a safe FTS5 MATCH expression (every word quoted), or None.

    "O'Brien housing" -> '"O"* "Brien"* "housing"*' : quotes and operators typed by the user never
    reach FTS5 syntax.
    """
    words = _WORD.findall(text or "")
    if not words:
        return None
    star = "*" if prefix else ""
    return " ".join(f'"{w}"{star}' for w in words)
