"""Sign-off (issue 16): the office's rules put letters and emails in an approval queue; nothing that needs
approval is exported or sent without it; only the MP or a manager decides; every decision is audited and a
return's comment lands on the case."""

from __future__ import annotations

import pytest

from mpoffice_tui.db.engine import open_office
from mpoffice_tui.db.errors import OfficeError, PermissionDenied
from mpoffice_tui.services import (
    approvals,
    audit,
    contacts,
    letter_pdf,
    letters,
    outbox,
    replies,
    settings,
    staff,
)
from mpoffice_tui.services import cases as cs
from mpoffice_tui.services import constituents as people

VOLUNTEER = "volunteer's own passphrase"


@pytest.fixture
def case(office, monkeypatch):
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-15")
    settings.put_many(office, {"office_address": "1 High Street\nTowntown\nTT1 1TT",
                               "office_email": "casework@example.org"})
    p = people.create(office, title="Ms", forenames="Łucja", surname="Śmigła", email="lucja@example.net",
                      address1="2 Low Road", town="Towntown", postcode="TT1 2AB")
    letters.load_starter_templates(office)
    return cs.create_case(office, constituent_id=p.id, title="Visa delay", category="Immigration")


def _actions(office) -> list[str]:
    return audit.actions(office)


def test_a_letter_from_a_template_that_needs_sign_off_is_not_exported_until_approved(office, case, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    rule = approvals.add_rule(office, "template", "Acknowledgement", "letter")
    assert "letters written from the template 'Acknowledgement'" in rule.description
    lt = letters.write_letter(office, case.ref, "Acknowledgement")
    waiting = approvals.for_target(office, "letter", lt.id)
    assert waiting.state == "pending" and waiting.case_ref == case.ref and "Acknowledgement" in waiting.reason
    assert [a.id for a in approvals.list_approvals(office)] == [waiting.id]
    assert approvals.count_pending(office) == 1
    for export in (lambda: letters.save_docx(office, lt.id, tmp_path / "a.docx"),
                   lambda: letter_pdf.save_pdf(office, lt.id, tmp_path / "a.pdf"),
                   lambda: letters.mark_sent(office, lt.id)):
        with pytest.raises(OfficeError, match="needs approval before it can be"):
            export()
    assert not list(tmp_path.iterdir())  # nothing half-written
    approvals.approve(office, [waiting.id])
    assert letter_pdf.save_pdf(office, lt.id, tmp_path / "a.pdf").exists()
    assert approvals.count_pending(office) == 0
    # a change after approval needs sign-off again
    approvals.edit(office, waiting.id, subject=lt.subject, body=lt.body_text + "\nP.S. One more thing.")
    with pytest.raises(OfficeError, match="needs approval"):
        letters.save_docx(office, lt.id, tmp_path / "b.docx")
    assert {"approval.request", "approval.approve", "approval.edit", "approval.rule"} <= set(_actions(office))


def test_a_letter_without_a_rule_goes_freely_and_the_writer_may_ask_for_sign_off(office, case, tmp_path):
    plain = letters.write_letter(office, case.ref, "Acknowledgement")
    assert approvals.for_target(office, "letter", plain.id) is None
    assert letters.save_docx(office, plain.id, tmp_path / "plain.docx").exists()
    flagged = letters.write_letter(office, case.ref, "Acknowledgement", needs_approval=True)
    assert approvals.for_target(office, "letter", flagged.id).reason == approvals.FLAGGED
    with pytest.raises(OfficeError, match="needs approval"):
        letters.save_docx(office, flagged.id, tmp_path / "flagged.docx")


def test_a_volunteer_cannot_approve_and_a_return_lands_on_the_case(office, office_path, case):
    approvals.add_rule(office, "category", "Immigration")
    lt = letters.write_letter(office, case.ref, "Acknowledgement")
    aid = approvals.for_target(office, "letter", lt.id).id
    staff.add(office, "Val Unteer", "volunteer", VOLUNTEER)
    office.close()
    volunteer = open_office(office_path, VOLUNTEER)
    try:
        with pytest.raises(PermissionDenied, match="only the MP or a manager"):
            approvals.approve(volunteer, [aid])
        with pytest.raises(PermissionDenied):
            approvals.return_to_writer(volunteer, aid, "no")
        with pytest.raises(PermissionDenied):
            approvals.add_rule(volunteer, "all")
        assert approvals.get_approval(volunteer, aid).state == "pending"
    finally:
        volunteer.close()
    manager = open_office(office_path, "correct horse battery")
    try:
        with pytest.raises(OfficeError, match="say why"):
            approvals.return_to_writer(manager, aid, "  ")
        back = approvals.return_to_writer(manager, aid, "Please quote the visa reference.")
        assert back.state == "returned" and back.comment == "Please quote the visa reference."
        notes = [i.body for i in cs.get_case(manager, case.ref).timeline if i.kind == "note"]
        assert any("Please quote the visa reference." in n for n in notes)
        assert "approval.return" in _actions(manager)
        edited = approvals.edit(manager, aid, subject=lt.subject, body="Dear Ms Śmigła,\n\nYour reference is X.")
        assert edited.state == "pending" and "Your reference is X." in letters.get_letter(manager, lt.id).body_text
    finally:
        manager.close()


def test_an_email_to_a_minister_waits_for_approval_and_cannot_be_exported_or_sent(office, case, tmp_path):
    approvals.add_rule(office, "recipient_kind", "minister")
    minister = contacts.add_contact(office, organisation="Home Office", department="Minister for Borders",
                                    kind="minister", email="minister@homeoffice.example")
    cs.add_party(office, case.ref, "minister", contact_id=minister.id)
    to_minister = replies.reply_on_case(office, case.ref, to="Home Office", body="Dear Minister,\n\nPlease help.")
    assert to_minister.state == "awaiting_approval"
    to_person = replies.reply_on_case(office, case.ref, body="Dear Łucja,\n\nWe have written to the minister.")
    assert to_person.state == "queued"  # no rule for the constituent
    waiting = approvals.for_target(office, "email", to_minister.id)
    assert waiting.state == "pending" and "minister" in waiting.reason
    assert [o.id for o in outbox.list_outgoing(office, ("queued",))] == [to_person.id]  # what a send would take
    outbox.back_to_draft(office, to_minister.id)
    with pytest.raises(OfficeError, match="needs approval before it can be exported"):
        outbox.export_eml(office, tmp_path / "eml", [to_minister.id])
    assert not list((tmp_path / "eml").iterdir())
    outbox.queue(office, [to_minister.id])
    approved = approvals.approve(office, [waiting.id])[0]
    assert approved.state == "approved" and outbox.get(office, to_minister.id).state == "queued"


def test_a_returned_email_goes_back_to_draft_and_an_edit_sends_it_for_approval_again(office, case):
    draft = replies.reply_on_case(office, case.ref, body="Hello", needs_approval=True, queue=False)
    assert approvals.for_target(office, "email", draft.id).state == "needed"  # not in the queue while a draft
    assert approvals.count_approvals(office) == 0
    outbox.queue(office, [draft.id])
    aid = approvals.for_target(office, "email", draft.id).id
    assert outbox.get(office, draft.id).state == "awaiting_approval" and approvals.count_pending(office) == 1
    approvals.return_to_writer(office, aid, "Say when we wrote to the council.")
    assert outbox.get(office, draft.id).state == "draft"
    approvals.edit(office, aid, subject="Your visa", body="Hello again: we wrote to the council on 3 January.")
    assert outbox.get(office, draft.id).state == "awaiting_approval"
    assert "3 January" in outbox.get(office, draft.id).body
    approvals.approve(office, [aid])
    assert outbox.get(office, draft.id).state == "queued"


def test_the_mail_approval_setting_is_the_rule_every_email(office, case):
    settings.change(office, "mail_approval", "yes")
    assert approvals.every_email(office)
    done = replies.reply_on_case(office, case.ref, body="Hello")
    assert done.state == "awaiting_approval"
    assert approvals.for_target(office, "email", done.id).reason == approvals.EVERY_EMAIL
    outbox.approve(office, [done.id])  # the outbox's approve is the same decision
    assert approvals.for_target(office, "email", done.id).state == "approved"


def test_rules_are_checked(office):
    with pytest.raises(OfficeError, match="unknown rule kind"):
        approvals.add_rule(office, "colour", "red")
    with pytest.raises(OfficeError, match="needs a value"):
        approvals.add_rule(office, "template", "")
    with pytest.raises(OfficeError, match="unknown recipient kind"):
        approvals.add_rule(office, "recipient_kind", "wizard")
    first = approvals.add_rule(office, "all", applies_to="email")
    assert approvals.add_rule(office, "all", applies_to="email").id == first.id  # the same rule once
    approvals.remove_rule(office, first.id[-8:])
    assert approvals.list_rules(office) == []
