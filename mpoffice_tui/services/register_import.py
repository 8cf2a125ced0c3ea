"""Importing council register exports: nothing is thrown away without a word.

    import_register(office, paths, *, council=None, published_on=None, replace=False, confirm=None,
                    progress=None) -> ImportSummary

Each file is read (format, encoding and delimiter detected; unreadable rows listed with file, line and
reason). Files are grouped by council (from `council` or the file name) and each council's current
publication is replaced in ONE transaction with its audit event: all or nothing, per council. One bad
file or one failed council never stops the others, and the summary always covers every file.

A replacement asks first (`confirm(Replacement) -> bool`, or `replace=True` for scripts) when it
would remove a large share of the council's electors (more than LARGE_SHARE and at least LARGE_MIN),
when the files are older than the publication held, or when their name does not say which council
they are from and that name's register is already held. Without a yes the council's files are held
back (`FileSummary.held_back`), with the question that was not answered, and nothing changes. A file
that yields no electors never replaces anything. Re-importing a publication that was replaced is a
replacement like any other: asked (it is older) and then done.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mpoffice_tui.db.engine import Office, utcnow
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.search import FTS_INDEXES, fts_trigger_ddl
from mpoffice_tui.importers.register import ParsedFile, RegisterFileError, RowProblem, no_gc, read_register
from mpoffice_tui.importers.register import normalise as n
from mpoffice_tui.services import clock

Progress = Callable[[int, int, str], None]

UNNAMED = "Unnamed council"
LARGE_SHARE = 0.25  # a replacement removing more than this share of a council's electors asks first ...
LARGE_MIN = 25  # ... when that is at least this many (a tiny register's churn is not a question)


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replacement:
    """A council's register about to be replaced in a way that asks first, and why."""

    council: str
    files: tuple[str, ...]
    published_on: str
    held: int  # electors of the council now
    incoming: int  # electors in the new files
    going: int  # electors held now who are not in the new files
    held_published: str | None  # the publication held now
    reasons: tuple[str, ...]  # "older", "large share", "unnamed"
    restores: str | None = None  # when this publication was held before: when it was imported

    @property
    def question(self) -> str:
        """One plain sentence: what would happen and why it asks."""
        parts = []
        if "unnamed" in self.reasons:
            parts.append(f"the file name does not say which council this register is from, and a register "
                         f"filed as {self.council!r} is already held (name the council: --council NAME)")
        if "older" in self.reasons:
            parts.append(f"it is older (published {self.published_on}) than the register held (published "
                         f"{self.held_published})" + (f"; it was held before, imported {self.restores}"
                                                      if self.restores else ""))
        if "large share" in self.reasons:
            parts.append(f"it would remove {self.going:,} of the {self.held:,} electors held "
                         f"({self.going * 100 // max(self.held, 1)}%)")
        return (f"Replace the {self.council} register ({self.held:,} electors) with {self.incoming:,} electors "
                f"from {', '.join(Path(f).name for f in self.files)}? " + "; ".join(parts) + ".")


@dataclass(frozen=True)
class FileSummary:
    path: str
    ok: bool
    format: str = ""
    encoding: str = ""
    delimiter: str = ""
    council: str = ""
    published_on: str | None = None
    imported: int = 0
    skipped: int = 0
    problems: tuple[RowProblem, ...] = ()
    error: str | None = None
    notes: tuple[RowProblem, ...] = ()  # rows read, but worth a look (a line in another encoding)
    held_back: Replacement | None = None  # not imported: the replacement was not confirmed


@dataclass(frozen=True)
class ImportSummary:
    files: tuple[FileSummary, ...]
    imported: int
    failed_rows: int
    failed_files: int
    replaced: int  # electors of older publications replaced
    links_kept: int  # constituent links still pointing at an elector after the import
    links_lost: int  # constituent links whose elector is no longer on the register
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failed_rows and not self.failed_files

    @property
    def held_back(self) -> tuple[Replacement, ...]:
        """The replacements that were not confirmed (one per council)."""
        return tuple({f.held_back.council: f.held_back for f in self.files if f.held_back}.values())

    @property
    def rows_per_second(self) -> float:
        return self.imported / self.seconds if self.seconds else 0.0


# -- file names ----------------------------------------------------------------------------------
_NOISE = {"full", "register", "electoral", "roll", "export", "file", "part", "pt", "of", "final", "data",
          "copy", "xpress", "eros", "idox", "halarose", "dc", "democracy", "counts", "property", "csv",
          "tsv", "txt", "elections", "electors", "mp", "v", "version", "and", "the", "publication",
          "published", "revised", "update", "updates", "monthly", "annual", "jan", "feb", "mar", "apr",
          "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "january", "february", "march",
          "april", "june", "july", "august", "september", "october", "november", "december"}
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"], 1)}


def council_from_filename(path: str | Path) -> str:
    """ "Burnley_full_register_2024-12-01_part2.csv" -> "Burnley" (the split files of one council agree);
    UNNAMED when the name holds nothing but noise words and dates."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", Path(path).stem) if w]
    kept = [w for w in words if w.lower() not in _NOISE and not any(c.isdigit() for c in w)]
    return " ".join(w.capitalize() if w.islower() or w.isupper() else w for w in kept) or UNNAMED


def published_from_filename(path: str | Path) -> str | None:
    """A publication date in the file name (2024-12-01, 20241201, 01-12-2024, Dec2024), else None."""
    stem = Path(path).stem
    for pattern, order in ((r"(20\d\d)[-_.]?(\d\d)[-_.]?(\d\d)", "ymd"), (r"(\d\d)[-_.](\d\d)[-_.](20\d\d)", "dmy")):
        m = re.search(pattern, stem)
        if m:
            a, b, c = (int(x) for x in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return date(y, mo, d).isoformat()
            except ValueError:
                continue
    m = re.search(r"(?i)(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_ ]?(20\d\d)", stem)
    if m:
        return date(int(m.group(2)), _MONTHS[m.group(1).lower()], 1).isoformat()
    return None


# -- rows ------------------------------------------------------------------------------------------
_ELECTOR_COLS = ("id", "publication_id", "elector_key", "pd", "eno", "suffix", "markers", "title", "forename",
                 "surname", "initials", "date_of_birth", "attainment_date", "franchise",
                 "open_register_optout", "address", "postcode", "uprn", "name_key")
_INSERT = (f"INSERT INTO electors ({', '.join(_ELECTOR_COLS)}) "
           f"VALUES ({', '.join('?' for _ in _ELECTOR_COLS)})")
_FTS_COLS = ", ".join(FTS_INDEXES["electors_fts"][1])


def _rows_for(parsed: ParsedFile, council: str, pub_id: str, seen: dict[str, int]) -> list[tuple]:
    out = []
    fold, key_of, name_key = n.fold, n.elector_key, n.name_key
    for i, r in enumerate(parsed.records):
        folded = fold(f"{r.forename} {r.surname}")
        key = key_of(council, surname=r.surname, forename=r.forename, uprn_value=r.uprn, postcode_value=r.postcode,
                     address=r.address, pd=r.pd, eno=r.eno, suffix=r.suffix, folded_name=folded)
        count = seen[key] = seen.get(key, 0) + 1
        if count > 1:  # two people of the same name at one address
            key = f"{key}-{count}"
        out.append((f"{pub_id}.{i:06x}", pub_id, key, r.pd, r.eno, r.suffix, r.markers, r.title, r.forename, r.surname,
                    r.initials, r.date_of_birth, r.attainment_date, r.franchise, int(r.open_register_optout),
                    r.address, r.postcode, r.uprn, name_key(r.forename, r.surname, folded)))
    return out


def _bulk_fts(conn, *, start: bool) -> None:
    """Drop (start) or put back the register's FTS insert/delete triggers, inside the import's transaction.

    While they are dropped the import keeps the index itself, a whole publication at a time (one
    INSERT ... SELECT is several times faster than a trigger per row). DDL is transactional in SQLite:
    a failed import rolls back to the triggers as they were; other connections never see them missing.
    """
    for kind in ("ai", "ad"):
        if start:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS electors_fts_{kind}")
        else:
            conn.exec_driver_sql(fts_trigger_ddl("electors_fts", kind))


def _unindex(conn, marks: str, old_ids: tuple) -> None:
    """Take the electors of these publications out of the FTS index (before they are deleted)."""
    total = conn.exec_driver_sql("SELECT count(*) FROM electors").scalar() or 0
    going = conn.exec_driver_sql(f"SELECT count(*) FROM electors WHERE publication_id IN ({marks})",
                                 old_ids).scalar() or 0
    if going == total:  # the whole register is replaced (one council, or the last of them)
        conn.exec_driver_sql("INSERT INTO electors_fts(electors_fts) VALUES ('delete-all')")
    else:
        conn.exec_driver_sql(f"INSERT INTO electors_fts(electors_fts, rowid, {_FTS_COLS}) SELECT 'delete', "
                             f"rowid, {_FTS_COLS} FROM electors WHERE publication_id IN ({marks})", old_ids)


# -- one council -----------------------------------------------------------------------------------
@dataclass
class _Group:
    """A council's files for this import, their rows (keyed) and what the office holds now."""

    council: str
    named: bool  # the council came from --council or the file name
    files: list[tuple[ParsedFile, str | None]]
    published_on: str = ""
    rows: list[list[tuple]] | None = None  # per file, with a publication id each
    pub_ids: list[str] | None = None
    held_ids: tuple[str, ...] = ()

    def prepare(self) -> None:
        self.published_on = max((d for _, d in self.files if d), default=None) or clock.today_iso()
        seen: dict[str, int] = {}
        self.pub_ids = [new_id() for _ in self.files]
        self.rows = [_rows_for(parsed, self.council, pid, seen) for (parsed, _), pid in zip(self.files, self.pub_ids,
                                                                                           strict=True)]


def _held(conn, council: str) -> tuple[tuple[str, ...], str | None, int]:
    """(current publication ids, the newest one's date, electors held) for a council."""
    old = conn.exec_driver_sql("SELECT id, published_on FROM register_publication WHERE council = ? AND current = 1",
                               (council,)).fetchall()
    ids = tuple(sorted(o[0] for o in old))
    newest = max((o[1] or "" for o in old), default="") or None
    held = 0
    if ids:
        held = conn.exec_driver_sql(f"SELECT count(*) FROM electors WHERE publication_id IN "
                                    f"({','.join('?' * len(ids))})", ids).scalar() or 0
    return ids, newest, int(held)


def _replacement(office: Office, group: _Group) -> Replacement | None:
    """The question to ask before replacing this council's register, or None when it need not ask."""
    with office.engine.connect() as conn:
        ids, newest, held = _held(conn, group.council)
        group.held_ids = ids
        if not ids:
            return None
        incoming_keys = {row[2] for rows in group.rows or () for row in rows}
        going = 0
        marks = ",".join("?" * len(ids))
        for (key,) in conn.exec_driver_sql(f"SELECT elector_key FROM electors WHERE publication_id IN ({marks})", ids):
            going += key not in incoming_keys
        restores = None
        names = tuple(Path(p.path).name for p, _ in group.files)
        row = conn.exec_driver_sql(
            f"SELECT max(imported_at) FROM register_publication WHERE council = ? AND current = 0 AND published_on = ? "
            f"AND source_file IN ({','.join('?' * len(names))})", (group.council, group.published_on, *names)).fetchone()
        if row and row[0]:
            restores = str(row[0])[:10]
    reasons = []
    if not group.named:
        reasons.append("unnamed")
    if newest and group.published_on < newest:
        reasons.append("older")
    if going > LARGE_SHARE * held and going >= LARGE_MIN:
        reasons.append("large share")
    if not reasons:
        return None
    return Replacement(group.council, tuple(p.path for p, _ in group.files), group.published_on, held,
                       sum(len(r) for r in group.rows or ()), going, newest, tuple(reasons), restores)


@dataclass
class _Totals:
    done: int = 0
    total: int = 0
    imported: int = 0
    replaced: int = 0
    kept: int = 0
    lost: int = 0


def _write(office: Office, group: _Group, totals: _Totals, progress: Progress | None) -> list[FileSummary]:
    """Replace the council's current publication with the group's files, in one transaction."""
    out: list[FileSummary] = []
    c = group.council
    with office.writing() as w:
        conn = w.session.connection()
        ids, _, _ = _held(conn, c)
        if ids != group.held_ids:
            raise _Changed(f"the {c} register changed while this import was being prepared; nothing was "
                           "changed: import the files again")
        old_ids = list(ids)
        marks = ",".join("?" for _ in old_ids)
        before = replaced = 0
        _bulk_fts(conn, start=True)
        if old_ids:
            before = conn.exec_driver_sql(
                f"SELECT count(*) FROM constituents WHERE deleted = 0 AND elector_key IN (SELECT "
                f"elector_key FROM electors WHERE publication_id IN ({marks}))", tuple(old_ids)).scalar() or 0
            _unindex(conn, marks, tuple(old_ids))
            replaced = conn.exec_driver_sql(
                f"DELETE FROM electors WHERE publication_id IN ({marks})", tuple(old_ids)).rowcount
            conn.exec_driver_sql(f"UPDATE register_publication SET current = 0 WHERE id IN ({marks})",
                                 tuple(old_ids))
        done = totals.done
        for (parsed, _), pub_id, rows in zip(group.files, group.pub_ids or (), group.rows or (), strict=True):
            conn.exec_driver_sql(
                "INSERT INTO register_publication (id, council, source_file, format, published_on, "
                "imported_at, rows, current) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                (pub_id, c, Path(parsed.path).name, parsed.format, group.published_on, utcnow(), len(rows)))
            for i in range(0, len(rows), 5000):
                conn.exec_driver_sql(_INSERT, rows[i:i + 5000])
                done += len(rows[i:i + 5000])
                if progress:
                    progress(done, totals.total, Path(parsed.path).name)
            conn.exec_driver_sql(f"INSERT INTO electors_fts(rowid, {_FTS_COLS}) SELECT rowid, {_FTS_COLS} "
                                 "FROM electors WHERE publication_id = ?", (pub_id,))
            unnamed = () if group.named else (RowProblem(parsed.path, 0, f"the file name does not say which council "
                                                                     f"it is from: filed as {c!r} (name it with "
                                                                     "--council NAME)"),)
            out.append(FileSummary(
                path=parsed.path, ok=not parsed.problems, format=parsed.format_label, encoding=parsed.encoding,
                delimiter=parsed.delimiter, council=c, published_on=group.published_on, imported=len(rows),
                skipped=parsed.skipped, problems=tuple(parsed.problems), notes=unnamed + tuple(parsed.notes)))
        _bulk_fts(conn, start=False)
        kept = lost = 0
        if old_ids:
            pmarks = ",".join("?" for _ in group.pub_ids or ())
            kept = conn.exec_driver_sql(
                f"SELECT count(*) FROM constituents WHERE deleted = 0 AND elector_key IN (SELECT "
                f"elector_key FROM electors WHERE publication_id IN ({pmarks}))",
                tuple(group.pub_ids or ())).scalar() or 0
            lost = max(0, before - kept)
        rows_n = sum(len(r) for r in group.rows or ())
        bad = sum(len(p.problems) for p, _ in group.files)
        w.audit("register.import", target=f"register:{c}",
                detail=f"{len(group.files)} file(s), {rows_n} electors, {bad} unreadable rows, "
                       f"published {group.published_on}, replaced {len(old_ids)} earlier publication(s) "
                       f"({replaced} electors)")
    totals.done = done
    totals.imported += rows_n
    totals.replaced += replaced
    totals.kept += kept
    totals.lost += lost
    return out


class _Changed(Exception):
    """The council's register changed between the question and the write."""


# -- the import ------------------------------------------------------------------------------------
def import_register(office: Office, paths: Iterable[str | Path], *, council: str | None = None,
                    published_on: str | None = None, progress: Progress | None = None, replace: bool = False,
                    confirm: Callable[[Replacement], bool] | None = None) -> ImportSummary:
    """Import register exports; several files of one council make one register (see module doc)."""
    with no_gc():  # 100k+ small objects alive at once: cyclic GC passes would cost more than the parse
        return _import(office, paths, council=council, published_on=published_on, progress=progress,
                       replace=replace, confirm=confirm)


def _failed(path: str, error: str, parsed: ParsedFile | None = None, council: str = "",
            held_back: Replacement | None = None) -> FileSummary:
    if parsed is None:
        return FileSummary(path=path, ok=False, council=council, error=error, held_back=held_back)
    return FileSummary(path=path, ok=False, format=parsed.format_label, encoding=parsed.encoding,
                       delimiter=parsed.delimiter, council=council, skipped=parsed.skipped,
                       problems=tuple(parsed.problems), notes=tuple(parsed.notes), error=error, held_back=held_back)


def _import(office: Office, paths: Iterable[str | Path], *, council: str | None, published_on: str | None,
            progress: Progress | None, replace: bool, confirm: Callable[[Replacement], bool] | None) -> ImportSummary:
    started = time.perf_counter()
    summaries: list[FileSummary] = []
    groups: dict[str, _Group] = {}
    council = (council or "").strip() or None
    for path in paths:
        try:
            parsed = read_register(path)
        except RegisterFileError as exc:
            summaries.append(_failed(str(path), str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one file's surprise never stops the others
            summaries.append(_failed(str(path), f"{path}: could not be read ({type(exc).__name__})"))
            continue
        if not parsed.records:
            summaries.append(_failed(parsed.path, f"{parsed.path}: no electors could be read from it "
                                     f"({len(parsed.problems)} unreadable rows); nothing was changed", parsed))
            continue
        c = council or council_from_filename(path)
        group = groups.setdefault(c, _Group(c, bool(council) or c != UNNAMED, []))
        group.files.append((parsed, published_on or published_from_filename(path)))
    totals = _Totals(total=sum(len(p.records) for g in groups.values() for p, _ in g.files))
    for group in groups.values():
        try:
            group.prepare()
            question = _replacement(office, group)
            if question is not None and not replace and not (confirm is not None and confirm(question)):
                summaries += [_failed(p.path, f"{p.path}: not imported: {question.question} Nothing was changed.",
                                      p, group.council, question) for p, _ in group.files]
                continue
            summaries += _write(office, group, totals, progress)
        except _Changed as exc:
            summaries += [_failed(p.path, f"{p.path}: {exc}", p, group.council) for p, _ in group.files]
        except Exception as exc:  # noqa: BLE001 - one council's failure never stops the others
            from mpoffice_tui.db.errors import OfficeError

            why = str(exc) if isinstance(exc, OfficeError) else type(exc).__name__
            summaries += [_failed(p.path, f"{p.path}: could not be stored ({why}); nothing from it was changed",
                                  p, group.council) for p, _ in group.files]
        finally:
            group.rows = None  # free each council's rows once it is done
    from mpoffice_tui.services import register  # the lookup cache (its stamp changes too: belt and braces)

    register.forget(office)
    summary = ImportSummary(
        files=tuple(summaries), imported=totals.imported,
        failed_rows=sum(len(s.problems) for s in summaries),
        failed_files=sum(1 for s in summaries if s.error), replaced=totals.replaced, links_kept=totals.kept,
        links_lost=totals.lost, seconds=time.perf_counter() - started)
    if totals.imported or totals.replaced:
        office.optimize()  # the planner's statistics for the electors just stored
    return summary
