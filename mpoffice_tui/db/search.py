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

# Extra FTS5 options per table. The register's index keeps only which column holds a term (no
# positions: lookups never use phrases), which makes a 100k-row import and the index itself smaller.
FTS_OPTIONS: dict[str, str] = {"electors_fts": ", detail=column"}

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
        out.append(f"CREATE VIRTUAL TABLE {fts} USING fts5({collist}, content='{table}', "
                   f"content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'{FTS_OPTIONS.get(fts, '')});")
        out += [fts_trigger_ddl(fts, kind) for kind in ("ai", "ad", "au")]
    return "\n".join(out) + "\n" + EXTRA_DDL


def fts_trigger_ddl(fts: str, kind: str) -> str:
    """CREATE TRIGGER for one FTS table: kind "ai" (after insert), "ad" (after delete) or "au" (update).

    Also used by the register import, which drops the insert/delete triggers inside its transaction
    and indexes the whole publication with one INSERT ... SELECT (several times faster), then puts
    them back with this same text.
    """
    table, cols = FTS_INDEXES[fts]
    collist = ", ".join(cols)
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)
    if kind == "ai":
        return (f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN\n"
                f"  INSERT INTO {fts}(rowid, {collist}) VALUES (new.rowid, {new});\nEND;")
    if kind == "ad":
        return (f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN\n"
                f"  INSERT INTO {fts}({fts}, rowid, {collist}) VALUES ('delete', old.rowid, {old});\nEND;")
    return (f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {collist} ON {table} BEGIN\n"
            f"  INSERT INTO {fts}({fts}, rowid, {collist}) VALUES ('delete', old.rowid, {old});\n"
            f"  INSERT INTO {fts}(rowid, {collist}) VALUES (new.rowid, {new});\nEND;")


_WORD = re.compile(r"\w+", re.UNICODE)
JOINED_HEAD = 3  # "obrien", "mcdonald", "dsouza": a name typed without its apostrophe or space, up to here


def _word_query(word: str, star: str) -> str:
    """One typed word as FTS5: the word, or (a name typed joined up) its first letters and the rest as
    adjacent words, so "obrien" finds O'Brien and "mcdonald" Mc Donald, as the register lookup does."""
    alts = [f'"{word}"{star}']
    if word.isalpha() and len(word) >= 4:
        alts += [f'"{word[:k]} {word[k:]}"{star}' for k in range(1, min(JOINED_HEAD, len(word) - 3) + 1)]
    return alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"


def match_query(text: str, prefix: bool = True) -> str | None:
    """Turn what a person typed into a safe FTS5 MATCH expression (every word quoted), or None.

    "O'Brien housing" -> '"O"* AND "Brien"* AND ("housing"* OR "h ousing"* ...)' : quotes and operators typed by
    the user never reach FTS5 syntax; a word may also match as a name written apart ("obrien": O'Brien).
    """
    words = _WORD.findall(text or "")
    if not words:
        return None
    star = "*" if prefix else ""
    return " AND ".join(_word_query(w, star) for w in words)
