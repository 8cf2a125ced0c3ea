"""The SQLCipher engine: open and close an office, connection pragmas, schema migrations.

Every connection is keyed first (`PRAGMA key = "x'…'"` with the raw data key), then
`cipher_log_level=NONE`, WAL, `synchronous=NORMAL`, `temp_store=MEMORY` and a page cache sized to what the
connection does (POOL_CACHE_KIB for the pooled connections the app and commands share, more for a
migration). SQLAlchemy and SQLModel are imported on first ORM use: a read command that only needs raw SQL
(`Office.raw()`, e.g. `mpoffice lookup`) never pays for them. Planner statistics (sqlite_stat1) are kept
current by `PRAGMA optimize` after migrations, after big imports and when an office is closed.
An office is held open by one process at a time: a lock file beside the database's real path (so a
symlink or a second spelling of the path finds the same lock). The database, its key slots, WAL/SHM,
the lock and backups are created owner-only (0600, folders 0700) whatever the umask. Database errors
reach callers as `DatabaseProblem`/`OfficeBusy` with a plain message: never the SQL or its parameters.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3.dbapi2 as dbapi
from filelock import FileLock, Timeout

from mpoffice_tui import paths
from mpoffice_tui.db import keys
from mpoffice_tui.db.errors import (
    DatabaseProblem,
    NotAnOffice,
    OfficeBusy,
    OfficeError,
    OfficeExists,
    OfficeInUse,
    OfficeNotFound,
    UnlockError,
    WrongPassphrase,
)
from mpoffice_tui.db.hlc import HybridClock
from mpoffice_tui.files import create_private, private_dir, read_regular, regular_problem, write_private

if TYPE_CHECKING:  # the ORM stack is imported on first use (see the module docstring)
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from mpoffice_tui.db.writes import Writer

SCHEMA_VERSION_LATEST = None  # computed from the migration files
CLOCK_FLOOR = "sync.clock_floor"  # office_meta: the newest op time compaction deleted (sync.compact)
COMPACTED = "sync.compacted"  # office_meta: per origin, the seq up to which ops were compacted (sync.state)


def utcnow() -> str:
    """Now, as an ISO-8601 UTC string with microseconds (sortable)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


# -- connections ------------------------------------------------------------------------------
def _key_pragma(data_key: bytes) -> str:
    return f"PRAGMA key = \"x'{data_key.hex()}'\""


# Per pooled connection. 64 MiB on each cost ~100 MB of RSS; below ~24 MiB a scan of the full office's 50k
# cases (~20 MB of pages) no longer fits and every count re-reads and decrypts them (6 ms became 40 ms).
# The pool hands out the most recently used connection first (LIFO), so one warm cache serves the app and
# the others stay small unless work really runs side by side.
POOL_CACHE_KIB = 32 * 1024
MIGRATION_CACHE_KIB = 64 * 1024  # one short-lived connection rebuilding indexes and tables
SNAPSHOT_CACHE_KIB = 8 * 1024  # the connection tidying a snapshot (sync join): a few small tables
# The app reads from several pooled connections at once (its thread workers), and each could warm its cache to
# POOL_CACHE_KIB: at full scale the TUI's memory grew by a cache at a time as screens ran side by side. Together
# they are held to APP_CACHES_KIB (limit_page_caches): past it a connection reuses its own least recently used
# pages instead of allocating more, so the warm one keeps its pages and the others stay small.
APP_CACHES_KIB = 48 * 1024


def connect_raw(path: Path, data_key: bytes, cache_kib: int = POOL_CACHE_KIB) -> dbapi.Connection:
    """A keyed DB-API connection with the house pragmas; raises NotAnOffice if the key does not fit."""
    conn = dbapi.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute(_key_pragma(data_key))  # first statement, before any other pragma
    conn.execute("PRAGMA cipher_log_level = NONE")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except dbapi.DatabaseError as exc:
        conn.close()
        raise NotAnOffice(f"{path}: not an office database, or the key-slot file belongs to another "
                          "office.") from exc
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def limit_page_caches(kib: int = APP_CACHES_KIB) -> None:
    """Hold SQLite's memory in this process, every connection's page cache together, to about `kib` (SQLite's
    soft heap limit: a bound it keeps by reusing cached pages, never a failed query)."""
    conn = dbapi.connect(":memory:")
    try:
        conn.execute(f"PRAGMA soft_heap_limit = {int(kib) * 1024}")
    finally:
        conn.close()


def _make_engine(creator) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    engine = create_engine(
        "sqlite://", module=dbapi, creator=creator, poolclass=QueuePool, pool_size=4, max_overflow=8,
        pool_use_lifo=True,
    )

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pysqlite-style drivers need an explicit BEGIN with isolation_level=None
        conn.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "handle_error")
    def _plain(context):  # SQLAlchemy's own message quotes the SQL and its parameters (personal data)
        if isinstance(context.original_exception, Exception):  # Ctrl+C and exits pass through as they are
            raise database_problem(context.original_exception) from None

    return engine


# SQLite messages that name no data (a table or column at most), shown as they are.
_SAFE_MESSAGES = ("constraint failed", "disk i/o error", "database or disk is full", "readonly database",
                  "unable to open database file", "file is not a database", "malformed", "no such table",
                  "no such column", "interrupted", "out of memory")


def database_problem(exc: BaseException) -> DatabaseProblem:
    """A plain error for a DB-API exception: what went wrong, never the statement or its values."""
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    low = text.lower()
    if "locked" in low or "busy" in low:
        return OfficeBusy("the office database is busy: another program kept it locked. Nothing was "
                          "changed; try again (and close any other program using the office file).")
    if any(m in low for m in _SAFE_MESSAGES):
        return DatabaseProblem(f"the office database refused the change ({text}); nothing was changed.")
    return DatabaseProblem(f"the office database reported an error ({type(exc).__name__}); nothing was "
                           "changed.")


# -- migrations -------------------------------------------------------------------------------
def migrations() -> list[tuple[int, str]]:
    """Ordered (version, sql) pairs from db/migrations/NNNN_name.sql."""
    folder = resources.files("mpoffice_tui.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return max(v for v, _ in migrations())


PY_STEP = "-- python:"  # a migration line naming a Python step (db/migration_steps.py) run at that point


def split_sql(script: str) -> list[str]:
    """Split a script into complete statements (triggers keep their inner semicolons); a line
    `-- python: NAME` between statements stays as it is, a step of its own."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith(PY_STEP) and not buf.strip():
            statements.append(line.strip())
            continue
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if dbapi.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements


def migrate(conn: dbapi.Connection) -> int:
    """Apply every migration newer than the file's user_version, each in one transaction (its Python
    steps too); VACUUM afterwards when a step freed much of the file (`migration_steps.Step.vacuum`)."""
    current = start = conn.execute("PRAGMA user_version").fetchone()[0]
    vacuum = False
    for version, sql in migrations():
        if version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in split_sql(sql):
                if statement.startswith(PY_STEP):
                    from mpoffice_tui.db import migration_steps  # (imports the ORM models: only when needed)

                    vacuum |= migration_steps.run(statement[len(PY_STEP):].strip(), conn)
                else:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        current = version
    if vacuum:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if current != start:
        optimize(conn)  # a migration may have added indexes or moved many rows
    return current


def optimize(conn: dbapi.Connection) -> None:
    """Bring the planner's statistics up to date where tables changed much (`PRAGMA optimize`, which
    analyses only such tables, each with a small sampling limit: milliseconds when nothing changed).

    Only sqlite_stat1 is kept: this SQLCipher build also writes sqlite_stat4 samples, which every new
    connection loads with the schema (opening took 1.5 ms instead of 0.5) while the plans we checked
    are the same without them."""
    conn.execute("PRAGMA optimize(0x10002)")
    drop_samples(conn)


def drop_samples(conn: dbapi.Connection) -> None:
    """Remove sqlite_stat4 (see `optimize`) when ANALYZE has written it."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'").fetchone():
        conn.execute("DROP TABLE sqlite_stat4")


# -- the open office -------------------------------------------------------------------------
@dataclass
class Unlocked:
    """Who opened the office and how."""

    slot_kind: str
    slot_label: str
    staff_id: str | None


class Office:
    """An open, unlocked office database: `session()`/`writing()` for ORM work, `engine` for Core SQL,
    `raw()` for plain DB-API reads (no SQLAlchemy import)."""

    def __init__(self, path: Path, data_key: bytes, slots: keys.KeySlots, unlocked: Unlocked,
                 lock: FileLock):
        self.path = path
        self.slots = slots
        self.unlocked = unlocked
        self._data_key = data_key
        self._lock = lock
        self._engine: Engine | None = None
        self._clock: HybridClock | None = None
        self._idle: list[dbapi.Connection] = []  # keyed connections made before the engine, reused by it
        self._made = threading.Lock()
        self._closed = False
        self._meta_cache: dict[str, str] = {}
        self._write_lock = threading.RLock()

    def _connection(self) -> dbapi.Connection:
        with self._made:
            if self._idle:
                return self._idle.pop()
        return connect_raw(self.path, self._data_key)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (a pool of keyed connections), made on first use."""
        if self._engine is None:
            engine = _make_engine(self._connection)
            with self._made:
                if self._engine is None:
                    self._engine = engine
        return self._engine

    @contextmanager
    def raw(self, snapshot: bool = True) -> Iterator[dbapi.Connection]:
        """A keyed DB-API connection for raw-SQL reads, in one read transaction (a consistent snapshot)
        unless `snapshot=False` (autocommit).

        It comes from the engine's pool once the engine exists; until then from the office's own idle
        connections, which the engine takes over when it is made."""
        if self._engine is not None:
            proxied = self._engine.raw_connection()
            conn = proxied.driver_connection
            release = proxied.close
        else:
            conn = self._connection()

            def release() -> None:
                with self._made:
                    self._idle.append(conn)
        try:
            if not snapshot:
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")
        finally:
            release()

    @property
    def clock(self) -> HybridClock:
        """This replica's hybrid logical clock (started from the newest op on first use, or from the newest
        op compaction deleted when that was later: `CLOCK_FLOOR`)."""
        if self._clock is None:
            with self.raw() as conn:
                row = conn.execute("SELECT max(coalesce((SELECT max(hlc) FROM ops), 0), coalesce((SELECT "
                                   "CAST(value AS INTEGER) FROM office_meta WHERE key = ?), 0))",
                                   (CLOCK_FLOOR,)).fetchone()
            with self._made:
                if self._clock is None:
                    self._clock = HybridClock(last=int(row[0] or 0))
        return self._clock

    @clock.setter
    def clock(self, value: HybridClock) -> None:
        self._clock = value

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        """One write transaction through the op-recording write path (serialised per process)."""
        from mpoffice_tui.db.writes import Writer

        with self._write_lock, self.session() as session:
            yield Writer(session, site=self.site_id, clock=self.clock, staff_id=self.staff_id)

    def optimize(self) -> None:
        """Refresh the planner's statistics where tables changed much (after a big import, on close)."""
        with self.raw(snapshot=False) as conn:
            optimize(conn)

    def set_meta(self, key: str, value: str) -> None:
        """Change a local (never synced) fact about this replica."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, ?)",
                                 (key, value))
        self._meta_cache[key] = value

    # meta --------------------------------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        if key not in self._meta_cache:
            with self.raw() as conn:
                row = conn.execute("SELECT value FROM office_meta WHERE key = ?", (key,)).fetchone()
            if row is None:
                return default
            self._meta_cache[key] = row[0]
        return self._meta_cache[key]

    @property
    def office_id(self) -> str:
        return self.slots.office_id

    @property
    def site_id(self) -> str:
        return self.meta("site_id") or ""

    @property
    def site_code(self) -> str:
        return self.meta("site_code") or "A"

    @property
    def name(self) -> str:
        return self.meta("office_name") or "Constituency office"

    @property
    def staff_id(self) -> str | None:
        return self.unlocked.staff_id

    def derive_key(self, info: bytes, length: int = 32) -> bytes:
        """A key for another purpose (sync bundles, enrolment) derived from the data key by HKDF."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        return HKDF(algorithm=hashes.SHA256(), length=length, salt=self.office_id.encode(),
                    info=info).derive(self._data_key)

    # sessions ----------------------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM session in one transaction: committed on success, rolled back on error."""
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read session; objects read stay usable (detached, loaded) after it closes."""
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def schema_version(self) -> int:
        with self.raw() as conn:
            return conn.execute("PRAGMA user_version").fetchone()[0]

    def integrity_check(self) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
            cipher = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
        problems += [r[0] for r in cipher]
        return problems

    def backup_to(self, target: Path) -> None:
        """An encrypted copy (same key) via the online backup API, plus the key-slot file."""
        target = Path(target)
        if target.exists():
            raise OfficeExists(f"{target}: already exists; choose a new file name for the backup.")
        target.parent.mkdir(parents=True, exist_ok=True)
        private_dir(target.parent)
        create_private(target)
        src = connect_raw(self.path, self._data_key)
        dst = dbapi.connect(str(target), isolation_level=None)
        try:
            dst.execute(_key_pragma(self._data_key))
            dst.execute("PRAGMA cipher_log_level = NONE")
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
            src.close()
        write_private(paths.keyslots_for(target), read_regular(paths.keyslots_for(self.path), keys.MAX_FILE_BYTES,
                                                                 "key-slot file"))

    def save_slots(self) -> None:
        """Write the key-slot file and publish its shareable slots to the other machines."""
        self.slots.save(paths.keyslots_for(self.path))
        self.publish_slots()

    def publish_slots(self) -> None:
        """Mirror passphrase and recovery slots into the synced `key_slots` table (keyring slots stay
        on this computer): new slots are inserted, removed ones tombstoned."""
        from sqlmodel import select

        from mpoffice_tui.db.models import KeySlotRecord

        shareable = {s.id: s for s in self.slots.slots if s.kind != "keyring"}
        with self.writing() as w:
            records = {r.slot_id: r for r in w.session.exec(select(KeySlotRecord)).all()}
            for slot_id, slot in shareable.items():
                record = records.get(slot_id)
                if record is None:
                    w.insert(KeySlotRecord, slot_id=slot_id, staff_id=slot.staff_id,
                             slot_json=json_dumps(slot.__dict__))
                elif record.deleted:
                    w.undelete(record)
            for slot_id, record in records.items():
                if slot_id not in shareable and not record.deleted:
                    w.delete(record)

    def reconcile_slots(self) -> bool:
        """Bring the key-slot file in line with the synced `key_slots` table (after a sync import):
        add slots created on other machines, drop slots removed there. Returns True if it changed."""
        from sqlmodel import select

        from mpoffice_tui.db.models import KeySlotRecord

        with self.read() as s:
            records = s.exec(select(KeySlotRecord)).all()
        present = {slot.id for slot in self.slots.slots}
        changed = False
        for record in records:
            if record.deleted and record.slot_id in present:
                self.slots.remove(record.slot_id)
                changed = True
            elif not record.deleted and record.slot_id not in present:
                try:
                    self.slots.slots.append(keys.Slot.from_dict(json.loads(record.slot_json)))
                    changed = True
                except (TypeError, ValueError):
                    continue
        if changed:
            self.slots.save(paths.keyslots_for(self.path))
        return changed

    @property
    def data_key(self) -> bytes:
        """The raw data key (only for adding key slots and deriving sync keys)."""
        return self._data_key

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.optimize()
        except dbapi.Error:  # statistics are an optimisation: a busy or read-only file closes all the same
            pass
        finally:
            if self._engine is not None:
                self._engine.dispose()
            with self._made:
                idle, self._idle = self._idle, []
            for conn in idle:
                conn.close()
            if self._lock.is_locked:
                self._lock.release()

    def __enter__(self) -> Office:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def real_path(path: Path | str) -> Path:
    """The file's real path (symlinks and `..` resolved), so one office has one lock and one key file."""
    return Path(os.path.realpath(path))


def _acquire_lock(path: Path) -> FileLock:
    lock = FileLock(str(paths.lock_for(real_path(path))), timeout=0, mode=0o600, thread_local=False,
                    is_singleton=False)
    try:
        lock.acquire()
    except Timeout as exc:
        raise OfficeInUse(f"{path}: this office is already open in another mpoffice window or "
                          "process. Close it there first.") from exc
    return lock


def _open_with(path: Path, slots: keys.KeySlots, data_key: bytes, slot: keys.Slot) -> Office:
    lock = _acquire_lock(path)
    try:
        conn = connect_raw(path, data_key, MIGRATION_CACHE_KIB)
        try:
            migrate(conn)
            row = conn.execute("SELECT value FROM office_meta WHERE key='office_id'").fetchone()
        finally:
            conn.close()
        if row is None or row[0] != slots.office_id:
            raise NotAnOffice(f"{path}: the key-slot file belongs to a different office.")
    except BaseException:
        lock.release()
        raise
    return Office(path, data_key, slots, Unlocked(slot.kind, slot.label, slot.staff_id), lock)


def check_files(path: Path) -> keys.KeySlots:
    """The office file and its key slots, checked before any key is tried (clear messages)."""
    path = real_path(path)
    if not path.exists():
        raise OfficeNotFound(f"{path}: no office here. Create one with `mpoffice init` (or "
                             "`mpoffice demo` to try the demo office).")
    problem = regular_problem(path)
    if problem is not None:
        raise NotAnOffice(f"{path}: not an office database ({problem}).")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise NotAnOffice(f"{path}: cannot read the office database ({exc.strerror or exc}).") from exc
    if head.startswith(b"SQLite format 3"):
        raise NotAnOffice(f"{path}: this is an unencrypted SQLite file, not an mpoffice office.")
    if len(head) < 16:
        raise NotAnOffice(f"{path}: the file is empty or too short to be an office database.")
    return keys.KeySlots.load(paths.keyslots_for(path))


def open_office(path: Path, passphrase: str | None = None, *, use_keyring: bool = True) -> Office:
    """Unlock an office with a passphrase or recovery code, or with this computer's keyring slot.

    Raises UnlockError subclasses with a clear message; the files are never changed on failure. After
    repeated wrong passphrases each try first waits a growing delay (`keys.FailedUnlocks`), and says so.
    """
    path = real_path(path)
    slots = check_files(path)
    if passphrase is None:
        if use_keyring:
            found = slots.unlock_with_keyring()
            if found:
                return _open_with(path, slots, *found)
        raise UnlockError("a passphrase is needed to unlock this office")
    failures = keys.FailedUnlocks(path)
    failures.wait()
    try:
        data_key, slot = slots.unlock_with_secret(passphrase)
    except WrongPassphrase as exc:
        raise WrongPassphrase(f"{exc}{failures.failed()}") from None
    failures.clear()
    return _open_with(path, slots, data_key, slot)


def try_keyring(path: Path) -> Office | None:
    """Open with the keyring if this computer remembers the office; None if it does not."""
    path = real_path(path)
    slots = check_files(path)
    found = slots.unlock_with_keyring()
    return _open_with(path, slots, *found) if found else None


@dataclass(frozen=True)
class Created:
    office: Office
    recovery_code: str


def create_office(path: Path, *, office_name: str, mp_name: str, staff_name: str, passphrase: str,
                  role: str = "manager") -> Created:
    """Create a new encrypted office with its first staff member, their passphrase slot and a
    recovery-code slot. Returns the open office and the recovery code (shown once)."""
    from mpoffice_tui.db import bootstrap
    from mpoffice_tui.db.models import Setting, Staff

    path = Path(path)
    slot_file = paths.keyslots_for(path)
    if path.exists() or slot_file.exists():
        raise OfficeExists(f"{path}: an office already exists here.")
    if not passphrase:
        raise OfficeError("a passphrase is required")
    private_dir(path.parent)
    data_key = keys.new_data_key()
    office_id = bootstrap.new_id()
    lock = _acquire_lock(path)
    office = None
    try:
        create_private(path)  # owner-only from the first byte; SQLite gives -wal and -shm the same mode
        conn = connect_raw(path, data_key)
        try:
            migrate(conn)
            bootstrap.write_meta(conn, office_id=office_id, office_name=office_name, mp_name=mp_name,
                                 created_at=utcnow())
        finally:
            conn.close()
        slots = keys.KeySlots(office_id=office_id)
        office = Office(path, data_key, slots, Unlocked("passphrase", staff_name, None), lock)
        with office.writing() as w:
            staff = w.insert(Staff, name=staff_name, role=role)
            w.insert(Setting, key="office_name", value=office_name)
            w.insert(Setting, key="mp_name", value=mp_name)
        office.unlocked = Unlocked("passphrase", staff_name, staff.id)
        with office.writing() as w:
            w.audit("office.create", target=f"staff:{staff.id}", detail=f"office created by {staff_name}")
        slots.add_secret_slot(data_key, passphrase, kind="passphrase", label=staff_name, staff_id=staff.id)
        code = keys.new_recovery_code()
        slots.add_secret_slot(data_key, code, kind="recovery", label="recovery code")
        office.save_slots()
    except BaseException:
        if office is not None and office._engine is not None:
            office._engine.dispose()
        lock.release()
        for leftover in (path, slot_file, path.with_name(path.name + "-wal"),
                         path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return Created(office, code)


def create_replica(path: Path, data_key: bytes, slots: keys.KeySlots, *, site_id: str, site_code: str,
                   office_name: str, mp_name: str) -> Office:
    """Create an empty replica of an existing office (sync join): a new SQLCipher file keyed with the
    office's data key, its own site id and code, and a copy of the office's key slots (so staff
    passphrases work here). Returns it open; the caller fills it from the inviter's ops."""
    from mpoffice_tui.db import bootstrap

    path = Path(path)
    slot_file = paths.keyslots_for(path)
    if path.exists() or slot_file.exists():
        raise OfficeExists(f"{path}: an office already exists here; choose a new file to join into.")
    private_dir(path.parent)
    lock = _acquire_lock(path)
    try:
        create_private(path)
        conn = connect_raw(path, data_key)
        try:
            migrate(conn)
            bootstrap.write_meta(conn, office_id=slots.office_id, office_name=office_name, mp_name=mp_name,
                                 site_id=site_id, site_code=site_code, created_at=utcnow())
        finally:
            conn.close()
        slots.save(slot_file)
    except BaseException:
        lock.release()
        for leftover in (path, slot_file, path.with_name(path.name + "-wal"),
                         path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return Office(path, data_key, slots, Unlocked("enrolment", "sync join", None), lock)


def write_snapshot(office: Office, target: Path, *, local_tables: Sequence[str], local_fts: Sequence[str],
                   keep_meta: Collection[str], meta: Mapping[str, str]) -> None:
    """A consistent copy of the office in the new owner-only file `target`, keyed alike (sync.enrol's
    snapshot): `VACUUM INTO` (one read transaction; pages copied, no temporary copy), then in the copy the
    local tables emptied with their freed pages zeroed (`secure_delete`), and office_meta reduced to the
    keys in `keep_meta` plus `meta`. Removes `target` if anything fails."""
    target = Path(target)
    create_private(target)  # VACUUM INTO writes into an empty file, which keeps its owner-only mode
    try:
        with office.raw(snapshot=False) as conn:
            conn.execute("VACUUM INTO ?", (str(target),))
        copy = connect_raw(target, office.data_key, SNAPSHOT_CACHE_KIB)
        try:
            copy.execute("PRAGMA journal_mode = DELETE")  # one file, nothing beside it
            copy.execute("PRAGMA secure_delete = ON")
            copy.execute("BEGIN IMMEDIATE")
            for name in local_tables:
                copy.execute(f'DELETE FROM "{name}"')
            for name in local_fts:  # (after its rows: their triggers keep it consistent; this drops its segments)
                copy.execute(f"INSERT INTO \"{name}\"(\"{name}\") VALUES ('delete-all')")
            keep = sorted(keep_meta)
            copy.execute(f"DELETE FROM office_meta WHERE key NOT IN ({', '.join('?' * len(keep))})", keep)
            copy.executemany("INSERT OR REPLACE INTO office_meta (key, value) VALUES (?, ?)", list(meta.items()))
            copy.execute("COMMIT")
        finally:
            copy.close()
    except BaseException:
        for leftover in (target, target.with_name(target.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise


class NewerOffice(OfficeError):
    """An office file written by a newer version of mpoffice than this one."""


def adopt_replica(path: Path, data_key: bytes, slots: keys.KeySlots, *, site_id: str) -> Office:
    """Open a snapshot written by `write_snapshot` (sync join) as this machine's replica: the key must fit,
    the office and the site must be the ones the enrolment names, and the schema no newer than this version
    knows (older is migrated). Saves the key slots beside it and returns it open."""
    path = Path(path)
    lock = _acquire_lock(path)
    try:
        conn = connect_raw(path, data_key, MIGRATION_CACHE_KIB)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > latest_version():
                raise NewerOffice(f"the office was sent by a newer mpoffice (schema {version}, this one knows "
                                  f"{latest_version()}); update mpoffice here, then join again")
            migrate(conn)
            found = dict(conn.execute("SELECT key, value FROM office_meta WHERE key IN ('office_id', 'site_id')"))
        finally:
            conn.close()
        if found.get("office_id") != slots.office_id or found.get("site_id") != site_id:
            raise NotAnOffice(f"{path}: the enrolment file does not hold the office it names.")
        slots.save(paths.keyslots_for(path))
    except BaseException:
        lock.release()
        raise
    return Office(path, data_key, slots, Unlocked("enrolment", "sync join", None), lock)


def discard_replica(office: Office) -> None:
    """Close and delete a replica whose join failed part-way (nothing else refers to it yet)."""
    path = office.path
    office.close()
    for leftover in (path, paths.keyslots_for(path), path.with_name(path.name + "-wal"),
                     path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)


def json_dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
