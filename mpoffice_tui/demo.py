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
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.header import Header
from email.utils import format_datetime, formataddr
from pathlib import Path

from anyascii import anyascii

from mpoffice_tui.db import blobs
from mpoffice_tui.db.engine import Office, create_office
from mpoffice_tui.db.ids import new_id
from mpoffice_tui.db.models import (
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

MP_NAME = "Helen Marchbanks"
SEAT = "Wexcombe and Brackley Moor"
OFFICE_NAME = f"Office of {MP_NAME} MP"
OFFICE_EMAIL = "helen.marchbanks.mp@parliament.uk"
OFFICE_ADDRESS = "Constituency Office\n14 Market Place\nWexcombe\nWX1 2HQ"  # the letterhead's address


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

CATEGORIES = ["Housing", "Immigration", "Benefits", "Health", "Education", "Planning",
              "Crime and policing", "Transport", "Environment", "Consumer", "Tax", "Other"]
CATEGORY_WEIGHTS = [22, 14, 16, 12, 8, 5, 6, 4, 4, 3, 3, 3]
OUTCOMES = ["resolved", "resolved", "resolved", "partly_resolved", "not_resolved", "withdrawn",
            "no_contact", "referred"]
PRIORITIES = ["low", "normal", "normal", "normal", "normal", "high", "urgent"]

# -- people ------------------------------------------------------------------------------------------
STAFF = [  # (name, role, email); the manager is the one who creates the office and holds its key slot
    ("Tom Ashworth", "manager", "tom.ashworth@parliament.uk"),
    (MP_NAME, "mp", "helen.marchbanks.mp@parliament.uk"),
    ("Aisha Rahman", "caseworker", "aisha.rahman@parliament.uk"),
    ("Gareth Pritchard", "caseworker", "gareth.pritchard@parliament.uk"),
    ("Niamh O'Connell", "caseworker", "niamh.oconnell@parliament.uk"),
    ("Ollie Brennan", "volunteer", None),
]

FEATURED = [  # (title, forenames, surname, preferred) who always appear, first
    ("Ms", "Siobhán", "Ó Súilleabháin", None),
    ("Mr", "Seán", "O'Brien-Smythe", None),
    ("Miss", "Zoë", "Hartley-Brontë", None),
    ("Mr", "Łukasz", "Wiśniewski", None),
    ("Dr", "Ngozi", "Adéyemí", None),
    ("Mr", "Hamish", "MacDonald", None),
    ("Mrs", "Penelope", "ffrench", "Penny"),
    ("Mx", "Renée", "D'Souza", None),
    ("Mr", "Dafydd", "ap Rhys", None),
    ("Mrs", "Mary-Jane", "O'Neill", None),
]

FEMALE = ["Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Margaret", "Susan", "Janet",
          "Pauline", "Beverley", "Karen", "Joanne", "Rebecca", "Hannah", "Chloé", "Aoife", "Niamh",
          "Siobhán", "Rhiannon", "Eilidh", "Morag", "Priya", "Fatima", "Aaliyah", "Amira", "Agnieszka",
          "Zofia", "Ngozi", "Chiamaka", "Mei", "Zoë", "Anne-Marie", "Mary-Jane", "Renée", "Bernadette",
          "Gwen", "Sinéad", "Kirsty", "Shabana", "Nasreen", "Ewa", "Ioana", "Maria", "Patience"]
MALE = ["Oliver", "George", "Harry", "Jack", "Noah", "Mohammed", "Muhammad", "Arjun", "Yusuf", "Bilal",
        "Tariq", "Seán", "Ciarán", "Dafydd", "Hamish", "Callum", "Łukasz", "Piotr", "Tomasz", "Kwame",
        "Chidi", "Emeka", "Wei", "Brian", "Colin", "Keith", "Derek", "Graham", "Stephen", "Gary",
        "Darren", "Jean-Paul", "José", "Andrei", "Rhys", "Owain", "Liam", "Connor", "Imran", "Kofi"]
SURNAMES = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
            "Johnson", "Roberts", "Robinson", "Wright", "Walker", "Hughes", "Edwards", "Green", "Hall",
            "Wood", "Clarke", "Lewis", "Harris", "Jackson", "Turner", "Hill", "Moore", "Cooper", "Ward",
            "Patel", "Khan", "Ahmed", "Hussain", "Begum", "Ali", "Singh", "Kaur", "Mahmood", "Iqbal",
            "O'Brien", "O'Connor", "O'Neill", "O'Sullivan", "D'Souza", "Ó Súilleabháin", "MacDonald",
            "McLeod", "MacKenzie", "McAllister", "ffrench", "ffoulkes", "Adéyemí", "Okonkwo", "Mensah",
            "Boateng", "Nowak", "Kowalski", "Wiśniewski", "Popescu", "Nguyen", "Chen", "Fernández",
            "Müller", "Llewellyn", "ap Rhys", "Fitzgerald", "Harris-Jones", "Smith-Barton",
            "Bowes-Lyon", "Brontë", "Søndergaard", "Doyle", "Murphy", "Kelly", "Gallagher", "Quinn"]
PREFERRED = {"Margaret": "Maggie", "Stephen": "Steve", "Rebecca": "Becky", "Muhammad": "Mo",
             "Penelope": "Penny", "Callum": "Cal", "Bernadette": "Bernie"}
DOMAINS = ["example.com", "example.org", "example.net", "mail.example", "post.example"]
LANGUAGES = ["Polish", "Urdu", "Bengali", "Punjabi", "Romanian", "Arabic", "Tigrinya", "Somali",
             "Portuguese", "Welsh", "Mandarin", "Kurdish"]
ACCESSIBILITY = ["British Sign Language interpreter", "Large print letters", "Prefers phone calls",
                 "Uses a wheelchair: ground-floor meetings", "Easy-read letters"]
SAFETY = ["Abusive on the phone in 2024: two staff present at meetings",
          "Do not meet alone; see note of 14 March",
          "Has made threats to staff: phone contact only"]

# -- places ------------------------------------------------------------------------------------------
COUNCILS = {
    "Wexcombe Borough Council": {
        "code": "WXB", "pd": "W",
        "towns": {
            "Wexcombe": ("WX1", "WX2", "WX3"),
            "Sallowfield": ("WX4",),
            "Upper Tenby Cross": ("WX5",),
        },
    },
    "Brackley Moor District Council": {
        "code": "BMD", "pd": "B",
        "towns": {
            "Brackley": ("BY1", "BY2"),
            "Coldharbour": ("BY3",),
            "Eastmoor": ("BY4",),
        },
    },
}
STREETS = ["Mill Lane", "Station Road", "Church Street", "Albert Terrace", "Victoria Road",
           "Queen's Parade", "St Anne's Close", "Kingfisher Way", "Bramble Court", "The Crescent",
           "Priory Walk", "Cromwell Road", "Tanners' Row", "Hollybush Lane", "Canal Side", "High Street",
           "Orchard Grove", "Moorside Avenue", "Wellington Street", "Beech Drive", "Foundry Lane",
           "Coronation Road", "Saint Brigid's Way", "Peel Street", "Heron Close", "Park View",
           "Jubilee Gardens", "Chapel Fold", "Weavers' Yard", "Ladysmith Road", "Rowan Rise",
           "Ashcombe Road", "Gasworks Lane", "Cherry Tree Walk", "Gladstone Terrace", "Nightingale Court"]
BLOCKS = ["Kingfisher House", "Moorview Court", "Tenby Tower", "Weavers' Mill", "Arkwright House"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code may use

# -- agencies ----------------------------------------------------------------------------------------
CONTACTS = [  # organisation, department, kind, email, phone, route, reply_days
    ("Wexcombe Borough Council", "Housing Services", "council", "mp.enquiries@wexcombe.gov.example",
     "01632 960101", "email", 10),
    ("Wexcombe Borough Council", "Environmental Health", "council", "envhealth@wexcombe.gov.example",
     "01632 960102", "email", 10),
    ("Wexcombe Borough Council", "Planning and Building Control", "council",
     "planning@wexcombe.gov.example", "01632 960103", "portal", 15),
    ("Brackley Moor District Council", "Members' Enquiries", "council",
     "members.enquiries@brackleymoor.gov.example", "01632 960201", "email", 10),
    ("Brackley Moor District Council", "Council Tax and Benefits", "council",
     "revenues@brackleymoor.gov.example", "01632 960202", "email", 15),
    ("Wexcombeshire County Council", "Children's Services (SEND)", "council",
     "send.mpenquiries@wexcombeshire.gov.example", "01632 960301", "email", 20),
    ("Wexcombeshire County Council", "Highways", "council", "highways@wexcombeshire.gov.example",
     "01632 960302", "portal", 20),
    ("Wexcombeshire Police", "Neighbourhood Policing Team", "police", "mp.liaison@police.example",
     "01632 960401", "email", 10),
    ("NHS Wexcombe and Brackley Integrated Care Board", "MP Enquiries", "nhs",
     "icb.mpenquiries@nhs.example", "01632 960501", "email", 20),
    ("Wexcombe General Hospital NHS Trust", "Patient Advice and Liaison Service", "nhs",
     "pals@wexcombe-hospital.nhs.example", "01632 960502", "email", 20),
    ("Department for Work and Pensions", "MP Hotline", "agency", "mp.hotline@dwp.gov.example",
     "020 7946 0101", "phone", 15),
    ("HM Revenue and Customs", "MP Hotline", "agency", "mp.correspondence@hmrc.gov.example",
     "020 7946 0202", "phone", 20),
    ("Home Office", "UK Visas and Immigration MP Account Management", "agency",
     "mpaccountmanagement@homeoffice.gov.example", "020 7946 0303", "email", 20),
    ("HM Passport Office", "MP Hotline", "agency", "mp.hotline@passport.gov.example", "020 7946 0404",
     "phone", 10),
    ("Child Maintenance Service", "MP Enquiry Line", "agency", "mps@cms.gov.example", "020 7946 0505",
     "phone", 15),
    ("Wexcombe Water", "Customer Relations", "other", "mp.enquiries@wexcombewater.example",
     "01632 960601", "email", 15),
]
CATEGORY_CONTACT = {  # which contacts a category's cases usually go to (indexes into CONTACTS)
    "Housing": [0, 3], "Immigration": [12, 13], "Benefits": [10, 4, 14], "Health": [8, 9],
    "Education": [5], "Planning": [2], "Crime and policing": [7], "Transport": [6],
    "Environment": [1, 15], "Consumer": [1], "Tax": [11], "Other": [0],
}

TITLES = {
    "Housing": ["Damp and mould in council flat", "Housing register banding review",
                "Disrepair: landlord not responding", "Homelessness application",
                "Temporary accommodation conditions", "Section 21 notice served",
                "Overcrowding: request for transfer", "Adaptations for disabled tenant"],
    "Immigration": ["Spouse visa application delayed", "Indefinite leave to remain: no decision",
                    "Asylum claim outstanding", "EU Settlement Scheme status query",
                    "Visit visa refused for family wedding", "Passport application delayed",
                    "Biometric residence permit not received"],
    "Benefits": ["Universal Credit deduction query", "PIP award reduced at review",
                 "Carer's Allowance overpayment", "ESA mandatory reconsideration",
                 "Child Benefit claim delayed", "State Pension forecast error",
                 "Universal Credit sanction", "Council Tax Reduction refused"],
    "Health": ["Waiting time for hip replacement", "GP registration refused", "No NHS dentist taking patients",
               "CAMHS referral waiting list", "Complaint about hospital discharge",
               "Cancer referral delay", "Ambulance response time complaint"],
    "Education": ["EHCP assessment delayed", "Secondary school place appeal",
                  "Home-to-school transport refused", "SEN support at secondary school",
                  "Student finance delay", "School exclusion"],
    "Planning": ["Objection to housing development", "Neighbour's extension", "Phone mast near school",
                 "Unauthorised HMO: enforcement", "Battery storage site consultation"],
    "Crime and policing": ["Antisocial behaviour on the estate", "Speeding on residential road",
                           "Burglary follow-up", "Drug dealing in the alleyway", "Neighbour harassment"],
    "Transport": ["Bus route withdrawn", "Potholes on the High Street", "Step-free access at the station",
                  "Blue Badge application refused", "Rail replacement buses"],
    "Environment": ["Missed bin collections", "Sewage in the River Wex", "Noise from industrial unit",
                    "Tree preservation order", "Fly-tipping on Foundry Lane"],
    "Consumer": ["Energy bill back-billing", "Broadband outage: no compensation",
                 "Faulty car: dealer refusing refund", "Holiday company refund"],
    "Tax": ["HMRC tax code error", "Self-assessment late filing penalty", "High Income Child Benefit Charge",
            "Tax credits overpayment"],
    "Other": ["Request for a letter of support", "Invitation to school assembly", "Thanks for help",
              "Request to visit Parliament", "Community group funding"],
}
ASKS = {
    "Housing": "I have been waiting months for the council to deal with this and my children keep getting "
               "ill. The housing officer no longer answers my emails.",
    "Immigration": "My application has been with the Home Office far longer than the service standard and "
                   "nobody can tell me what is happening. I cannot travel to see my family until it is "
                   "decided.",
    "Benefits": "My payments have gone down and I do not understand why. I have rung the helpline four "
                "times and been cut off twice. I am now behind on my rent.",
    "Health": "I have been on the waiting list for over a year and the pain is getting worse. The hospital "
              "cannot give me a date.",
    "Education": "The school says it cannot meet my son's needs without the plan, and the council has "
                 "missed the 20-week deadline.",
    "Planning": "The development would add hundreds of cars to a road that is already dangerous, and "
                "nobody in our street was consulted.",
    "Crime and policing": "This has been going on every night for weeks. We have reported it to the "
                          "police on 101 several times but nothing changes.",
    "Transport": "Many older residents depend on this and now cannot get to the shops or the surgery.",
    "Environment": "The smell is awful and children play by the water. I would like to know what is being "
                   "done about it.",
    "Consumer": "The company has ignored my complaint for eight weeks and I do not know where else to "
                "turn.",
    "Tax": "HMRC says I owe money I do not believe I owe, and I cannot get through to anyone.",
    "Other": "I would be very grateful for anything you can do.",
}
AGENCY_REPLIES = [
    "Thank you for your enquiry on behalf of {name}. I have looked into this and can confirm that the "
    "matter has now been passed to a senior officer, who will contact {name} directly within ten "
    "working days.",
    "Thank you for your letter. I am sorry for the delay {name} has experienced. A decision has now been "
    "made and a letter will be sent out this week.",
    "Thank you for contacting us. We are unable to discuss the details without the written consent of "
    "{name}. Please could you forward a signed consent form.",
    "Thank you for raising this. Having reviewed the case, I am satisfied that the correct procedure was "
    "followed; however, I have asked the team to review the decision given the new evidence.",
]
FOLLOW_UPS = ["I have had another letter today and I do not understand it.", "Nothing has changed yet.",
              "I have attached the decision letter.", "Things are getting worse, please could you chase them?",
              "They rang me yesterday and said a decision is close.", "Is there any news?"]
CALLS_IN = ["{name} rang for an update; explained we are waiting for {org} to reply.",
            "{name} upset on the phone: situation worse. Agreed to chase {org} today.",
            "{name} called to say thank you: {org} has been in touch.",
            "{name} rang to say a letter has arrived; will bring it to the office."]
CALLS_OUT = ["Called {name} back: they will send copies of the letters this week.",
             "Left a voicemail for {name} asking them to call the office.",
             "Rang {name} to explain {org}'s reply; they want us to ask for a review.",
             "Called {name}: no answer. Will try again tomorrow."]
NOTE_TEXTS = [
    "Spoke to the constituent on the phone; they will send copies of the letters.",
    "Chased by email: no reply after 15 working days.",
    "Agency replied: awaiting decision maker.",
    "Constituent came to the surgery with their daughter, who translated.",
    "Documents received and scanned onto the case.",
    "Checked the portal: application status shows 'under review'.",
    "Discussed with the MP, who wants to raise this with the minister.",
    "Left a voicemail for the housing officer.",
]
CONFIDENTIAL_NOTES = [
    "Constituent disclosed domestic abuse; do not contact at the home address.",
    "Mental health crisis mentioned on the call: signposted to the crisis line.",
    "Safeguarding concern about the child: referred to the council's MASH with consent.",
]
TASK_TITLES = ["Chase agency for reply", "Call constituent back", "Send consent form",
               "Review decision letter", "Draft letter to the minister", "Book surgery appointment",
               "Check portal for update", "Write to council leader"]
TAGS = ["urgent-safeguarding", "mp-signed", "minister", "repeat-contact", "press-interest", "surgery",
        "children", "disability", "elderly", "cost-of-living", "damp-mould", "send"]

CAMPAIGN_NAME = "Stop sewage in the River Wex"
CAMPAIGN_SUBJECT = "Please act on sewage discharges into the River Wex"
CAMPAIGN_TEXT = (
    "Dear Helen Marchbanks,\n\n"
    "As your constituent I am writing to ask you to take action on the sewage being discharged into the "
    "River Wex. Last year storm overflows spilled into our river for thousands of hours. Water companies "
    "should be held to account and bonuses stopped until the spills end.\n\n"
    "Will you support a legally binding target to end sewage discharges, and will you write to Wexcombe "
    "Water asking what it is doing about the overflow at Sallowfield?\n\n"
    "Yours sincerely,\n"
)
CAMPAIGN_EXTRA = (
    "\nP.S. On a separate matter, my elderly mother's care package was cut last month without any "
    "assessment and she is now struggling to wash and dress. Could your office please help? Her "
    "social worker has not returned calls for three weeks.\n"
)

TEMPLATES = [  # the office's own letters (the date, address block and letterhead come from the layout)
    ("Acknowledgement", "acknowledgement", "{case_title} (our ref {case_ref})",
     "{salutation},\n\nThank you for contacting me about the matter above. I have asked my caseworker to "
     "look into this for you and we will be in touch shortly. Please quote the reference {case_ref} if you "
     "contact my office.\n\n{sign_off},\n\n{mp_name}"),
    ("Letter to agency", "letter", "{constituent_name}: {case_title} (our ref {case_ref})",
     "{salutation},\n\nI am writing on behalf of my constituent {constituent_name}, of "
     "{constituent_address_line}, who has contacted me about the matter above. I would be grateful if you "
     "could look into this and let me have a reply.\n\nMy constituent has given consent for you to share "
     "information about this matter with me. My reference is {case_ref}.\n\n{sign_off},\n\n{mp_name}"),
    ("Chaser", "chase", "Reminder: {constituent_name}, {case_title} (our ref {case_ref})",
     "{salutation},\n\nI wrote to you on {contacted_on} about my constituent {constituent_name} and have not "
     "yet received a reply. I would be grateful for a response at your earliest convenience.\n\n"
     "{sign_off},\n\n{mp_name}"),
    ("Closing letter", "letter", "{case_title} (our ref {case_ref})",
     "{salutation},\n\nI am pleased to enclose the reply I have received about the matter above. I hope "
     "this resolves it; if not, please do get back in touch.\n\n{sign_off},\n\n{mp_name}"),
]


# -- helpers -----------------------------------------------------------------------------------------
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


def _write(office: Office, model, rows: Iterable[dict]) -> int:
    """Insert shared rows through the write path, a batch per transaction."""
    n = 0
    for batch in _chunks(rows):
        with office.writing() as w:
            for row in batch:  # a message's original is kept as a blob, named by its hash
                if "raw" in row:
                    raw = row.pop("raw")
                    row["raw_hash"] = blobs.put(w, raw) if raw is not None else None
            w.insert_many(model, batch)
        n += len(batch)
    return n


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
        featured = {n - 1 - 4 * k: k for k in range(len(FEATURED))}  # recent cases for the featured people
        rows = []
        for i, opened_at in enumerate(opened, start=1):
            day = opened_at.date()
            category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
            who = rng.choices(self.constituent_rows, weights)[0]
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

        self.message_count = _write(self.office, Message, every())

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
        b.outbox()
        with office.writing() as w:
            w.audit("demo.build", detail=f"demo office built ({size})")
        if compact:
            from mpoffice_tui.sync import compact as compaction

            compaction.compact(office)
    except BaseException:
        office.close()
        raise
    return office
