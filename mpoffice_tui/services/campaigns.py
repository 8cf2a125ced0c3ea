"""Campaigns: group near-identical emails (a pressure group's template with small personal edits).

Each body is normalised (quoted replies cut, lower case, words only) into word 3-shingles hashed
with crc32. A bottom-k sketch (the k smallest hashes) of each recent message is kept in an inverted
index, so a new message is compared only with the few messages sharing sketch values (a bounded
candidate set: import speed does not depend on the size of the office). A candidate joins when most
of the shorter text is contained in the longer one. Three different senders make a campaign.

A campaign's template is its shortest member. A message whose own sentences (those not in the
template) tell of the writer's own situation, or are long, is flagged `differs_from_campaign`: a real
case hiding in a campaign. The ordinary small personal edits (a greeting, a name, an address, a line on
why the topic matters to them) are not.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field

K = 32  # sketch size
MIN_SHARED = 12  # shingles two texts must share to be compared at all
JOIN_CONTAINMENT = 0.6  # share of the shorter text found in the longer one
OWN_SENTENCE = 0.5  # a sentence with less than this share of its shingles in the template is the writer's own
PERSONAL_MIN_WORDS = 12  # own words that, telling of the writer's situation, make a message stand out
PERSONAL_LONG = 60  # own words that make a message stand out whatever they say
MIN_SENDERS = 3  # distinct senders that make a campaign
MAX_POSTING = 100  # ignore sketch values shared by more documents than this (boilerplate)
RECENT = 3000  # recent un-grouped messages kept as candidates
BODY_KEPT = 4000  # characters of each candidate's text kept to find what it adds to a template

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_QUOTE_START = re.compile(r"^\s*(-{2,} ?Original Message|On .{5,120} wrote:\s*$|From: .+)", re.I)


# Words that tell of a writer's own situation (casework), as opposed to their view of the campaign's topic.
FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "we", "us", "our", "ours"})
SITUATION_WORDS = frozenset(["help", "urgent", "urgently", "behalf", "assist", "advice", "contact", "council", "landlord", "tenant", "tenancy", "flat", "house", "home", "rent", "arrears", "evicted", "eviction", "homeless", "repair", "repairs", "repaired", "disrepair", "damp", "mould", "benefit", "benefits", "dwp", "pension", "credit", "universal", "pip", "esa", "allowance", "sanction", "sanctioned", "visa", "passport", "asylum", "hospital", "nhs", "gp", "doctor", "appointment", "operation", "treatment", "medication", "ill", "illness", "sick", "disabled", "disability", "carer", "school", "son", "daughter", "mother", "father", "husband", "wife", "partner", "child", "children", "baby", "stopped", "refused", "lost", "owed", "debt", "debts", "money", "afford", "pay", "paid", "bill", "bills", "heating", "letter", "reference", "claim", "appeal", "deadline", "compensation", "insurance", "job", "dismissed", "redundant", "flooded", "flooding"])
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_SIGN_OFF = re.compile(r"^\s*(yours( sincerely| faithfully| truly)?|regards|kind regards|best regards|best wishes|"
                       r"many thanks|thanks|thank you|best|cheers|sincerely|warm regards)[,.!]?\s*$", re.I)


def normalise(body: str) -> list[str]:
    """The writer's own words, lower case (quoted replies and signatures separators cut)."""
    own = []
    for line in (body or "")[:100_000].splitlines():
        if line.startswith(">"):
            continue
        if _QUOTE_START.match(line):
            break
        if line.strip() == "--":
            break
        own.append(line)
    return _WORD.findall("\n".join(own).lower())


def shingles(body: str) -> frozenset[int]:
    """Hashed word 3-shingles (Python's hash: stable within a process, which is all the index needs)."""
    words = normalise(body)
    if len(words) < 3:
        return frozenset({hash(tuple(words)) & 0xFFFFFFFF}) if words else frozenset()
    return frozenset(hash(t) & 0xFFFFFFFF for t in zip(words, words[1:], words[2:], strict=False))


def sketch(sh: frozenset[int]) -> tuple[int, ...]:
    return tuple(sorted(sh)[:K])


def signature_text(text: str) -> str:
    """A campaign's stored signature: a bottom-k sketch of crc32 shingles (stable across machines)."""
    words = normalise(text)
    hashes = sorted({zlib.crc32(" ".join(t).encode()) for t in zip(words, words[1:], words[2:], strict=False)})
    return " ".join(f"{v:08x}" for v in hashes[:K])


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """Share of the smaller set found in the other."""
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    if not small:
        return 0.0
    return len(small & big) / len(small)


def _own_lines(body: str) -> list[str]:
    """The writer's own lines: quoted replies cut, and everything from the sign-off on (name, address)."""
    own = []
    for line in (body or "")[:100_000].splitlines():
        if line.startswith(">"):
            continue
        if _QUOTE_START.match(line) or line.strip() == "--" or _SIGN_OFF.match(line):
            break
        own.append(line)
    return own


def personal_text(body: str, template: frozenset[int]) -> str:
    """The sentences a campaign email adds to the campaign's text when they make it stand out: long, or
    telling of the writer's own situation (first person, and words of casework); '' otherwise."""
    own: list[tuple[str, list[str]]] = []
    for sentence in _SENTENCE.split("\n".join(_own_lines(body))):
        words = _WORD.findall(sentence.lower())
        if not words:
            continue
        sh = shingles(sentence)
        if sh and template and len(sh & template) / len(sh) >= OWN_SENTENCE:
            continue  # the campaign's own sentence (perhaps lightly edited)
        own.append((" ".join(sentence.split()), words))
    words = [w for _, ws in own for w in ws]
    situation = {w for w in words if w in SITUATION_WORDS}
    first_person = any(w in FIRST_PERSON for w in words)
    if len(words) >= PERSONAL_LONG or (len(words) >= PERSONAL_MIN_WORDS and first_person and len(situation) >= 2):
        return " ".join(text for text, ws in own if len(ws) > 3)
    return ""


def differs_reason(own: str) -> str:
    """The reason shown with a flagged campaign email: the start of what the writer added."""
    quote = own if len(own) <= 90 else own[:87].rsplit(" ", 1)[0] + "…"
    return f"campaign email with words of its own (\"{quote}\"): it may carry a real case"


@dataclass
class Doc:
    id: str
    sender: str
    sh: frozenset[int]
    campaign_id: str | None = None
    body: str = ""


@dataclass
class Decision:
    """What to do with a new message."""

    campaign_id: str | None = None  # join this existing campaign
    form_with: list[str] = field(default_factory=list)  # earlier message ids: make a new campaign of these + it
    template_id: str | None = None  # for a new campaign: the member whose text is the template
    own: str = ""  # what this message adds that makes it stand out (see personal_text); '' when nothing
    differing: dict[str, str] = field(default_factory=dict)  # earlier members that stand out from a new template

    @property
    def differs(self) -> bool:
        return bool(self.own)


class CampaignIndex:
    """Recent messages and campaign templates, indexed by sketch value."""

    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}
        self.campaigns: dict[str, frozenset[int]] = {}  # campaign id -> template shingles
        self.postings: dict[int, list[str]] = {}
        self.campaign_postings: dict[int, list[str]] = {}

    @classmethod
    def load(cls, conn) -> CampaignIndex:
        """Campaign templates and the most recent un-grouped incoming emails."""
        index = cls()
        for cid, text in conn.exec_driver_sql(
                "SELECT id, template_text FROM campaigns WHERE deleted = 0").fetchall():
            index.add_campaign(cid, shingles(text))
        rows = []
        for lane in ("new", "suggested"):  # one index-ordered scan per lane (no sort of a big lane)
            rows += conn.exec_driver_sql(
                "SELECT id, sender_email, body_text FROM messages INDEXED BY ix_messages_triage_received "
                "WHERE triage = ? AND direction = 'in' AND channel = 'email' AND campaign_id IS NULL "
                "AND deleted = 0 ORDER BY received_at DESC, id DESC LIMIT ?", (lane, RECENT // 2)).fetchall()
        for mid, sender, body in rows:
            index.add(mid, sender or "", shingles(body), body=body)
        return index

    def add_campaign(self, cid: str, sh: frozenset[int]) -> None:
        self.campaigns[cid] = sh
        for v in sketch(sh):
            self.campaign_postings.setdefault(v, []).append(cid)

    def add(self, mid: str, sender: str, sh: frozenset[int], campaign_id: str | None = None, body: str = "") -> None:
        if mid in self.docs or len(sh) < MIN_SHARED:
            return
        self.docs[mid] = Doc(mid, sender, sh, campaign_id, (body or "")[:BODY_KEPT])
        for v in sketch(sh):
            self.postings.setdefault(v, []).append(mid)

    def _candidates(self, sk: tuple[int, ...], postings: dict[int, list[str]]) -> list[str]:
        counts: Counter[str] = Counter()
        for v in sk:
            ids = postings.get(v)
            if ids and len(ids) <= MAX_POSTING:
                counts.update(ids)
        need = max(2, len(sk) // 8)
        found = [(n, i) for i, n in counts.items() if n >= need]
        return [i for _, i in sorted(found, reverse=True)[:20]]

    def decide(self, sender: str, sh: frozenset[int], body: str = "") -> Decision:
        """Where a new message with these shingles (and this text) belongs (no side effects)."""
        if len(sh) < MIN_SHARED:
            return Decision()
        sk = sketch(sh)
        for cid in self._candidates(sk, self.campaign_postings):
            tpl = self.campaigns[cid]
            if len(sh & tpl) >= MIN_SHARED and containment(sh, tpl) >= JOIN_CONTAINMENT:
                return Decision(campaign_id=cid, own=personal_text(body, tpl))
        group = []
        for mid in self._candidates(sk, self.postings):
            doc = self.docs[mid]
            if len(sh & doc.sh) >= MIN_SHARED and containment(sh, doc.sh) >= JOIN_CONTAINMENT:
                if doc.campaign_id:
                    tpl = self.campaigns.get(doc.campaign_id, doc.sh)
                    return Decision(campaign_id=doc.campaign_id, own=personal_text(body, tpl))
                group.append(doc)
        senders = {d.sender for d in group} | {sender}
        if len(senders) < MIN_SENDERS:
            return Decision()
        members = group + [Doc("", sender, sh, body=body)]
        template = min(members, key=lambda d: len(d.sh))
        differing = {d.id: own for d in group if d is not template and (own := personal_text(d.body, template.sh))}
        own = personal_text(body, template.sh) if template.id else ""
        return Decision(form_with=[d.id for d in group], template_id=template.id or None, own=own,
                        differing=differing)

    def grouped(self, mids: list[str], cid: str) -> None:
        for mid in mids:
            if mid in self.docs:
                self.docs[mid].campaign_id = cid


def campaign_name(subject: str) -> str:
    subject = re.sub(r"^\s*((re|fwd?|fw)\s*:\s*)+", "", subject or "", flags=re.I).strip()
    return f"Campaign: {subject[:80]}" if subject else "Campaign"


# -- reading campaigns for the UI and CLI ---------------------------------------------------------
@dataclass(frozen=True)
class CampaignView:
    id: str
    name: str
    messages: int
    senders: int
    differing: int
    template_text: str


def find_campaign(office, token: str) -> tuple[str, str]:
    """(id, name) of the one live campaign whose id is `token` or whose name contains it (any case)."""
    from mpoffice_tui.db.errors import OfficeError

    want = token.strip().casefold()
    with office.engine.connect() as conn:
        found = [(r[0], r[1]) for r in conn.exec_driver_sql("SELECT id, name FROM campaigns WHERE deleted = 0")
                 if r[0] == token or want in (r[1] or "").casefold()]
    if len(found) != 1:
        raise OfficeError(f"{'no' if not found else 'more than one'} campaign matches {token!r}")
    return found[0]


def list_campaigns(office) -> list[CampaignView]:
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.id, c.name, c.template_text, count(m.id), count(DISTINCT m.sender_email), "
            "sum(CASE WHEN m.flags LIKE '%differs_from_campaign%' THEN 1 ELSE 0 END) "
            "FROM campaigns c LEFT JOIN messages m ON m.campaign_id = c.id AND m.deleted = 0 "
            "AND m.direction = 'in' WHERE c.deleted = 0 GROUP BY c.id ORDER BY c.created_at DESC, c.id").fetchall()
    return [CampaignView(r[0], r[1], r[3], r[4], int(r[5] or 0), r[2]) for r in rows]
