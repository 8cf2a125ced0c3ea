"""A deterministic synthetic constituency office, for `mpoffice demo`, the tests and the benchmarks.

    office = build(path, size="small", passphrase="demo office")   # the open Office

Everything is drawn from a seeded `random.Random` and dated relative to `DEMO_TODAY` (five years
back), never the wall clock, so two builds hold the same people, cases and references. Shared rows go
through the one write path (`Writer.insert_many`, one op per row, a few thousand rows a transaction);
electoral-register rows are local and go in with Core `executemany`.

The seat of Wexcombe and Brackley Moor is fictional: it spans Wexcombe Borough Council (postcodes
WX…) and Brackley Moor District Council (BY…), neither a real postcode area; phone numbers are from
Ofcom's drama ranges and email addresses use reserved example domains.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.header import Header
from email.utils import format_datetime, formataddr
from importlib import resources
from itertools import accumulate
from pathlib import Path
from typing import Any

from anyascii import anyascii

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office, create_office
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.models import (
    Appointment,
    Campaign,
    Case,
    CaseParty,
    Consent,
    Constituent,
    Contact,
    Letter,
    LetterTemplate,
    Message,
    Note,
    Staff,
    Surgery,
    Task,
)
from mpoffice_tui.services import settings
from mpoffice_tui.services.letters import starter_templates
from mpoffice_tui.services.refs import format_ref

DEMO_TODAY = date(2026, 11, 2)
DEMO_START = DEMO_TODAY - timedelta(days=5 * 365 + 1)
DEMO_PASSPHRASE = "demo office"
DEMO_SEED = 20261102
BATCH = 4000
BUILD_CACHE_KIB = 1024 * 1024  # the builder's page cache: a full office's indexes stay in memory while it writes

MP_NAME = "Helen Marchbanks"
SEAT = "Wexcombe and Brackley Moor"
OFFICE_NAME = f"Office of {MP_NAME} MP"
OFFICE_EMAIL = "helen.marchbanks.mp@parliament.uk"
OFFICE_ADDRESS = "Constituency Office\n14 Market Place\nWexcombe\nWX1 2HQ"  # the letterhead's address
OFFICE_PHONE = "01632 960 418"  # a drama number (Ofcom's range for fiction)
WESTMINSTER_ADDRESS = "House of Commons\nLondon\nSW1A 0AA"
LETTERHEAD_FOOTER = ("Helen Marchbanks MP · Member of Parliament for Wexcombe · Please quote our reference "
                     "in any reply")


@dataclass(frozen=True)
class Size:
    constituents: int
    cases: int
    messages: int
    electors: int


OUTBOX = 5  # emails on their way out (part of the size's messages)
SIZES = {
    "small": Size(constituents=200, cases=300, messages=2_000, electors=5_000),
    "full": Size(constituents=20_000, cases=50_000, messages=500_000, electors=110_000),
    "huge": Size(constituents=40_000, cases=100_000, messages=1_000_000, electors=220_000),  # twice full (bench)
}

def _as_written(value: object, depth: int = 0, in_list: bool = False) -> Any:
    """JSON lists back as the demo uses them: records (a list's items, a nested table's values) as tuples."""
    if isinstance(value, list):
        items = [_as_written(v, depth + 1, True) for v in value]
        return tuple(items) if in_list or depth > 1 else items
    if isinstance(value, dict):
        return {k: _as_written(v, depth + 1) for k, v in value.items()}
    return value


# The demo's words (names, streets, agencies, what constituents write, the office's letters) are data:
# data/demo/words.json, its "_notes" saying what each list is.
_WORDS = {name: _as_written(value) for name, value in json.loads(
    (resources.files("mpoffice_tui") / "data" / "demo" / "words.json").read_text(encoding="utf-8")).items()}
CATEGORIES = _WORDS["CATEGORIES"]
CATEGORY_WEIGHTS = _WORDS["CATEGORY_WEIGHTS"]
OUTCOMES = _WORDS["OUTCOMES"]
PRIORITIES = _WORDS["PRIORITIES"]
STAFF = _WORDS["STAFF"]
FEATURED = _WORDS["FEATURED"]
FEMALE = _WORDS["FEMALE"]
MALE = _WORDS["MALE"]
SURNAMES = _WORDS["SURNAMES"]
PREFERRED = _WORDS["PREFERRED"]
DOMAINS = _WORDS["DOMAINS"]
LANGUAGES = _WORDS["LANGUAGES"]
ACCESSIBILITY = _WORDS["ACCESSIBILITY"]
SAFETY = _WORDS["SAFETY"]
COUNCILS = _WORDS["COUNCILS"]
STREETS = _WORDS["STREETS"]
BLOCKS = _WORDS["BLOCKS"]
INWARD_LETTERS = _WORDS["INWARD_LETTERS"]
CONTACTS = _WORDS["CONTACTS"]
CATEGORY_CONTACT = _WORDS["CATEGORY_CONTACT"]
TITLES = _WORDS["TITLES"]
ASKS = _WORDS["ASKS"]
AGENCY_REPLIES = _WORDS["AGENCY_REPLIES"]
FOLLOW_UPS = _WORDS["FOLLOW_UPS"]
CALLS_IN = _WORDS["CALLS_IN"]
CALLS_OUT = _WORDS["CALLS_OUT"]
NOTE_TEXTS = _WORDS["NOTE_TEXTS"]
CONFIDENTIAL_NOTES = _WORDS["CONFIDENTIAL_NOTES"]
TASK_TITLES = _WORDS["TASK_TITLES"]
TAGS = _WORDS["TAGS"]
CAMPAIGN_NAME = _WORDS["CAMPAIGN_NAME"]
CAMPAIGN_SUBJECT = _WORDS["CAMPAIGN_SUBJECT"]
CAMPAIGN_TEXT = _WORDS["CAMPAIGN_TEXT"]
CAMPAIGN_EXTRA = _WORDS["CAMPAIGN_EXTRA"]
TEMPLATES = _WORDS["TEMPLATES"]


# -- helpers -----------------------------------------------------------------------------------------
def letterhead_images() -> tuple[bytes, bytes]:
    """(logo, signature) as PNG bytes, drawn the same way every time: a portcullis-like emblem with the
    constituency's name, and a handwritten-looking signature line."""
    import io
    import math
    from importlib import resources

    from PIL import Image, ImageDraw, ImageFont

    fonts = resources.files("mpoffice_tui") / "data" / "fonts"
    bold = ImageFont.truetype(str(fonts / "DejaVuSans-Bold.ttf"), 30)
    plain = ImageFont.truetype(str(fonts / "DejaVuSans.ttf"), 19)
    logo = Image.new("RGB", (620, 130), "white")
    d = ImageDraw.Draw(logo)
    green = (0, 98, 65)
    d.rectangle((10, 10, 105, 120), outline=green, width=7)
    for x in range(28, 100, 18):  # the gate's bars
        d.line((x, 16, x, 114), fill=green, width=6)
    for y in (44, 80):
        d.line((14, y, 101, y), fill=green, width=6)
    d.text((128, 28), "HELEN MARCHBANKS MP", font=bold, fill=green)
    d.text((130, 76), "Member of Parliament for Wexcombe", font=plain, fill=(60, 60, 60))
    signature = Image.new("RGBA", (420, 110), (255, 255, 255, 0))
    s = ImageDraw.Draw(signature)
    ink = (20, 30, 110, 255)
    points = [(15 + t * 3.6, 58 - 26 * math.sin(t / 5.5) * math.exp(-t / 90) + 6 * math.sin(t / 1.7))
              for t in range(105)]
    s.line(points, fill=ink, width=4, joint="curve")
    s.line((30, 96, 390, 84), fill=ink, width=3)
    out = []
    for image in (logo, signature):
        buf = io.BytesIO()
        image.save(buf, "PNG", optimize=True)
        out.append(buf.getvalue())
    return out[0], out[1]



def _stamp(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _at(rng: random.Random, day: date) -> datetime:
    """A working-hours moment on a day (UTC)."""
    return datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59),
                    rng.randint(0, 59), tzinfo=timezone.utc)


def _working(rng: random.Random, when: datetime) -> datetime:
    """The same day (or the Monday after a weekend) at a random time in office hours."""
    day = when.date()
    if day.weekday() >= 5:
        day += timedelta(days=7 - day.weekday())
    return _at(rng, day)


def _postcode(rng: random.Random, outward: str) -> str:
    return f"{outward} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _fold(text: str) -> str:
    return " ".join(anyascii(text).lower().replace("'", "").split())


def _email_for(rng: random.Random, forename: str, surname: str) -> str:
    local = _fold(forename).replace(" ", "") + rng.choice([".", "_", ""]) + \
        _fold(surname).replace(" ", "").replace("-", "")
    if rng.random() < 0.4:
        local += str(rng.randint(1, 99))
    return f"{local}@{rng.choice(DOMAINS)}"


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return f"07700 900{rng.randint(0, 999):03d}"
    return f"01632 960{rng.randint(700, 999):03d}"


def _chunks(rows: Iterable[dict], size: int = BATCH) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(office: Office, model, rows: Iterable[dict], batch_size: int = BATCH) -> int:
    """Insert shared rows through the write path, a batch per transaction."""
    n = 0
    for batch in _chunks(rows, batch_size):
        with office.writing() as w:
            w.raw.exec_driver_sql(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
            for row in batch:  # a message's original is kept as a blob, named by its hash
                if "raw" in row:
                    raw = row.pop("raw")
                    row["raw_hash"] = blobs.put(w, raw) if raw is not None else None
            w.insert_many(model, batch)
        n += len(batch)
    return n


@contextmanager
def _bulk_load(office: Office, table: str, fts: str) -> Iterator[None]:
    """Write many rows into `table` with its secondary indexes and full-text trigger set aside, then build
    them once, sorted: at full size, keeping seven indexes on random keys in order row by row made the
    messages phase hours long (the same schema after, from the migrations' own SQL)."""
    with office.writing() as w:
        found = w.raw.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL "
            "AND (type = 'index' OR (type = 'trigger' AND name LIKE ?))", (table, f"{fts}_%")).fetchall()
        for kind, name, _sql in found:
            w.raw.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    try:
        yield
    finally:
        with office.writing() as w:
            w.raw.exec_driver_sql(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
            for _kind, _name, sql in found:
                w.raw.exec_driver_sql(sql)
            w.raw.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _raw_email(sender: str, sender_email: str, to: str, subject: str, when: datetime, msgid: str,
               in_reply_to: str | None, body: str) -> bytes:
    """A small RFC 5322 message (UTF-8 8bit body, encoded words in headers where needed)."""
    subj = subject if subject.isascii() else Header(subject, "utf-8").encode()
    head = [f"From: {formataddr((sender, sender_email))}", f"To: {to}", f"Subject: {subj}",
            f"Date: {format_datetime(when)}", f"Message-ID: {msgid}"]
    if in_reply_to:
        head += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
             "Content-Transfer-Encoding: 8bit"]
    return ("\r\n".join(head) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode("utf-8")


# -- the builder -------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, office: Office, size: Size, seed: int):
        self.office = office
        self.size = size
        self.rng = random.Random(seed)
        self.site_code = office.site_code
        self.msg_seq = 0

    # staff, contacts, templates -------------------------------------------------------------------
    def staff(self) -> None:
        with self.office.read() as s:
            me = s.get(Staff, self.office.staff_id)
        rows = [{"name": n, "role": r, "email": e, "pass_holder": r != "volunteer",
                 "created_at": _stamp(_at(self.rng, DEMO_START))} for n, r, e in STAFF[1:]]
        with self.office.writing() as w:
            w.update(me, email=STAFF[0][2])
            w.insert_many(Staff, rows)
        with self.office.engine.connect() as conn:
            by_name = dict(conn.exec_driver_sql("SELECT name, id FROM staff").fetchall())
        self.staff_names = {v: k for k, v in by_name.items()}
        self.staff_ids = [by_name[n] for n, _, _ in STAFF]
        self.mp_id = by_name[MP_NAME]
        self.caseworkers = [by_name[n] for n, r, _ in STAFF if r in ("caseworker", "manager")]
        self.volunteer = by_name["Ollie Brennan"]

    def contacts(self) -> None:
        rows = []
        for org, dept, kind, email, phone, route, days in CONTACTS:
            rows.append({"id": new_id(), "organisation": org, "department": dept, "kind": kind,
                         "email": email, "phone": phone, "preferred_route": route, "reply_days": days,
                         "address": f"{dept}, {org}", "created_at": _stamp(_at(self.rng, DEMO_START))})
        _write(self.office, Contact, rows)
        self.contact_rows = rows

    def templates(self) -> None:
        rows = [{"id": new_id(), "name": n, "kind": k, "subject": s, "body": b,
                 "created_at": _stamp(_at(self.rng, DEMO_START))} for n, k, s, b in TEMPLATES]
        rows += [{**t, "id": new_id(), "created_at": f"{DEMO_START.isoformat()}T09:00:00.000000Z"}  # no rng draw
                 for t in starter_templates() if t["kind"] == "campaign"]
        _write(self.office, LetterTemplate, rows)
        self.template_rows = rows

    # the register --------------------------------------------------------------------------------
    def register(self) -> None:
        """Households of electors in both councils; local rows, inserted with Core executemany."""
        rng = self.rng
        self.households: list[dict] = []
        electors: list[tuple] = []
        publications = []
        share = [0.58, 0.42]
        uprn = 100_010_000_000
        for (council, info), part in zip(COUNCILS.items(), share, strict=True):
            pub_id = new_id()
            publications.append((pub_id, council, info))
            target = int(self.size.electors * part)
            pd_count = max(4, target // 900)
            pds = [f"{info['pd']}{chr(65 + i // 9)}{i % 9 + 1}" for i in range(pd_count)]
            eno = dict.fromkeys(pds, 0)
            towns = list(info["towns"].items())
            streets: list[tuple[str, str, str, str]] = []  # street, town, postcode, pd
            made = 0
            while made < target:
                if not streets or rng.random() < 0.04:
                    town, outwards = rng.choice(towns)
                    street = rng.choice(STREETS)
                    streets.append((street, town, _postcode(rng, rng.choice(outwards)), rng.choice(pds)))
                street, town, postcode, pd = streets[-1] if rng.random() < 0.85 else rng.choice(streets)
                uprn += rng.randint(1, 40)
                if rng.random() < 0.12:
                    line1 = f"Flat {rng.randint(1, 40)}, {rng.choice(BLOCKS)}"
                    line2 = f"{rng.randint(1, 200)} {street}"
                else:
                    line1, line2 = f"{rng.randint(1, 240)} {street}", None
                address = ", ".join(x for x in (line1, line2, town) if x)
                house = {"address1": line1, "address2": line2, "town": town, "postcode": postcode,
                         "council": council, "people": []}
                surname = rng.choice(SURNAMES)
                for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
                    female = rng.random() < 0.52
                    forename = rng.choice(FEMALE if female else MALE)
                    sname = surname if rng.random() < 0.8 else rng.choice(SURNAMES)
                    eno[pd] += 1
                    suffix = 1 if rng.random() < 0.01 else 0
                    marker, attain = "", None
                    roll = rng.random()
                    if roll < 0.02:
                        marker = "F"
                        attain = (DEMO_TODAY + timedelta(days=rng.randint(1, 330))).isoformat()
                    elif roll < 0.06:
                        marker = "G"
                    elif roll < 0.08:
                        marker = "K"
                    key = f"{info['code']}|{pd}|{eno[pd]}|{suffix}"
                    person = {"forename": forename, "surname": sname, "elector_key": key,
                              "title": rng.choice(("Ms", "Mrs", "Miss")) if female else "Mr"}
                    house["people"].append(person)
                    electors.append((new_id(), pub_id, key, pd, eno[pd], suffix, marker,
                                     person["title"] if rng.random() < 0.3 else None, forename, sname,
                                     attain, rng.random() < 0.35, address, postcode, str(uprn),
                                     _fold(f"{forename} {sname}")))
                    made += 1
                self.households.append(house)
            publications[-1] = (pub_id, council, info, made)
        with self.office.engine.begin() as conn:
            for pub_id, council, _info, made in publications:
                slug = council.split()[0].lower()
                conn.exec_driver_sql(
                    "INSERT INTO register_publication (id, council, source_file, format, published_on, "
                    "imported_at, rows, current) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
                    (pub_id, council, f"{slug}_register_2026-10-01.csv", "xpress_csv", "2026-10-01",
                     "2026-10-05T09:30:00.000000Z", made))
            for start in range(0, len(electors), 20_000):
                conn.exec_driver_sql(
                    "INSERT INTO electors (id, publication_id, elector_key, pd, eno, suffix, markers, "
                    "title, forename, surname, attainment_date, open_register_optout, address, postcode, "
                    "uprn, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    electors[start:start + 20_000])

    # constituents --------------------------------------------------------------------------------
    def constituents(self) -> None:
        rng = self.rng
        rows = []
        pairs = [(h, p) for h in self.households for p in h["people"]]
        linked = rng.sample(pairs, min(len(pairs), (self.size.constituents + 1) // 2))
        for i in range(self.size.constituents):
            on_register = i % 2 == 0 and i // 2 < len(linked)
            if on_register:
                house, person = linked[i // 2]
                title, forenames, surname = person["title"], person["forename"], person["surname"]
                key = person["elector_key"]
            else:  # not on the register (new arrival, not registered, or a non-resident)
                house = rng.choice(self.households)
                female = rng.random() < 0.52
                title = rng.choice(("Ms", "Mrs", "Miss", "Dr")) if female else rng.choice(("Mr", "Mr", "Dr"))
                forenames, surname, key = rng.choice(FEMALE if female else MALE), rng.choice(SURNAMES), None
                if house["address2"] is None and rng.random() < 0.5:  # another house on the street
                    house = dict(house, address1=f"{rng.randint(241, 400)} "
                                 f"{house['address1'].split(' ', 1)[1]}")
            if i < len(FEATURED):
                title, forenames, surname, _ = FEATURED[i]
            preferred = PREFERRED.get(forenames) if rng.random() < 0.5 else None
            if i < len(FEATURED):
                preferred = FEATURED[i][3]
            first_seen = DEMO_START + timedelta(days=rng.randint(0, 1700))
            row = {
                "id": new_id(), "title": title, "forenames": forenames, "surname": surname,
                "preferred_name": preferred,
                "email": _email_for(rng, forenames, surname) if rng.random() < 0.8 else None,
                "phone": _phone(rng) if rng.random() < 0.75 else None,
                "address1": house["address1"], "address2": house["address2"], "town": house["town"],
                "postcode": house["postcode"],
                "date_of_birth": (date(1935, 1, 1) + timedelta(days=rng.randint(0, 26000))).isoformat()
                if rng.random() < 0.3 else None,
                "elector_key": key,
                "safety_caution": False, "vulnerable": rng.random() < 0.08,
                "interpreter_language": rng.choice(LANGUAGES) if rng.random() < 0.05 else None,
                "accessibility": rng.choice(ACCESSIBILITY) if rng.random() < 0.04 else None,
                "created_at": _stamp(_at(rng, first_seen)),
            }
            rows.append(row)
        for row in rng.sample(rows[len(FEATURED):], max(3, len(rows) // 60)):
            row["safety_caution"] = True
            row["safety_details"] = rng.choice(SAFETY)
        rows[4]["interpreter_language"] = "Yoruba"
        rows[3]["interpreter_language"] = "Polish"
        # the featured people who are on the register: their elector rows carry their names
        with self.office.engine.begin() as conn:
            for row in rows[:len(FEATURED)]:
                if row["elector_key"]:
                    conn.exec_driver_sql(
                        "UPDATE electors SET forename = ?, surname = ?, name_key = ? WHERE elector_key = ?",
                        (row["forenames"], row["surname"], _fold(f"{row['forenames']} {row['surname']}"),
                         row["elector_key"]))
        self.constituent_rows = rows  # written by cases(), once their first contact is known

    # cases ---------------------------------------------------------------------------------------
    def cases(self) -> None:
        rng = self.rng
        n = self.size.cases
        span = (DEMO_TODAY - DEMO_START).days
        # more recent casework than old: opened days drawn with a gentle skew to the present
        opened = sorted(_working(rng, datetime.combine(DEMO_START, datetime.min.time(), timezone.utc)
                                 + timedelta(days=int(span * rng.random() ** 0.5))) for _ in range(n))
        weights = [3 if i < len(FEATURED) else (2 if rng.random() < 0.2 else 1)
                   for i in range(len(self.constituent_rows))]
        cum_weights = list(accumulate(weights))  # once: `choices(rows, weights)` sums them on every call
        featured = {n - 1 - 4 * k: k for k in range(len(FEATURED))}  # recent cases for the featured people
        rows = []
        for i, opened_at in enumerate(opened, start=1):
            day = opened_at.date()
            category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
            who = rng.choices(self.constituent_rows, cum_weights=cum_weights)[0]
            if i - 1 in featured and n > 4 * len(FEATURED):
                who = self.constituent_rows[featured[i - 1]]
            age = (DEMO_TODAY - day).days
            closed_p = 0.95 if age > 365 else 0.75 if age > 180 else 0.45 if age > 60 else 0.1
            status = "closed" if rng.random() < closed_p else rng.choices(
                ["open", "awaiting_constituent", "awaiting_third_party"], [5, 2, 4])[0]
            if age < 8 and rng.random() < 0.7:
                status = "new"
            closed_at = None
            if status == "closed":
                closed_at = _working(rng, opened_at + timedelta(days=rng.randint(3, max(4, min(age, 150)))))
                closed_at = max(opened_at + timedelta(hours=1),
                                min(closed_at, _at(rng, DEMO_TODAY - timedelta(days=3))))
            review = None
            if status != "closed":
                review = (DEMO_TODAY + timedelta(days=rng.randint(-20, 30))).isoformat()
            awaiting = None
            if status.startswith("awaiting"):
                awaiting = (DEMO_TODAY - timedelta(days=rng.randint(1, min(max(age, 1), 40)))).isoformat()
            tags = sorted(set(rng.sample(TAGS, rng.choice((0, 0, 0, 1, 1, 2)))))
            if who["vulnerable"] and rng.random() < 0.5:
                tags = sorted(set(tags) | {"safeguarding"})
            rows.append({
                "id": new_id(), "ref": format_ref(self.site_code, i),
                "title": rng.choice(TITLES[category]), "category": category, "status": status,
                "outcome": rng.choice(OUTCOMES) if status == "closed" else None,
                "priority": rng.choice(PRIORITIES),
                "assignee_id": rng.choice(self.caseworkers) if status != "new" or rng.random() < 0.3
                else None,
                "constituent_id": who["id"], "opened_at": _stamp(opened_at),
                "closed_at": _stamp(closed_at) if closed_at else None, "review_date": review,
                "awaiting_since": awaiting, "confidential": rng.random() < 0.04, "tags": ",".join(tags),
                "created_at": _stamp(opened_at),
            })
            rows[-1]["_who"] = who
            rows[-1]["_opened"] = opened_at
        self.case_rows = rows
        for row in rows:  # a constituent is on file from their first case at the latest
            who = row["_who"]
            who["created_at"] = min(who["created_at"], row["created_at"])
        _write(self.office, Constituent, self.constituent_rows)
        _write(self.office, Case, ({k: v for k, v in r.items() if not k.startswith("_")} for r in rows))

    def case_extras(self) -> None:
        """Parties, consents, notes, tasks and letters on the cases."""
        rng = self.rng
        parties, consents, notes, tasks, letters = [], [], [], [], []
        for case in self.case_rows:
            opened = case["_opened"]
            who = case["_who"]
            contact = self.contact_rows[rng.choice(CATEGORY_CONTACT[case["category"]])]
            case["_contact"] = contact
            contacted = opened + timedelta(days=rng.randint(1, 6))
            if case["status"] != "new":
                parties.append({"case_id": case["id"], "contact_id": contact["id"], "role": "agency",
                                "contacted_on": contacted.date().isoformat(),
                                "reply_due": (contacted + timedelta(days=contact["reply_days"] * 7 // 5))
                                .date().isoformat(), "created_at": _stamp(contacted)})
            consents.append({"constituent_id": who["id"], "case_id": case["id"],
                             "kind": "written" if rng.random() < 0.35 else "implied",
                             "given_by": f"{who['forenames']} {who['surname']}",
                             "given_on": opened.date().isoformat(), "created_at": _stamp(opened)})
            for k in range(rng.choice((0, 1, 1, 2, 3))):
                at = opened + timedelta(days=k * 7 + rng.randint(0, 6), minutes=rng.randint(1, 300))
                confidential = rng.random() < 0.06
                notes.append({"case_id": case["id"], "author_id": rng.choice(self.caseworkers),
                              "body": rng.choice(CONFIDENTIAL_NOTES if confidential else NOTE_TEXTS),
                              "confidential": confidential, "kind": "note", "created_at": _stamp(at)})
            if case["status"] != "closed" and case["status"] != "new":
                for _ in range(rng.choice((1, 1, 2))):
                    due = DEMO_TODAY + timedelta(days=rng.randint(-15, 21))
                    tasks.append({"case_id": case["id"], "title": rng.choice(TASK_TITLES),
                                  "due_date": due.isoformat(), "assignee_id": case["assignee_id"],
                                  "done": False, "created_at": _stamp(opened)})
            elif case["status"] == "closed" and rng.random() < 0.3:
                tasks.append({"case_id": case["id"], "title": rng.choice(TASK_TITLES),
                              "due_date": (opened + timedelta(days=14)).date().isoformat(),
                              "assignee_id": case["assignee_id"], "done": True,
                              "done_at": _stamp(opened + timedelta(days=rng.randint(2, 14))),
                              "created_at": _stamp(opened)})
            if case["status"] != "new" and rng.random() < 0.3:
                tpl = self.template_rows[1]
                name = f"{who['title'] or ''} {who['forenames']} {who['surname']}".strip()
                body = tpl["body"].format(
                    constituent_name=name, salutation="Dear Sir or Madam", sign_off="Yours faithfully",
                    constituent_address_line=f"{who['address1']}, {who['town']}, {who['postcode']}",
                    case_ref=case["ref"], mp_name=f"{MP_NAME} MP")
                letters.append({"case_id": case["id"], "template_id": tpl["id"],
                                "recipient_contact_id": contact["id"],
                                "recipient_name": f"{contact['department']}, {contact['organisation']}",
                                "subject": f"{name}: {case['title']} (our ref {case['ref']})", "body_text": body,
                                "author_id": case["assignee_id"] or self.caseworkers[0],
                                "sent_on": contacted.date().isoformat(), "created_at": _stamp(contacted)})
        _write(self.office, CaseParty, parties)
        _write(self.office, Consent, consents)
        _write(self.office, Note, notes)
        _write(self.office, Task, tasks)
        _write(self.office, Letter, letters)

    # messages ------------------------------------------------------------------------------------
    def _msgid(self, when: datetime, domain: str) -> str:
        self.msg_seq += 1
        return f"<{when.strftime('%Y%m%d%H%M%S')}.{self.msg_seq:07d}@{domain}>"

    def _message(self, *, channel: str, direction: str, when: datetime, sender_name: str,
                 sender_email: str | None, subject: str, body: str, triage: str, case_id: str | None,
                 constituent_id: str | None, in_reply_to: str | None = None, author_id: str | None = None,
                 recipients: str | None = None, **extra) -> dict:
        msgid = raw = None
        if channel == "email":
            domain = (sender_email or "x@parliament.uk").rsplit("@", 1)[1]
            msgid = self._msgid(when, domain)
            raw = _raw_email(sender_name, sender_email or "", recipients or OFFICE_EMAIL, subject, when,
                             msgid, in_reply_to, body)
        row = {"channel": channel, "direction": direction, "sender_name": sender_name,
               "sender_email": sender_email, "recipients": recipients or (OFFICE_EMAIL if direction == "in" and
                                                                          channel == "email" else None),
               "subject": subject, "body_text": body, "received_at": _stamp(when), "raw": raw,
               "message_id_header": msgid, "in_reply_to": in_reply_to,
               "references_header": in_reply_to, "triage": triage, "case_id": case_id,
               "constituent_id": constituent_id, "author_id": author_id,
               "content_hash": _hash(channel, sender_email or sender_name, subject, body, _stamp(when)),
               "created_at": _stamp(when), "source": "demo" if channel == "email" else None}
        row.update(extra)
        return row

    def _case_thread(self, case: dict, count: int) -> Iterator[dict]:
        """The messages of one case, in order: first contact, acknowledgement, the agency's reply, the
        reply passed on, then follow-ups, calls and chasers; a closing message on closed cases."""
        rng = self.rng
        who = case["_who"]
        contact = case.get("_contact") or self.contact_rows[0]
        name = f"{who['forenames']} {who['surname']}"
        salutation = f"{who['title']} {who['surname']}" if who["title"] else name
        org = contact["organisation"]
        ref, title, cid = case["ref"], case["title"], case["id"]
        worker = case["assignee_id"] or self.caseworkers[0]
        start = case["_opened"]
        closed = case["closed_at"]
        end = datetime.fromisoformat(closed.replace("Z", "+00:00")) if closed else _at(rng, DEMO_TODAY)
        times = sorted(max(_working(rng, start + (end - start) * rng.random()), start + timedelta(minutes=9))
                       for _ in range(count - 1))
        recent = DEMO_TODAY - timedelta(days=7)

        def lane(when: datetime) -> str:
            return "auto_filed" if when.date() > recent else "done"

        first_channel = rng.choices(["email", "letter", "phone", "walk_in", "surgery"], [60, 8, 18, 6, 8])[0]
        if who["email"] is None and first_channel == "email":
            first_channel = "phone"
        ask = ASKS[case["category"]]
        if first_channel in ("email", "letter"):
            body = (f"Dear Ms Marchbanks,\n\nI am writing about {title.lower()}. {ask}\n\n"
                    f"Please can you help?\n\nKind regards,\n{name}\n{who['address1']}, {who['town']} "
                    f"{who['postcode']}")
        else:
            verb = {"phone": "rang", "walk_in": "called in at the office", "surgery": "came to the surgery"}
            body = f"{name} {verb[first_channel]} about {title.lower()}. In their words: \"{ask}\""
        yield self._message(
            channel=first_channel, direction="in", when=start, sender_name=name,
            sender_email=who["email"] if first_channel == "email" else None,
            subject=title if first_channel in ("email", "letter") else f"{first_channel.replace('_', '-')}: {title}",
            body=body, triage="done", case_id=cid,  # it opened the case: filed by hand, never auto-filed
            constituent_id=who["id"], author_id=None if first_channel == "email" else worker)
        last_in = None
        for k, when in enumerate(times, start=1):
            step = k if k <= 3 else rng.choice((4, 4, 5, 5, 6, 7))
            if closed and k == len(times) and k >= 3:
                step = 8
            by_email = who["email"] is not None and rng.random() < 0.85
            to_them = {"channel": "email" if by_email else "letter", "direction": "out",
                       "sender_name": f"{MP_NAME} MP", "sender_email": OFFICE_EMAIL if by_email else None,
                       "recipients": who["email"] if by_email else name, "triage": "sent",
                       "in_reply_to": last_in if by_email else None, "author_id": worker,
                       "subject": f"Re: {title} [{ref}]"}
            if step == 1:
                msg = self._message(**to_them, when=when, body=(
                    f"Dear {salutation},\n\nThank you for contacting me about {title.lower()}. I have written "
                    f"to {org} on your behalf and will let you know as soon as I hear back. Your reference "
                    f"is {ref}.\n\nYours sincerely,\n\n{MP_NAME} MP"), case_id=cid, constituent_id=who["id"])
            elif step in (2, 6):
                channel = "email" if contact["preferred_route"] != "letter" and rng.random() < 0.75 else "letter"
                msg = self._message(
                    channel=channel, direction="in", when=when, sender_name=f"{contact['department']}, {org}",
                    sender_email=contact["email"] if channel == "email" else None,
                    subject=f"Your ref {ref}: {name}", triage=lane(when), case_id=cid, constituent_id=who["id"],
                    suggestion_reason=f"case reference {ref} quoted in the subject",
                    body=(f"Dear Ms Marchbanks,\n\nYour ref: {ref}\n\n"
                          f"{rng.choice(AGENCY_REPLIES).format(name=name)}\n\nYours sincerely,\n\n"
                          f"{contact['department']}\n{org}"))
            elif step == 3:
                msg = self._message(**to_them, when=when, body=(
                    f"Dear {salutation},\n\nI have now had a reply from {org} about your case, and I "
                    f"enclose a copy. Please let me know if there is anything in it you would like me to "
                    f"take up further.\n\nYours sincerely,\n\n{MP_NAME} MP"), case_id=cid,
                    constituent_id=who["id"])
            elif step == 4 and who["email"]:
                msg = self._message(
                    channel="email", direction="in", when=when, sender_name=name, sender_email=who["email"],
                    subject=f"Re: {title} [{ref}]", triage=lane(when), case_id=cid, constituent_id=who["id"],
                    suggestion_reason=f"case reference {ref} quoted in the subject", in_reply_to=None, body=(f"Dear Ms Marchbanks,\n\nThank you for your help so far. "
                                            f"{rng.choice(FOLLOW_UPS)}\n\nRegards,\n{who['forenames']}"))
                last_in = msg["message_id_header"]
            elif step == 7:
                msg = self._message(
                    channel="email", direction="out", when=when, sender_name=f"{MP_NAME} MP",
                    sender_email=OFFICE_EMAIL, recipients=contact["email"], triage="sent", author_id=worker,
                    subject=f"Chaser: {name} [{ref}]", case_id=cid, constituent_id=who["id"],
                    body=(f"Dear colleague,\n\nI wrote to you on behalf of {name} about {title.lower()} and "
                          f"have not yet had a reply. I would be grateful for an update.\n\nMy reference is "
                          f"{ref}.\n\n{MP_NAME} MP"))
            elif step == 8:
                msg = self._message(**to_them, when=when, body=(
                    f"Dear {salutation},\n\nI am glad this matter has now been settled, and I will close "
                    f"your case ({ref}). Please do get in touch again if I can help in future.\n\n"
                    f"Yours sincerely,\n\n{MP_NAME} MP"), case_id=cid, constituent_id=who["id"])
            else:  # a call, either way
                direction = rng.choice(("in", "out"))
                staff = self.staff_names.get(worker, "Caseworker")
                msg = self._message(
                    channel="phone", direction=direction, when=when,
                    sender_name=name if direction == "in" else staff, sender_email=None,
                    recipients=None if direction == "in" else name, subject=f"Call: {title}",
                    body=rng.choice(CALLS_IN if direction == "in" else CALLS_OUT).format(
                        name=who["forenames"], org=org), triage="done",
                    case_id=cid, constituent_id=who["id"], author_id=worker)
            yield msg

    def _inbox(self, n_new: int, n_suggested: int, n_ignored: int) -> Iterator[dict]:
        """Unfiled mail in the inbox lanes: new, suggested, ignored."""
        rng = self.rng
        open_cases = [c for c in self.case_rows if c["status"] != "closed"] or self.case_rows
        for i in range(n_new):
            when = _at(rng, DEMO_TODAY - timedelta(days=rng.choice((0, 0, 1, 1, 2, 3, 4, 6, 9))))
            female = rng.random() < 0.5
            fore, sur = rng.choice(FEMALE if female else MALE), rng.choice(SURNAMES)
            category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
            title = rng.choice(TITLES[category])
            if i % 7 == 3:
                who = rng.choice(self.constituent_rows)
                fore, sur = who["forenames"], who["surname"]
            yield self._message(
                channel="email", direction="in", when=when, sender_name=f"{fore} {sur}",
                sender_email=_email_for(rng, fore, sur), subject=title,
                body=f"Dear Helen,\n\n{ASKS[category]}\n\nThis is about {title.lower()}.\n\n{fore} {sur}\n"
                     f"{rng.randint(1, 200)} {rng.choice(STREETS)}, Wexcombe",
                triage="new", case_id=None, constituent_id=None)
        for _ in range(n_suggested):
            case = rng.choice(open_cases)
            who = case["_who"]
            name = f"{who['forenames']} {who['surname']}"
            when = _at(rng, DEMO_TODAY - timedelta(days=rng.choice((0, 1, 2, 3))))
            quote_ref = rng.random() < 0.4
            reason = (f"quotes {case['ref']}" if quote_ref else
                      f"sender matches constituent {name}; 1 open case")
            yield self._message(
                channel="email", direction="in", when=when, sender_name=name,
                sender_email=who["email"] or _email_for(rng, who["forenames"], who["surname"]),
                subject=f"Update on my {case['category'].lower()} problem" +
                        (f" ({case['ref']})" if quote_ref else ""),
                body=f"Hello,\n\nJust to let you know I had a phone call from them yesterday but still no "
                     f"decision.\n\nThanks,\n{who['forenames']}",
                triage="suggested", case_id=None, constituent_id=None, suggested_case_id=case["id"],
                suggested_constituent_id=who["id"], suggestion_reason=reason)
        senders = [("Wexcombe Chamber of Commerce", "news@wexcombe-chamber.example",
                    "Business breakfast: save the date"),
                   ("Parliamentary Digital Service", "noreply@parliament.example", "Scheduled maintenance"),
                   ("Local Gazette", "newsletter@gazette.example", "This week in Wexcombe"),
                   ("Prize Department", "winner@prizes.example", "You have WON a £500 voucher!!!")]
        for _ in range(n_ignored):
            sender, addr, subject = rng.choice(senders)
            when = _at(rng, DEMO_TODAY - timedelta(days=rng.randint(0, 40)))
            yield self._message(channel="email", direction="in", when=when, sender_name=sender,
                                sender_email=addr, subject=subject,
                                body=f"{subject}.\n\nTo unsubscribe reply STOP.", triage="ignored",
                                case_id=None, constituent_id=None)

    def _campaign(self, campaign_id: str, count: int = 40) -> Iterator[dict]:
        rng = self.rng
        real = count // 3
        for i in range(count):
            if i % 2 == 0:
                who = rng.choice(self.constituent_rows)
                fore, sur, cid = who["forenames"], who["surname"], None
                email = who["email"] or _email_for(rng, fore, sur)
            else:
                female = rng.random() < 0.5
                fore, sur = rng.choice(FEMALE if female else MALE), rng.choice(SURNAMES)
                email = _email_for(rng, fore, sur)
                cid = None
            town = rng.choice(("Wexcombe", "Sallowfield", "Brackley", "Coldharbour", "Eastmoor"))
            body = CAMPAIGN_TEXT + f"{fore} {sur}\n{rng.randint(1, 200)} {rng.choice(STREETS)}, {town}\n"
            flags = ""
            if i == real:
                body = body + CAMPAIGN_EXTRA
                flags = "differs_from_campaign"
            when = _at(rng, DEMO_TODAY - timedelta(days=rng.randint(0, 5)))
            yield self._message(channel="email", direction="in", when=when, sender_name=f"{fore} {sur}",
                                sender_email=email, subject=CAMPAIGN_SUBJECT, body=body, triage="campaign",
                                case_id=None, constituent_id=cid, campaign_id=campaign_id, flags=flags)

    def messages(self) -> None:
        rng = self.rng
        total = self.size.messages
        campaign_id = new_id()
        _write(self.office, Campaign, [{"id": campaign_id, "name": CAMPAIGN_NAME,
                                        "template_text": CAMPAIGN_TEXT,
                                        "created_at": _stamp(_at(rng, DEMO_TODAY - timedelta(days=5)))}])
        n_campaign = 40
        n_new = max(40, total // 1000)
        n_suggested = max(20, total // 4000)
        n_ignored = max(25, total // 2500)
        on_cases = total - n_campaign - n_new - n_suggested - n_ignored - OUTBOX
        caps = [1 + (DEMO_TODAY - c["_opened"].date()).days // 3 for c in self.case_rows]
        per_case = self._spread(on_cases, caps)

        def every() -> Iterator[dict]:
            for case, count in zip(self.case_rows, per_case, strict=True):
                yield from self._case_thread(case, count)
            yield from self._campaign(campaign_id, n_campaign)
            yield from self._inbox(n_new, n_suggested, n_ignored)

        with _bulk_load(self.office, "messages", "messages_fts"):
            self.message_count = _write(self.office, Message, every(), batch_size=5 * BATCH)

    def outbox(self) -> None:
        """A few emails on their way out, written through the real services: drafts, queued (the demo
        has no mail account, so they wait), and one the server refused."""
        from sqlmodel import select

        from mpoffice_tui.db.models import OutgoingMail
        from mpoffice_tui.services import replies

        with self.office.engine.connect() as conn:
            refs = [r[0] for r in conn.exec_driver_sql(
                "SELECT c.ref FROM cases c JOIN constituents p ON p.id = c.constituent_id WHERE c.status != 'closed' "
                "AND c.deleted = 0 AND coalesce(p.email, '') != '' ORDER BY c.opened_at DESC, c.ref LIMIT ?",
                (OUTBOX,)).fetchall()]
        bodies = ("{salutation},\n\nI have now heard back and enclose the reply. Please let me know if you "
                  "would like me to take this further.\n\n{sign_off},\n\n{mp_name}\n",
                  "{salutation},\n\nThank you for your call today. As promised, I have written again on your "
                  "behalf (reference {case_ref}) and will be in touch when I hear.\n\n{sign_off},\n\n{mp_name}\n")
        for i, ref in enumerate(refs):
            done = replies.reply_on_case(self.office, ref, body=bodies[i % 2], queue=i >= 2)
            with self.office.writing() as w:  # written on the demo's own last morning (a fixed date)
                w.update(w.get(Message, done.id), received_at=_stamp(datetime.combine(
                    DEMO_TODAY, time(9, 5 * i), tzinfo=timezone.utc)))
                if i == OUTBOX - 1:  # as a server answers a mistyped address
                    o = w.session.exec(select(OutgoingMail).where(OutgoingMail.message_id == done.id)).one()
                    w.update(o, state="failed", attempts=1,
                             reason="550 5.1.1 The email account that you tried to reach does not exist")

    def subject_access(self) -> None:
        """Issue 17: two subject access requests (one open, one made by a solicitor and overdue) and, on the
        first person's latest case, a call note naming a neighbour (another constituent), the neighbour's address
        and phone, and the person's son: what a reviewer sees proposed for withholding."""
        from mpoffice_tui.db.models import SubjectAccessRequest
        from mpoffice_tui.services.sar_requests import due_date

        with self.office.engine.connect() as conn:
            people = conn.exec_driver_sql(
                "SELECT p.id, p.forenames, p.surname, max(c.id) FROM constituents p JOIN cases c ON "
                "c.constituent_id = p.id WHERE p.deleted = 0 GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 2"
            ).fetchall()
            neighbour = conn.exec_driver_sql(
                "SELECT forenames, surname, address1, town, postcode, phone FROM constituents WHERE id NOT IN (?, ?) "
                "AND phone IS NOT NULL AND address1 IS NOT NULL ORDER BY id LIMIT 1",
                (people[0][0], people[1][0])).fetchone()
        (pid, fore, _surname, case_id), other = people[0], people[1]
        when = datetime.combine(DEMO_TODAY - timedelta(days=24), time(10, 12), tzinfo=timezone.utc)
        body = (f"Call from {fore}: since the last letter things have got worse. Their neighbour {neighbour[0]} "
                f"{neighbour[1]} at {neighbour[2]}, {neighbour[3]} {neighbour[4]} plays music until 3am, and when "
                f"asked to stop shouted at their son Callum. The neighbour's number is {neighbour[5]}. Wexcombe "
                f"Borough Council's Environmental Health team have the diary sheets. {fore} also asked for a copy of "
                "everything the office holds about them (subject access request recorded).")
        with self.office.writing() as w:
            w.insert(Note, case_id=case_id, author_id=self.caseworkers[0], body=body, kind="call",
                     created_at=_stamp(when))
        mine = DEMO_TODAY - timedelta(days=24)
        theirs = DEMO_TODAY - timedelta(days=45)  # past its month: overdue in reminders and the header
        with self.office.writing() as w:
            w.insert(SubjectAccessRequest, constituent_id=pid, received_on=mine.isoformat(),
                     due_on=due_date(mine).isoformat(), notes="Asked for in a letter about a noise complaint.")
            w.insert(SubjectAccessRequest, constituent_id=other[0], received_on=theirs.isoformat(),
                     due_on=due_date(theirs).isoformat(), requester_name="Patel & Co Solicitors",
                     requester_relation="solicitor", requester_address="3 Bridge Street\nWexcombe\nWX1 4AA",
                     authority="signed form of authority received with the request", notes="")

    def surgeries(self) -> None:
        """Advice surgeries around the demo's today (issue 15): one held ten days before, with visits on cases
        (one opened there), a no-show and a visit still to record; today's, with bookings, a caution, an
        interpreter, someone arrived and a walk-in; and one ahead held by a caseworker. Its own random
        stream, so the rest of the demo is the same with or without it."""
        rng = random.Random(DEMO_SEED + 15)
        people = self.constituent_rows
        open_cases = sorted((c for c in self.case_rows if c["status"] != "closed"
                             and c["_opened"].date() <= DEMO_TODAY - timedelta(days=5)),
                            key=lambda c: c["_opened"])
        opened_there = open_cases[-1]  # the past surgery is the day this case was opened, at it
        past_day = opened_there["_opened"].date()
        on_cases = [c for c in open_cases[:-1] if c["_who"]["id"] != opened_there["_who"]["id"]][-2:]
        caution = next(p for p in people if p["safety_caution"])
        plain = [p for p in people[len(FEATURED):] if not (p["safety_caution"] or p["interpreter_language"]
                                                          or p["accessibility"])]
        chosen = rng.sample(plain, 9)
        held_by = {n: i for i, n in zip(self.staff_ids, (s[0] for s in STAFF), strict=True)}

        def stamp(day: date, hh: int, mm: int) -> str:
            return _stamp(datetime.combine(day, time(hh, mm), tzinfo=timezone.utc))

        days = [
            (past_day, "Brackley Moor Community Centre", "10:00", "12:00", 20, self.mp_id),
            (DEMO_TODAY, "Eastmoor Library", "10:00", "13:00", 15, self.mp_id),
            (DEMO_TODAY + timedelta(days=11), "Wexcombe Town Hall", "17:00", "19:00", 15, held_by["Aisha Rahman"]),
        ]
        rows = [{"id": new_id(), "held_on": d.isoformat(), "place": place, "starts_at": a, "ends_at": b,
                 "slot_minutes": n, "held_by_id": who, "notes": "",
                 "created_at": stamp(min(d, DEMO_TODAY) - timedelta(days=14), 9, 0)}
                for d, place, a, b, n, who in days]
        past, today_, ahead = (r["id"] for r in rows)
        bookings = [  # (surgery, person, slot, topic, status, walk-in, case, opened, arrived)
            (past, opened_there["_who"], "10:00", opened_there["title"], "seen", False, opened_there, True, (9, 58)),
            (past, on_cases[0]["_who"], "10:20", "Update on my case", "seen", False, on_cases[0], False, (10, 15)),
            (past, on_cases[1]["_who"], "10:40", "Still waiting for a decision", "seen", False, on_cases[1], False,
             (10, 37)),
            (past, chosen[0], "11:00", "Parking outside the school", "no_show", False, None, False, None),
            (past, chosen[1], "11:20", "Noise from the takeaway", "arrived", False, None, False, (11, 25)),
            (past, chosen[2], "11:40", "Bus route cut", "cancelled", False, None, False, None),
            (today_, chosen[3], "10:00", "Universal Credit deduction", "arrived", False, None, False, (9, 55)),
            (today_, caution, "10:15", "Housing repairs", "booked", False, None, False, None),
            (today_, people[3], "10:30", "Settled status for my mother", "booked", False, None, False, None),
            (today_, chosen[4], "10:45", "School place appeal", "booked", False, None, False, None),
            (today_, chosen[5], "11:15", "Blue badge refused", "booked", False, None, False, None),
            (today_, chosen[6], None, "Fly-tipping in the lane", "arrived", True, None, False, (10, 5)),
            (ahead, chosen[7], "17:00", "Planning objection", "booked", False, None, False, None),
            (ahead, chosen[8], "17:30", "Flooding on the estate", "booked", False, None, False, None),
        ]
        day_of = {r["id"]: date.fromisoformat(r["held_on"]) for r in rows}
        appointments = []
        for sid, who, slot, topic, status, walk_in, case, opened, arrived in bookings:
            day = day_of[sid]
            appointments.append({
                "surgery_id": sid, "constituent_id": who["id"], "slot": slot, "walk_in": walk_in, "topic": topic,
                "phone": who["phone"], "status": status,
                "access_needs": "Uses a wheelchair: step-free room" if who is chosen[5] else None,
                "interpreter_language": who["interpreter_language"],
                "arrived_at": stamp(day, *arrived) if arrived else None,
                "seen_at": stamp(day, arrived[0] + 1, 0) if status == "seen" and arrived else None,
                "case_id": case["id"] if case else None, "case_opened": opened,
                "created_at": stamp(day, 9, 0) if walk_in else stamp(day - timedelta(days=7), 14, 0)})
        _write(self.office, Surgery, rows)
        _write(self.office, Appointment, appointments)

    def approvals(self) -> None:
        """Sign-off as an office runs it: letters to agencies wait for the MP's approval. Two letters and an
        email wait in the Approvals lane, and one letter was returned with a comment (through the real
        services, then dated on the demo's own last morning)."""
        from mpoffice_tui.db.models import Approval
        from mpoffice_tui.services import approvals, letters, outbox

        approvals.add_rule(self.office, "template", "Letter to agency", "letter")
        with self.office.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT c.ref, min(cp.contact_id) FROM cases c JOIN case_parties cp ON cp.case_id = c.id "
                "JOIN constituents p ON p.id = c.constituent_id WHERE c.status NOT IN ('closed', 'new') "
                "AND c.deleted = 0 GROUP BY c.id ORDER BY c.opened_at, c.ref LIMIT 3").fetchall()  # long-running cases
        made, written = [], []
        for ref, contact in rows:
            lt = letters.write_letter(self.office, ref, "Letter to agency", recipient_contact_id=contact)
            made.append(approvals.for_target(self.office, "letter", lt.id).id)
            written.append(lt.id)
        with self.office.engine.connect() as conn:  # one of the outbox's drafts: its writer asks for sign-off
            draft = conn.exec_driver_sql("SELECT o.message_id FROM outgoing_mail o JOIN messages m ON m.id = "
                                         "o.message_id WHERE o.state = 'draft' ORDER BY m.received_at LIMIT 1").scalar()
        if draft:
            approvals.request(self.office, "email", draft)
            outbox.queue(self.office, [draft])
            made.append(approvals.for_target(self.office, "email", draft).id)
        if made:
            approvals.return_to_writer(self.office, made[0], "Please add the date of the council's last visit.")
        with self.office.writing() as w:  # written and asked for on the demo's own last morning (a fixed date)
            for i, aid in enumerate(made):
                at = _stamp(datetime.combine(DEMO_TODAY, time(10, 7 * i), tzinfo=timezone.utc))
                w.update(w.get(Approval, aid), created_at=at)
                if i < len(written):
                    w.update(w.get(Letter, written[i]), created_at=at)

    def letterhead(self) -> None:
        """A full letterhead, so the demo's letters look like a real office's: phone, Westminster address,
        footer, a logo and the MP's signature (drawn here with Pillow: no image files shipped)."""
        from mpoffice_tui.services import letterhead

        settings.put_many(self.office, {"office_phone": OFFICE_PHONE, "westminster_address": WESTMINSTER_ADDRESS,
                                        "letterhead_footer": LETTERHEAD_FOOTER})
        logo, signature = letterhead_images()
        with self.office.writing() as w:
            letterhead.store_image_in(w, "logo", "wexcombe-logo.png", logo)
            letterhead.store_image_in(w, "signature", "helen-marchbanks-signature.png", signature)

    def _spread(self, total: int, caps: list[int]) -> list[int]:
        """Messages per case: at least one each, the rest skewed (some cases are long), young cases
        capped by their age."""
        rng = self.rng
        cases = len(caps)
        counts = [1] * cases
        weights = [rng.random() ** 2 + 0.05 for _ in range(cases)]
        scale = (total - cases) / sum(weights)
        for i, w in enumerate(weights):
            counts[i] = min(caps[i], 1 + int(w * scale))
        roomy = [i for i in range(cases) if caps[i] > 60] or list(range(cases))
        leftover = total - sum(counts)
        for k in range(leftover):
            counts[roomy[k % len(roomy)]] += 1
        return counts

def build(path: Path | str, size: str = "small", passphrase: str = DEMO_PASSPHRASE,
          seed: int = DEMO_SEED, compact: bool = True) -> Office:
    """Create the demo office at `path` and return it open (the caller closes it). Its history is then
    compacted as an office's is once every machine holds it (`sync.compact`: this is its only machine);
    `compact=False` keeps every op as written."""
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}: use one of {', '.join(SIZES)}")
    created = create_office(Path(path), office_name=OFFICE_NAME, mp_name=f"{MP_NAME} MP",
                            staff_name=STAFF[0][0], passphrase=passphrase)
    office = created.office
    try:
        b = _Builder(office, SIZES[size], seed)
        b.staff()
        b.contacts()
        b.templates()
        b.register()
        b.constituents()
        b.cases()
        b.case_extras()
        b.messages()
        settings.put_many(office, {"office_address": OFFICE_ADDRESS, "office_email": OFFICE_EMAIL})
        b.letterhead()
        b.outbox()
        b.subject_access()
        b.surgeries()
        b.approvals()
        with office.writing() as w:
            w.audit("demo.build", detail=f"demo office built ({size})")
        if compact:
            from mpoffice_tui.sync import compact as compaction

            compaction.compact(office)
    except BaseException:
        office.close()
        raise
    return office
