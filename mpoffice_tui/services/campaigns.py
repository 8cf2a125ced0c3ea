"""Campaigns: group near-identical emails (a pressure group's template with small personal edits).

Each body is normalised (quoted replies cut, lower case, words only) into word 3-shingles hashed
with crc32. A bottom-k sketch (the k smallest hashes) of each recent message is kept in an inverted
index, so a new message is compared only with the few messages sharing sketch values (a bounded
candidate set: import speed does not depend on the size of the office). A candidate joins when most
of the shorter text is contained in the longer one. Three different senders make a campaign.

A campaign's template is its shortest member; a message that adds a lot of its own text (a real
case hiding in a campaign) is flagged `differs_from_campaign`.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field

K = 32  # sketch size
MIN_SHARED = 12  # shingles two texts must share to be compared at all
JOIN_CONTAINMENT = 0.6  # share of the shorter text found in the longer one
DIFFERS_EXTRA = 40  # shingles of its own a message must add to "differ materially"
MIN_SENDERS = 3  # distinct senders that make a campaign
MAX_POSTING = 100  # ignore sketch values shared by more documents than this (boilerplate)
RECENT = 3000  # recent un-grouped messages kept as candidates

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_QUOTE_START = re.compile(r"^\s*(-{2,} ?Original Message|On .{5,120} wrote:\s*$|From: .+)", re.I)


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


@dataclass
class Doc:
    id: str
    sender: str
    sh: frozenset[int]
    campaign_id: str | None = None


@dataclass
class Decision:
    """What to do with a new message."""

    campaign_id: str | None = None  # join this existing campaign
    form_with: list[str] = field(default_factory=list)  # earlier message ids: make a new campaign of these + it
    template_id: str | None = None  # for a new campaign: the member whose text is the template
    differs: bool = False
    differing: list[str] = field(default_factory=list)  # earlier members that differ from a new template


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
            index.add(mid, sender or "", shingles(body))
        return index

    def add_campaign(self, cid: str, sh: frozenset[int]) -> None:
        self.campaigns[cid] = sh
        for v in sketch(sh):
            self.campaign_postings.setdefault(v, []).append(cid)

    def add(self, mid: str, sender: str, sh: frozenset[int], campaign_id: str | None = None) -> None:
        if mid in self.docs or len(sh) < MIN_SHARED:
            return
        self.docs[mid] = Doc(mid, sender, sh, campaign_id)
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

    @staticmethod
    def differs(sh: frozenset[int], template: frozenset[int]) -> bool:
        return len(sh - template) >= DIFFERS_EXTRA

    def decide(self, sender: str, sh: frozenset[int]) -> Decision:
        """Where a new message with these shingles belongs (no side effects)."""
        if len(sh) < MIN_SHARED:
            return Decision()
        sk = sketch(sh)
        for cid in self._candidates(sk, self.campaign_postings):
            tpl = self.campaigns[cid]
            if len(sh & tpl) >= MIN_SHARED and containment(sh, tpl) >= JOIN_CONTAINMENT:
                return Decision(campaign_id=cid, differs=self.differs(sh, tpl))
        group = []
        for mid in self._candidates(sk, self.postings):
            doc = self.docs[mid]
            if len(sh & doc.sh) >= MIN_SHARED and containment(sh, doc.sh) >= JOIN_CONTAINMENT:
                if doc.campaign_id:
                    tpl = self.campaigns.get(doc.campaign_id, doc.sh)
                    return Decision(campaign_id=doc.campaign_id, differs=self.differs(sh, tpl))
                group.append(doc)
        senders = {d.sender for d in group} | {sender}
        if len(senders) < MIN_SENDERS:
            return Decision()
        members = group + [Doc("", sender, sh)]
        template = min(members, key=lambda d: len(d.sh))
        return Decision(form_with=[d.id for d in group], template_id=template.id or None,
                        differs=self.differs(sh, template.sh),
                        differing=[d.id for d in group if self.differs(d.sh, template.sh)])

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


def list_campaigns(office) -> list[CampaignView]:
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.id, c.name, c.template_text, count(m.id), count(DISTINCT m.sender_email), "
            "sum(CASE WHEN m.flags LIKE '%differs_from_campaign%' THEN 1 ELSE 0 END) "
            "FROM campaigns c LEFT JOIN messages m ON m.campaign_id = c.id AND m.deleted = 0 "
            "AND m.direction = 'in' WHERE c.deleted = 0 GROUP BY c.id ORDER BY c.created_at DESC, c.id").fetchall()
    return [CampaignView(r[0], r[1], r[3], r[4], int(r[5] or 0), r[2]) for r in rows]
