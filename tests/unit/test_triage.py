"""Inbox triage on a real encrypted office (issue 19, points 1, 2, 4, 5 and 6): undo that undoes, a third
party's reply recorded, campaign emails that carry a case, finding the case to file to, and new cases
that find the person the office already knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Campaign, Case, Constituent, Message
from mpoffice_tui.services import cases, contacts, filing, inbox, letters, lists, replies

TEMPLATE = ("I am writing as your constituent to urge you to support the Clean Rivers Bill when it comes before "
            "Parliament next month. Sewage discharges into our rivers and seas have reached record levels, "
            "harming wildlife, public health and the local economy. Water companies must be held to account and "
            "investment in infrastructure must come before shareholder dividends.\n\nPlease commit to voting for "
            "the Bill and to raising this issue with the Secretary of State. Our rivers cannot wait any longer.")


@pytest.fixture(autouse=True)
def _pinned_day(monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2026-03-20")


def eml(folder: Path, name: str, sender: str, subject: str, body: str, *, date: str = "Mon, 09 Mar 2026 10:00:00 +0000",
        extra: str = "") -> Path:
    path = folder / name
    path.write_text(f"From: {sender}\nTo: office@example.org\nSubject: {subject}\nDate: {date}\n"
                    f"Message-ID: <{name}@test>\n{extra}Content-Type: text/plain; charset=utf-8\n\n{body}\n",
                    encoding="utf-8")
    return path


def import_one(office, folder: Path, *args, **kwargs) -> str:
    report = inbox.import_paths(office, [eml(folder, *args, **kwargs)])
    assert report.imported == 1, report.rejected
    return report.message_ids[0]


@pytest.fixture
def ada(office):
    """Ada Okafor and her open case A-00001 (Damp flat), with the council's housing team as a third party
    contacted on 2 February and not yet replied."""
    with office.writing() as w:
        who = w.insert(Constituent, forenames="Ada", surname="Okafor", email="ada@example.org", postcode="AB1 2CD")
        case = w.insert(Case, ref="A-00001", title="Damp flat", constituent_id=who.id, status="awaiting_third_party",
                        category="Housing", opened_at="2026-01-02T10:00:00Z")
    council = contacts.add_contact(office, organisation="Wexcombe Council", department="Housing Repairs",
                                   kind="council", email="repairs@wexcombe.gov.example", reply_days=10)
    party = cases.add_party(office, "A-00001", "agency", contact_id=council.id, contacted_on="2026-02-02")
    return who.id, case.id, party.id


def timeline_ids(office, ref: str) -> set[str]:
    return {i.id for i in cases.get_case(office, ref).timeline}


def live(office, model, row_id) -> bool:
    with office.read() as s:
        obj = s.get(model, row_id)
    return obj is not None and not obj.deleted


# -- 1. undo undoes ---------------------------------------------------------------------------------------
def test_undo_ignore_puts_the_message_back_in_its_lane(office, tmp_path, ada):
    mid = import_one(office, tmp_path, "a.eml", "Ada Okafor <ada@example.org>", "Still damp", "It is back.")
    assert inbox.get_message(office, mid).triage == "suggested"
    inbox.ignore(office, mid)
    done = inbox.undo(office, mid)
    after = inbox.get_message(office, mid)
    assert after.triage == "suggested" and after.suggested_case_ref == "A-00001"  # back where it was
    assert done.notice == "Undone: ignored (the message is now in Suggested)"


def test_undo_filing_takes_the_message_off_the_case_and_its_timeline(office, tmp_path, ada):
    _, case_id, _ = ada
    mid = import_one(office, tmp_path, "b.eml", "Mary Jones <mary@example.net>", "Bus stop", "It moved.")
    inbox.file_to_case(office, mid, "A-00001")
    assert mid in timeline_ids(office, "A-00001")
    done = inbox.undo(office, mid)
    after = inbox.get_message(office, mid)
    assert (after.triage, after.case_id, after.constituent_id) == ("new", None, None)
    assert mid not in timeline_ids(office, "A-00001")
    assert "filed to A-00001" in done.notice and "New" in done.notice


def test_undo_new_case_tombstones_the_case_and_the_person_it_made(office, tmp_path):
    mid = import_one(office, tmp_path, "c.eml", "Mary Jones <mary@example.net>", "Bus stop", "It moved.")
    filed = inbox.new_case(office, mid)
    done = inbox.undo(office, mid)
    assert not live(office, Case, filed.case_id) and not live(office, Constituent, filed.constituent_id)
    assert cases.count_cases(office) == 0 and inbox.get_message(office, mid).triage == "new"
    assert done.notice == (f"Undone: new case {filed.case_ref}; case {filed.case_ref} and the person it added "
                           "removed (the message is now in New)")
    again = inbox.new_case(office, mid)
    assert again.case_ref != filed.case_ref  # a tombstoned reference is never handed out again


def test_undo_accept_and_confirm_and_auto_filing(office, tmp_path, ada):
    suggested = import_one(office, tmp_path, "d.eml", "Ada Okafor <ada@example.org>", "Still damp", "Back.")
    inbox.accept_suggestion(office, suggested)
    inbox.undo(office, suggested)
    assert inbox.get_message(office, suggested).triage == "suggested"
    auto = import_one(office, tmp_path, "e.eml", "Ada Okafor <ada@example.org>", "Re: A-00001", "Thanks.")
    assert inbox.get_message(office, auto).triage == "auto_filed"
    inbox.accept_suggestion(office, auto)  # a confirms the auto-filing
    inbox.undo(office, auto)
    assert inbox.get_message(office, auto).triage == "auto_filed"  # back to Auto-filed, not to New
    done = inbox.undo(office, auto)  # and then the auto-filing itself
    after = inbox.get_message(office, auto)
    assert (after.triage, after.case_id, after.suggested_case_ref) == ("suggested", None, "A-00001")
    assert done.notice.startswith("Undone: auto-filed to A-00001")


def test_undo_mark_campaign_removes_the_campaign_it_made(office, tmp_path):
    mid = import_one(office, tmp_path, "f.eml", "Amy <amy@example.org>", "Rivers", TEMPLATE)
    cid = inbox.mark_campaign(office, mid)
    inbox.undo(office, mid)
    assert not live(office, Campaign, cid)
    after = inbox.get_message(office, mid)
    assert (after.triage, after.campaign_id) == ("new", None)


def test_undo_refuses_rather_than_lose_work(office, tmp_path, ada):
    mid = import_one(office, tmp_path, "g.eml", "Mary Jones <mary@example.net>", "Bus stop", "It moved.")
    filed = inbox.new_case(office, mid)
    cases.add_note(office, filed.case_ref, "Rang Mary back")
    with pytest.raises(OfficeError, match=f"case {filed.case_ref} has work on it since it was opened \\(1 note\\)"):
        inbox.undo(office, mid)
    assert live(office, Case, filed.case_id)
    other = import_one(office, tmp_path, "h.eml", "Bob <bob@example.net>", "Bins", "Not collected.")
    inbox.file_to_case(office, other, "A-00001")
    with office.writing() as w:  # someone else moves it meanwhile (another machine, through sync)
        w.update(w.get(Message, other), case_id=filed.case_id)
    with pytest.raises(OfficeError, match="the message changed since"):
        inbox.undo(office, other)


def test_nothing_to_undo_says_so(office, tmp_path):
    mid = import_one(office, tmp_path, "i.eml", "Bob <bob@example.net>", "Bins", "Not collected.")
    with pytest.raises(OfficeError, match="nothing to undo"):
        inbox.undo(office, mid)


# -- 2. an agency's reply is recorded as a reply ---------------------------------------------------------------
def test_filing_a_message_from_the_partys_domain_records_its_reply(office, tmp_path, ada):
    _, _, party_id = ada
    assert [c.party_id for c in letters.chase_due(office)] == [party_id]
    mid = import_one(office, tmp_path, "j.eml", "J Smith <j.smith@wexcombe.gov.example>", "Damp at 4 Mill Lane",
                     "We inspected the property.", date="Tue, 10 Mar 2026 09:00:00 +0000")
    filed = inbox.file_to_case(office, mid, "A-00001")
    assert filed.replied == ("Wexcombe Council — Housing Repairs",)
    [party] = cases.get_case(office, "A-00001").parties
    assert party.replied_on == "2026-03-10"  # the day the reply came, not the day it was filed
    assert letters.chase_due(office) == []  # no longer chased (F5, mpoffice chases)
    inbox.undo(office, mid)  # undo takes the reply back too
    assert cases.get_case(office, "A-00001").parties[0].replied_on is None
    assert [c.party_id for c in letters.chase_due(office)] == [party_id]


def test_an_auto_filed_reply_quoting_the_reference_is_recorded_and_undone(office, tmp_path, ada):
    mid = import_one(office, tmp_path, "k.eml", "Housing Officer <h.officer@gmail.com>", "Your ref A-00001",
                     "Wexcombe Council housing repairs: the works are booked.\n\nRegards,\nHousing Repairs")
    assert inbox.get_message(office, mid).triage == "auto_filed"
    assert cases.get_case(office, "A-00001").parties[0].replied_on == "2026-03-09"
    done = inbox.undo(office, mid)
    assert "reply from Wexcombe Council — Housing Repairs recorded" in done.notice
    assert cases.get_case(office, "A-00001").parties[0].replied_on is None


def test_the_constituent_quoting_her_reference_is_not_a_partys_reply(office, tmp_path, ada):
    import_one(office, tmp_path, "l.eml", "Ada Okafor <ada@example.org>", "Re: A-00001", "Any news?")
    assert cases.get_case(office, "A-00001").parties[0].replied_on is None


def test_a_reply_recorded_by_hand(office, ada):
    _, _, party_id = ada
    cases.mark_party_replied(office, party_id, "2026-03-12")
    assert cases.get_case(office, "A-00001").parties[0].replied_on == "2026-03-12"
    assert letters.chase_due(office) == []


# -- 4. campaign emails that carry real casework ------------------------------------------------------------
def campaign_mail(folder: Path, n: int, extra: str = "", greeting: str = "Dear Jane,") -> Path:
    return eml(folder, f"camp{n}.eml", f"Sender {n} <s{n}@example.org>", "Clean Rivers Bill",
               f"{greeting}\n\n{TEMPLATE}\n\n{extra}\n\nYours sincerely,\nSender {n}\n{n} River Road")


PERSONAL = ("My own street flooded with sewage twice this winter and the water company still has not repaired "
            "the drain outside my house. Could your office help me?")
SMALL_EDITS = ["As a grandmother of three I want my grandchildren to swim in clean rivers.",
               "I am a keen angler and I have seen the damage myself.", ""]


def test_a_short_personal_paragraph_is_flagged_but_small_edits_are_not(office, tmp_path):
    files = [campaign_mail(tmp_path, n, SMALL_EDITS[n % 3], "Dear Jane Smith," if n % 2 else "Dear Jane,")
             for n in range(6)]
    files.append(campaign_mail(tmp_path, 6, PERSONAL))
    inbox.import_paths(office, files)
    rows = inbox.list_inbox(office, "campaign", limit=50)
    assert len(rows) == 7
    flagged = [r for r in rows if "differs_from_campaign" in r.flags]
    assert [r.sender_email for r in flagged] == ["s6@example.org"]
    assert "My own street flooded" in flagged[0].suggestion_reason  # the reason quotes what was added


def test_a_personal_paragraph_flags_a_message_marked_into_a_campaign_by_hand(office, tmp_path):
    first = import_one(office, tmp_path, "m1.eml", "Amy <amy@example.org>", "Rivers", TEMPLATE)
    cid = inbox.mark_campaign(office, first)
    later = import_one(office, tmp_path, "m2.eml", "Ben <ben@example.org>", "Rivers too",
                       "Hello. " + PERSONAL.replace("sewage", "water"))
    inbox.mark_campaign(office, later, cid)
    assert "differs_from_campaign" in inbox.get_message(office, later).flags


def test_bulk_acknowledgement_leaves_flagged_out_uses_the_chosen_template_and_closes_the_group(office, tmp_path):
    files = [campaign_mail(tmp_path, n) for n in range(4)] + [campaign_mail(tmp_path, 4, PERSONAL)]
    inbox.import_paths(office, files)
    [group] = lists.page_campaign_groups(office, 0, 10)
    assert (group.waiting, group.flagged) == (5, 1)
    letters.add_template(office, "Rivers reply", "Thank you, {salutation}, for writing about rivers.",
                         kind="campaign", subject="Clean rivers")
    chosen = letters.add_template(office, "Sewage reply", "{salutation},\n\nThank you about sewage.",
                                  kind="campaign", subject="Sewage")
    preview = replies.preview_campaign_acknowledgement(office, group.id, chosen.id)
    assert (preview.senders, preview.left_out, preview.template) == (4, 1, "Sewage reply")
    assert preview.subject == "Sewage" and preview.body.startswith("Dear Sender 0,\n\nThank you about sewage.")
    drafts = replies.draft_campaign_acknowledgements(office, group.id, chosen.id)
    assert sorted(d.to for d in drafts) == [f"s{n}@example.org" for n in range(4)]
    assert all(d.subject == "Sewage" for d in drafts)
    assert lists.count_campaign_groups(office) == 0  # the group is closed
    [flagged] = inbox.list_inbox(office, "new")  # the flagged one waits to be read on its own
    assert flagged.sender_email == "s4@example.org" and "differs_from_campaign" in flagged.flags
    assert {r.sender_email for r in inbox.list_inbox(office, "done", limit=10)} == {f"s{n}@example.org"
                                                                                  for n in range(4)}


# -- 5. filing finds the case by name, and warns ---------------------------------------------------------------
def test_find_a_case_by_the_constituents_name_part_of_the_reference_or_the_title(office, ada):
    with office.writing() as w:
        bob = w.insert(Constituent, forenames="Bob", surname="Ng", email="bob@example.net")
        w.insert(Case, ref="A-00153", title="Blue badge renewal", constituent_id=bob.id, status="open",
                 opened_at="2026-02-01T10:00:00Z")
    def refs(text):
        return [r.ref for r in filing.find_cases_to_file(office, text)]
    assert refs("okafor") == ["A-00001"]
    assert refs("Ada Okafor") == ["A-00001"]
    assert refs("153") == ["A-00153"] and refs("a-0015") == ["A-00153"] and refs("A-00001") == ["A-00001"]
    assert refs("A-1") == ["A-00001", "A-00153"]  # the number itself first
    assert refs("badge") == ["A-00153"] and refs("damp") == ["A-00001"]
    assert refs("A-1530") == [] and refs("B-153") == [] and refs("nobody") == []


def test_filing_to_someone_elses_case_warns_first(office, tmp_path, ada):
    stranger = import_one(office, tmp_path, "n.eml", "Mary Jones <mary@example.net>", "Bus stop", "It moved.")
    check = filing.check_filing(office, stranger, "a-00001")
    assert check.case_ref == "A-00001" and check.warning == (
        "A-00001 (Damp flat) is Ada Okafor's case, but this message is from Mary Jones <mary@example.net>. "
        "File it there anyway?")
    hers = import_one(office, tmp_path, "o.eml", "Ada Okafor <ada@example.org>", "Still damp", "Back.")
    assert filing.check_filing(office, hers, "A-00001").warning is None
    council = import_one(office, tmp_path, "p.eml", "Officer <officer@wexcombe.gov.example>", "Inspection", "Done.")
    assert filing.check_filing(office, council, "A-00001").warning is None  # the party awaited on the case
    with pytest.raises(OfficeError, match="no case 'A-0001'"):
        filing.check_filing(office, stranger, "A-0001")


# -- 6. a new case from a message finds the person the office knows ---------------------------------------------
def test_a_second_message_from_a_new_sender_opens_a_case_for_the_same_person(office, tmp_path):
    first = import_one(office, tmp_path, "q1.eml", "Mary Jones <mary@example.net>", "Bus stop", "It moved.")
    second = import_one(office, tmp_path, "q2.eml", "Mary Jones <Mary@Example.net>", "Potholes", "Deep ones.")
    one = inbox.new_case(office, first)
    two = inbox.new_case(office, second)
    assert two.constituent_id == one.constituent_id  # same email: no duplicate person
    draft = inbox.case_draft(office, import_one(office, tmp_path, "q3.eml", "M Jones <mary@example.net>", "x", "y"))
    assert draft.known_id == one.constituent_id and "mary@example.net" in draft.known


def test_same_name_and_postcode_is_the_same_person(office, tmp_path, ada):
    ada_id, _, _ = ada
    mid = import_one(office, tmp_path, "r.eml", "Ada Okafor <ada.new@example.net>", "Noise",
                     "The neighbours are loud.\n\nKind regards,\nAda Okafor\n4 Mill Lane\nAB1 2CD")
    assert inbox.new_case(office, mid).constituent_id == ada_id
    typed = import_one(office, tmp_path, "s.eml", "Unknown <x@example.net>", "Noise", "Loud.")
    filed = inbox.new_case(office, typed, person={"forenames": "Ada", "surname": "Okafor", "email": "",
                                                  "postcode": "ab12cd"})
    assert filed.constituent_id == ada_id  # the form's person, found rather than made twice
    with office.read() as s:
        from sqlmodel import select

        assert len(s.exec(select(Constituent)).all()) == 1


def test_a_category_is_suggested_from_the_text_in_the_offices_spelling(office, tmp_path, ada):
    mid = import_one(office, tmp_path, "t.eml", "Sam Lee <sam@example.net>", "Mould in my flat",
                     "The landlord will not repair the damp in our flat.")
    assert cases.get_case(office, inbox.new_case(office, mid).case_ref).case.category == "Housing"
    assert inbox.case_draft(office, mid).category == "Housing"
    other = import_one(office, tmp_path, "u.eml", "Sam Lee <sam@example.net>", "Hello", "Just saying hello.")
    assert inbox.case_draft(office, other).category is None
    pip = import_one(office, tmp_path, "v.eml", "Sam Lee <sam@example.net>", "My PIP was stopped",
                     "The DWP stopped my PIP after the review.")
    assert inbox.case_draft(office, pip).category == "Benefits"
