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
    # 0005 (search everything, services/search.py): notes and attachments' names
    "notes_fts": ("notes", ["body"]),
    "attachments_fts": ("attachments", ["filename"]),
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


def fts_ddl(names: list[str] | None = None) -> str:
    """CREATE statements for the FTS tables (all, or those named) and their triggers (used to write the
    migration files: 0001 had the first four, 0005 the notes' and attachments' names)."""
    out = []
    for fts, (table, cols) in FTS_INDEXES.items():
        if names is not None and fts not in names:
            continue
        collist = ", ".join(cols)
        out.append(f"CREATE VIRTUAL TABLE {fts} USING fts5({collist}, content='{table}', "
                   f"content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'{FTS_OPTIONS.get(fts, '')});")
        out += [fts_trigger_ddl(fts, kind) for kind in ("ai", "ad", "au")]
    return "\n".join(out) + "\n" + (EXTRA_DDL if names is None else "")


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
TYPING_PREFIX = 3  # search as you type: the last word is a prefix from this many letters
JOINED_HEAD = 3  # "obrien", "mcdonald", "dsouza": a name typed without its apostrophe or space, up to here


def _word_query(word: str, star: str) -> str:
    """One typed word as FTS5: the word, or (a name typed joined up) its first letters and the rest as
    adjacent words, so "obrien" finds O'Brien and "mcdonald" Mc Donald, as the register lookup does."""
    alts = [f'"{word}"{star}']
    if word.isalpha() and len(word) >= 4:
        alts += [f'"{word[:k]} {word[k:]}"{star}' for k in range(1, min(JOINED_HEAD, len(word) - 3) + 1)]
    return alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")"


def word_query(word: str, prefix: bool = True) -> str:
    """One word (as `words` gives it) as a quoted FTS5 expression, with its joined-up name readings."""
    return _word_query(word, "*" if prefix else "")


def words(text: str | None) -> list[str]:
    """The words of what a person typed, as the FTS5 tokenizer sees them ("O'Brien" is "O", "Brien")."""
    return _WORD.findall(text or "")


def match_query(text: str, prefix: bool = True, *, typing: bool = False) -> str | None:
    """Turn what a person typed into a safe FTS5 MATCH expression (every word quoted), or None.

    "O'Brien housing" -> '"O"* AND "Brien"* AND ("housing"* OR "h ousing"* ...)' : quotes and operators typed by
    the user never reach FTS5 syntax; a word may also match as a name written apart ("obrien": O'Brien).
    With `typing` (search as you type) only the last word is a prefix, and only from TYPING_PREFIX letters:
    the words before it are finished, and a one- or two-letter prefix over 500k messages is not cheap.
    """
    found = words(text)
    if not found:
        return None
    if not typing:
        return " AND ".join(word_query(w, prefix) for w in found)
    last = len(found) - 1
    return " AND ".join(word_query(w, prefix and i == last and len(w) >= TYPING_PREFIX)
                        for i, w in enumerate(found))

