"""Every table of the office database, in one module (DESIGN §3).

Shared tables (synced between machines) derive from `Shared`: a UUIDv7 text key, UTC
`created_at`/`updated_at`, and a `deleted` tombstone instead of hard deletes. They are written only
through `db.writes.Writer`, which records every field change as an op. Notes, messages and audit
events are append-only facts. Local tables (the op log itself, electoral register rows, office
metadata) are never shipped in sync bundles.

Dates are ISO `YYYY-MM-DD` strings; timestamps are ISO-8601 UTC strings (sortable, portable).
Money is whole pence.
"""

from __future__ import annotations

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel


class Shared(SQLModel):
    """Columns every shared (synced) table has."""

    id: str = Field(primary_key=True)
    created_at: str
    updated_at: str
    deleted: bool = False


# -- people ----------------------------------------------------------------------------------
class Staff(Shared, table=True):
    """A member of the office's staff; their role limits what they may do."""

    __tablename__ = "staff"

    name: str = Field(index=True)
    role: str  # mp | manager | caseworker | volunteer
    email: str | None = None
    pass_holder: bool = True  # holds a parliamentary pass (Register of Interests applies)


class Constituent(Shared, table=True):
    """A person the office helps (whether or not they are on the electoral register)."""

    __tablename__ = "constituents"
    __table_args__ = (Index("ix_constituents_surname_nocase", text("surname COLLATE NOCASE")),)  # cases by person

    title: str | None = None
    forenames: str = ""
    surname: str = Field(default="", index=True)
    preferred_name: str | None = None
    email: str | None = Field(default=None, index=True)
    phone: str | None = None
    address1: str | None = None
    address2: str | None = None
    address3: str | None = None
    town: str | None = None
    postcode: str | None = Field(default=None, index=True)
    date_of_birth: str | None = None
    elector_key: str | None = Field(default=None, index=True)  # stable key of the matched elector
    safety_caution: bool = False
    safety_details: str | None = None
    vulnerable: bool = False
    interpreter_language: str | None = None
    accessibility: str | None = None
    privacy_state: str = "active"  # active | export_requested | erasure_requested | anonymised
    merged_into: str | None = None  # set when this record was merged into another


class Consent(Shared, table=True):
    """Consent to act: implied, written, or written permission for someone acting for another."""

    __tablename__ = "consents"

    constituent_id: str = Field(index=True)
    case_id: str | None = Field(default=None, index=True)
    kind: str  # implied | written | third_party_permission
    given_by: str | None = None
    given_on: str | None = None
    details: str | None = None
    attachment_id: str | None = None


# -- casework --------------------------------------------------------------------------------
class Case(Shared, table=True):
    """A piece of casework for a constituent."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_live_opened", "deleted", "opened_at"),  # counts and newest-first pages
                      Index("ix_cases_constituent_live", "constituent_id", "deleted", "status"),  # open cases per person
                      Index("ix_cases_open_category_review", text("category COLLATE NOCASE"), "review_date",
                            sqlite_where=text("deleted = 0 AND status != 'closed'")))  # open cases of a category

    ref: str = Field(index=True, unique=True)
    title: str
    category: str = Field(default="General", index=True)
    status: str = Field(default="new", index=True)  # new|open|awaiting_constituent|awaiting_third_party|closed
    outcome: str | None = None
    priority: str = "normal"  # low | normal | high | urgent
    assignee_id: str | None = Field(default=None, index=True)
    constituent_id: str | None = None  # indexed by ix_cases_constituent_live
    raised_by_id: str | None = None  # a constituent acting on the primary's behalf
    opened_at: str = Field(index=True)
    closed_at: str | None = None
    review_date: str | None = Field(default=None, index=True)
    awaiting_since: str | None = None
    confidential: bool = False
    tags: str = ""  # comma separated
    campaign_id: str | None = Field(default=None, index=True)


class CaseParty(Shared, table=True):
    """Another party on a case: a third-party contact or a constituent, with a role."""

    __tablename__ = "case_parties"

    case_id: str = Field(index=True)
    contact_id: str | None = None
    constituent_id: str | None = None
    role: str  # e.g. "agency", "relative", "advocate", "landlord"
    contacted_on: str | None = None
    reply_due: str | None = None
    replied_on: str | None = None  # when the third party answered (stops chase reminders)


class Campaign(Shared, table=True):
    """A group of near-identical campaign emails."""

    __tablename__ = "campaigns"

    name: str
    template_text: str = ""
    signature: str = ""  # minhash signature of the template, for grouping


class Message(Shared, table=True):
    """An email, letter, call, walk-in or surgery visit, in or out. Append-only."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_triage_received", "triage", "received_at"),  # inbox lanes
                      Index("ix_messages_triage_live", "triage", "deleted"))  # lane counts, from the index alone

    channel: str = Field(index=True)  # email | letter | phone | walk_in | surgery
    direction: str = "in"  # in | out
    sender_name: str | None = None
    sender_email: str | None = Field(default=None, index=True)
    recipients: str | None = None
    subject: str = ""
    body_text: str = ""
    received_at: str = Field(index=True)
    raw_hash: str | None = None  # the original, byte for byte: a blob (db.blobs), named by its SHA-256
    message_id_header: str | None = Field(default=None, index=True)
    in_reply_to: str | None = None
    references_header: str | None = None
    content_hash: str = Field(index=True)
    triage: str = "new"  # new|auto_filed|suggested|campaign|done|ignored|outbox|sent (indexed by the two above)
    case_id: str | None = Field(default=None, index=True)
    constituent_id: str | None = Field(default=None, index=True)
    campaign_id: str | None = Field(default=None, index=True)
    suggested_case_id: str | None = None
    suggested_constituent_id: str | None = None
    suggestion_reason: str | None = None
    suggested_elector_key: str | None = None  # an elector matched by signature name + postcode
    flags: str = ""  # comma separated: charset_replaced, differs_from_campaign, html_only, ...
    source: str | None = None  # file name it was imported from
    author_id: str | None = None  # staff member who logged a call/letter/walk-in


class Attachment(Shared, table=True):
    """A file attached to a message or case, kept encrypted inside the database."""

    __tablename__ = "attachments"

    message_id: str | None = Field(default=None, index=True)
    case_id: str | None = Field(default=None, index=True)
    filename: str
    content_type: str = "application/octet-stream"
    size: int = 0
    blob_hash: str = ""  # its bytes: a blob (db.blobs), named by its SHA-256 ("" once erased)


class Note(Shared, table=True):
    """A note on a case. Append-only: a correction is a new note."""

    __tablename__ = "notes"

    case_id: str = Field(index=True)
    author_id: str | None = None
    body: str
    confidential: bool = False
    kind: str = "note"  # note | call | status | system


class Task(Shared, table=True):
    """Something to do on a case by a date."""

    __tablename__ = "tasks"

    case_id: str = Field(index=True)
    title: str
    due_date: str | None = Field(default=None, index=True)
    assignee_id: str | None = Field(default=None, index=True)
    done: bool = False
    done_at: str | None = None


class Contact(Shared, table=True):
    """A third party: council department, police, NHS body, agency MP hotline, minister."""

    __tablename__ = "contacts"

    organisation: str = Field(index=True)
    department: str | None = None
    kind: str = "agency"  # council | police | nhs | agency | minister | other
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    preferred_route: str = "email"  # email | phone | letter | portal
    reply_days: int = 20  # working days to wait before chasing
    notes: str | None = None


class LetterTemplate(Shared, table=True):
    """A letter or reply template with merge fields such as {constituent_name}."""

    __tablename__ = "letter_templates"

    name: str = Field(index=True)
    kind: str = "letter"  # letter | reply | chase | acknowledgement
    subject: str = ""
    body: str


class Letter(Shared, table=True):
    """A letter written on a case from a template (stored on the timeline)."""

    __tablename__ = "letters"

    case_id: str = Field(index=True)
    template_id: str | None = None
    recipient_contact_id: str | None = None
    recipient_name: str = ""
    subject: str = ""
    body_text: str
    author_id: str | None = None
    sent_on: str | None = None


class Interest(Shared, table=True):
    """An entry on the Register of Interests of Members' Secretaries and Research Assistants."""

    __tablename__ = "interests"

    staff_id: str = Field(index=True)
    kind: str  # employment | gift | benefit | bursary | councillor | party
    source: str
    value_pence: int
    received_on: str = Field(index=True)
    description: str = ""
    to_charity: bool = False
    not_advantaged: bool = False
    not_advantaged_reason: str | None = None


class AuditEvent(Shared, table=True):
    """Who did what, when. Append-only and synced."""

    __tablename__ = "audit_events"

    at: str = Field(index=True)
    staff_id: str | None = Field(default=None, index=True)
    action: str = Field(index=True)
    target: str | None = None
    detail: str = ""


class SubjectAccessRequest(Shared, table=True):
    """A data-protection subject access request and its due date."""

    __tablename__ = "subject_access_requests"

    constituent_id: str = Field(index=True)
    received_on: str
    due_on: str
    extended_to: str | None = None
    completed_on: str | None = None
    notes: str = ""
    # issue 17 (0009_rights.sql): a request made by someone else for the person, and why it was extended
    requester_name: str | None = None  # a representative (solicitor, parent, advocate); None: the person
    requester_relation: str | None = None  # "solicitor", "parent", ...
    requester_address: str | None = None  # where the covering letter goes when a representative asked
    authority: str | None = None  # the authority seen for a representative (signed form, court order...)
    extension_reason: str | None = None  # complex | numerous (UK GDPR Art. 12(3))


class Setting(Shared, table=True):
    """An office-wide setting shared between machines (office name, MP, retention policy...)."""

    __tablename__ = "settings"

    key: str = Field(index=True, unique=True)
    value: str = ""


class KeySlotRecord(Shared, table=True):
    """A copy of one passphrase or recovery key slot, so staff added on one machine can unlock every
    machine. It holds only the wrapped data key (safe to replicate); keyring slots stay local."""

    __tablename__ = "key_slots"
    slot_id: str = Field(index=True, unique=True)
    staff_id: str | None = None
    slot_json: str


# -- the office mailbox (DESIGN §5a) ------------------------------------------------------------
class MailAccount(Shared, table=True):
    """An office mailbox: its servers, the folders fetched, and which machine fetches and sends."""

    __tablename__ = "mail_accounts"

    name: str = Field(index=True)
    kind: str = "imap"  # imap | microsoft365
    address: str  # the From address of everything sent from it
    display_name: str = ""  # the From name (the MP's name when empty)
    user: str  # the login; for Microsoft 365 the mailbox address (a shared mailbox's too)
    imap_host: str
    imap_port: int
    imap_security: str = "ssl"  # ssl | starttls
    smtp_host: str
    smtp_port: int
    smtp_security: str = "ssl"
    trust_fingerprint: str | None = None  # SHA-256 of a self-signed certificate trusted on purpose
    folders: str = "INBOX"  # comma separated: the folders fetched
    sent_folder: str | None = None  # where sent mail is kept (found on the server)
    server_saves_sent: bool = False  # the server files what SMTP sends in Sent itself (Microsoft 365)
    mail_site: str | None = None  # site id of the office's machine that fetches and sends for it
    client_id: str | None = None  # Microsoft 365: the app registration used to sign in
    tenant: str | None = None
    send_per_minute: int = 20  # campaign acknowledgements are paced to this


class MailSecret(Shared, table=True):
    """An account's password or Microsoft token cache, sealed with a key derived from the office key, so
    it is never readable in the op log, a bundle or a conflict list (the file itself is encrypted too)."""

    __tablename__ = "mail_secrets"

    account_id: str = Field(index=True)
    sealed: str  # base64 of nonce + AES-GCM ciphertext


class MailFolder(Shared, table=True):
    """How far a folder of an account has been fetched: resumable by UIDVALIDITY and UID."""

    __tablename__ = "mail_folders"

    account_id: str = Field(index=True)
    name: str
    uidvalidity: int = 0
    last_uid: int = 0
    problem: str | None = None  # what went wrong last (the folder vanished, was renumbered...)


class OutgoingMail(Shared, table=True):
    """An outgoing message's way out: draft → awaiting approval → queued → sending → sent | failed.
    The message itself (what the case timeline shows, its raw with the fixed Message-ID) is `message_id`."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_state_due", "state", "next_attempt_at"),)

    message_id: str = Field(index=True, unique=True)
    account_id: str | None = None
    state: str = Field(default="draft", index=True)
    reason: str | None = None  # why it failed or is waiting (the server's words)
    attempts: int = 0
    next_attempt_at: str | None = None
    queued_at: str | None = None
    sending_site: str | None = None  # the machine that started sending it
    sent_at: str | None = None
    in_sent_folder: bool = False
    exported_at: str | None = None  # written out as .eml for another program (not sent)
    approved_by: str | None = None
    batch: str | None = Field(default=None, index=True)  # a campaign acknowledgement run


# -- local tables (never synced) ---------------------------------------------------------------
class OfficeMeta(SQLModel, table=True):
    """This replica's own facts: office id, site id and code, counters, clock."""

    __tablename__ = "office_meta"
    key: str = Field(primary_key=True)
    value: str


class Op(SQLModel, table=True):
    """One change to shared data. Ops are never changed; the visible row is derived from them."""

    __tablename__ = "ops"
    __table_args__ = (Index("ix_ops_erase", "tbl", "row_id", sqlite_where=text("field = '$erase'")),)

    site: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    hlc: int = Field(index=True)
    tbl: str
    row_id: str = Field(index=True)
    field: str  # a column name, or "*" for a whole-row insert
    value: str  # JSON
    prev_site: str | None = None  # the op this one supersedes (the head whose value the writer saw)
    prev_seq: int | None = None
    supersedes: str | None = None  # JSON [[site, seq], ...]: the field's other heads it saw (open conflicts)


class FieldHead(SQLModel, table=True):
    """The heads of each (table, row, field): the ops no later op supersedes. The latest by (hlc, site,
    seq) is the value shown; a new op names every head as seen (its `prev` and `supersedes`)."""

    __tablename__ = "field_head"
    tbl: str = Field(primary_key=True)
    row_id: str = Field(primary_key=True)
    field: str = Field(primary_key=True)
    hlc: int
    site: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)


class Conflict(SQLModel, table=True):
    """A concurrent edit that lost the merge, kept so a person can choose."""

    id: str = Field(primary_key=True)
    tbl: str = Field(index=True)
    row_id: str = Field(index=True)
    field: str
    winner_site: str
    winner_seq: int
    loser_site: str
    loser_seq: int
    loser_value: str  # JSON
    resolved: bool = Field(default=False, index=True)


class Erased(SQLModel, table=True):
    """The erasure record: every shared row an erasure has reached on this replica (derived from the `$erase`
    ops and `ERASURE_LINKS`, so every replica holding the same ops holds the same set). Nothing may be
    written about these rows again; anything about them that arrives is redacted on arrival."""

    __tablename__ = "erased"
    tbl: str = Field(primary_key=True)
    row_id: str = Field(primary_key=True)


class LinkHistory(SQLModel, table=True):
    """Earlier values of the link columns of `ERASURE_LINKS`, for rows whose link was changed (a message
    refiled, a case moved to a merged record): an erasure reaches every row that was ever about the person."""

    __tablename__ = "link_history"
    tbl: str = Field(primary_key=True)
    row_id: str = Field(primary_key=True)
    col: str = Field(primary_key=True)
    target: str = Field(primary_key=True, index=True)


class Blob(SQLModel, table=True):
    """Raw mail and attachments, once each by content (db.blobs). Local: rows and ops name a blob by its
    hash and bundles carry the blobs their ops name, so a blob is never an op itself."""

    __tablename__ = "blobs"
    hash: str = Field(primary_key=True)  # SHA-256 of the bytes, hex
    size: int  # of the bytes (not as stored)
    codec: str = ""  # "" as they are | "zlib"
    data: bytes


class Peer(SQLModel, table=True):
    """Another machine of this office, and what we know of it."""

    site: str = Field(primary_key=True)
    code: str = ""
    label: str = ""
    retired: bool = False
    acked: str = "{}"  # JSON version vector the peer has acknowledged receiving from us
    last_import_at: str | None = None
    last_export_at: str | None = None


class RegisterPublication(SQLModel, table=True):
    """One imported electoral register file (a council's publication)."""

    __tablename__ = "register_publication"
    id: str = Field(primary_key=True)
    council: str = Field(index=True)
    source_file: str
    format: str
    published_on: str | None = None
    imported_at: str
    rows: int = 0
    current: bool = True


class Elector(SQLModel, table=True):
    """One row of an imported electoral register. Local to the office: never exported or synced."""

    __tablename__ = "electors"
    __table_args__ = (Index("ix_electors_by_name", "surname", "forename", "id"),)  # the bulk list, by name

    id: str = Field(primary_key=True)
    publication_id: str = Field(index=True)
    elector_key: str = Field(index=True)  # stable across publications: council|pd|eno|suffix|name
    pd: str = ""
    eno: int | None = None
    suffix: int = 0
    markers: str = ""
    title: str | None = None
    forename: str = ""
    surname: str = ""
    initials: str | None = None
    date_of_birth: str | None = None
    attainment_date: str | None = None
    franchise: str | None = None
    open_register_optout: bool = False
    address: str = ""
    postcode: str = Field(default="", index=True)
    uprn: str | None = Field(default=None)
    name_key: str = Field(default="")  # folded "forename surname" for search


SHARED_TABLES: dict[str, type[Shared]] = {
    model.__tablename__: model  # type: ignore[misc]
    for model in (Staff, Constituent, Consent, Case, CaseParty, Campaign, Message, Attachment, Note,
                  Task, Contact, LetterTemplate, Letter, Interest, AuditEvent, SubjectAccessRequest,
                  Setting, KeySlotRecord, MailAccount, MailSecret, MailFolder, OutgoingMail)
}
APPEND_ONLY = {"notes", "messages", "audit_events"}
# The columns that name a blob (db.blobs) by its hash: bundles carry the blobs these name; a blob no row
# names is garbage (erasure blanks the hash).
BLOB_COLUMNS: dict[str, tuple[str, ...]] = {"messages": ("raw_hash",), "attachments": ("blob_hash",)}

# What an erasure reaches (sync.merge applies it on every replica; db.writes refuses new writes about it):
# a row is erased when it has a `$erase` op of its own, or when any value one of these link columns ever
# held names an erased row of the target table. Link columns are never blanked by an erasure.
ERASURE_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "constituents": (("merged_into", "constituents"),),  # a duplicate merged into the erased person
    "cases": (("constituent_id", "constituents"),),
    "consents": (("constituent_id", "constituents"), ("case_id", "cases")),
    "subject_access_requests": (("constituent_id", "constituents"),),
    "case_parties": (("constituent_id", "constituents"), ("case_id", "cases")),
    "messages": (("constituent_id", "constituents"), ("case_id", "cases")),
    "notes": (("case_id", "cases"),),
    "tasks": (("case_id", "cases"),),
    "letters": (("case_id", "cases"),),
    "attachments": (("case_id", "cases"), ("message_id", "messages")),
    "outgoing_mail": (("message_id", "messages"),),  # an erased person's mail is never sent
}
LINK_COLUMNS = frozenset(col for links in ERASURE_LINKS.values() for col, _ in links)

# Fields that must agree with each other: every write of one writes them all (db.writes), and sync.merge
# takes them all from the one winning write (the rules are written down in sync/merge.py, INVARIANTS).
# The first field leads: its concurrent values are the group's conflict.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "cases": ("status", "outcome", "closed_at", "awaiting_since"),
    "tasks": ("done", "done_at"),
}


# -- issue 17: a constituent's rights ------------------------------------------------------------
class RedactionDecision(Shared, table=True):
    """A reviewer's decision on one proposed redaction in a person's subject access pack: `keep` it withheld
    or `release` it. `key` names the passage (services.sar_redaction.Proposal.key: where it is and what it
    says, hashed), so the decision holds for every pack made for that person until the text changes."""

    __tablename__ = "redaction_decisions"

    constituent_id: str = Field(index=True)  # the data subject
    request_id: str | None = None  # the request it was made for
    key: str = Field(index=True)
    decision: str  # keep | release


SHARED_TABLES[RedactionDecision.__tablename__] = RedactionDecision
ERASURE_LINKS["redaction_decisions"] = (("constituent_id", "constituents"), ("request_id", "subject_access_requests"))


# -- advice surgeries (issue 15) -----------------------------------------------------------------
class Surgery(Shared, table=True):
    """An advice surgery: a day, a place, its hours, who holds it, and the length of its slots."""

    __tablename__ = "surgeries"

    held_on: str = Field(index=True)  # YYYY-MM-DD
    place: str
    starts_at: str  # "HH:MM", local time
    ends_at: str
    slot_minutes: int = 15
    held_by_id: str | None = None  # the MP or a caseworker (staff)
    notes: str = ""


class Appointment(Shared, table=True):
    """A constituent's booking at a surgery, or a walk-in on the day, and what became of it."""

    __tablename__ = "appointments"

    surgery_id: str = Field(index=True)
    constituent_id: str | None = Field(default=None, index=True)
    slot: str | None = None  # "HH:MM"; none for a walk-in
    walk_in: bool = False
    topic: str = ""
    phone: str | None = None  # the number to reach them about this booking
    interpreter_language: str | None = None
    access_needs: str | None = None
    status: str = Field(default="booked", index=True)  # booked | arrived | seen | no_show | cancelled
    arrived_at: str | None = None
    seen_at: str | None = None
    case_id: str | None = Field(default=None, index=True)  # the case the visit was captured on
    case_opened: bool = False  # ...and whether the visit opened it
    confirmation_id: str | None = None  # the confirmation email (a message in the outbox)
    reminder_id: str | None = None  # the reminder email


SHARED_TABLES.update({Surgery.__tablename__: Surgery, Appointment.__tablename__: Appointment})
ERASURE_LINKS["appointments"] = (("constituent_id", "constituents"), ("case_id", "cases"))


# -- the MP's desk (issue 16): sign-off, letterhead images, the government directory -----------------
class ApprovalRule(Shared, table=True):
    """What the office wants signed off before it leaves: letters and/or emails written from a template, on
    a case of a category, to a kind of recipient (a minister...), or everything."""

    __tablename__ = "approval_rules"

    kind: str  # template | category | recipient_kind | all
    value: str = ""  # the template's name, the category, the recipient kind ("" for all)
    applies_to: str = "both"  # letter | email | both


class Approval(Shared, table=True):
    """A letter or email that needs sign-off, and the decision on it (pending → approved | returned)."""

    __tablename__ = "approvals"
    __table_args__ = (Index("ix_approvals_state", "deleted", "state"),)

    target_kind: str  # letter | email
    target_id: str = Field(index=True)  # the letter's id, or the outgoing message's id
    case_id: str | None = Field(default=None, index=True)
    reason: str = ""  # why it needs sign-off (the rule, or "asked for by the writer")
    state: str = "pending"  # pending | approved | returned
    requested_by: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    comment: str | None = None  # the approver's words when returning it
    approved_hash: str | None = None  # SHA-256 of the subject and text approved: a later edit needs sign-off again


class OfficeImage(Shared, table=True):
    """An image of the letterhead (the logo, the MP's signature), read once and kept inside the office."""

    __tablename__ = "office_images"

    name: str = Field(index=True)  # logo | signature
    filename: str = ""
    content_type: str = "image/png"
    blob_hash: str = ""  # its bytes: a blob (db.blobs)


class DirectoryEntry(Shared, table=True):
    """A government department, agency or public body (or a minister, or the office's own route to one)."""

    __tablename__ = "directory_entries"

    organisation: str = Field(index=True)
    department: str = ""  # a part of it (an MPs' enquiry line, a named team)
    kind: str = "department"  # department | agency | public_body | minister | route
    name: str = ""  # a minister's or named officer's name
    role: str = ""  # e.g. "Secretary of State for Work and Pensions"
    address: str = ""  # the public postal address, one part per line
    email: str = ""
    phone: str = ""
    notes: str = ""
    source: str = "office"  # starter | office


SHARED_TABLES.update({m.__tablename__: m for m in (ApprovalRule, Approval, OfficeImage, DirectoryEntry)})  # type: ignore[misc]
BLOB_COLUMNS["office_images"] = ("blob_hash",)
ERASURE_LINKS["approvals"] = (("case_id", "cases"),)
LINK_COLUMNS = frozenset(col for links in ERASURE_LINKS.values() for col, _ in links)
