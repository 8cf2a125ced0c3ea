"""Storing mail in a real encrypted office: dedupe, lanes, matching, campaigns, triage, replies, drop folder."""

from __future__ import annotations

import shutil
import stat
from email import message_from_bytes
from pathlib import Path

import pytest

from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.db.models import Case, Constituent, Elector, RegisterPublication
from mpoffice_tui.services import campaigns, cases, dropfolder, inbox, matching, outbox, replies, settings

FIX = Path(__file__).parents[1] / "fixtures" / "mail"


def imp(office, *names):
    return inbox.import_paths(office, [FIX / n for n in names])


def ids_by_subject(office, lane):
    return {r.subject: r.id for r in inbox.list_inbox(office, lane, limit=500)}


def make_case(office, ref="A-00001", email=None, forenames="Alan", surname="Thread", postcode=None):
    with office.writing() as w:
        c = w.insert(Constituent, forenames=forenames, surname=surname, email=email, postcode=postcode)
        case = w.insert(Case, ref=ref, title="Benefit claim", opened_at="2026-01-01T00:00:00Z",
                        constituent_id=c.id, status="open")
        return case.id, c.id


def test_import_stores_raw_attachments_and_reimport_adds_nothing(office):
    report = imp(office, "attachment.eml", "encoded_headers.eml", "empty.eml", "no_from.eml")
    assert report.imported == 2 and report.duplicates == 0
    assert sorted(Path(r.file).name for r in report.rejected) == ["empty.eml", "no_from.eml"]
    mid = ids_by_subject(office, "new")["Letter from the council attached"]
    assert inbox.raw_message(office, mid) == (FIX / "attachment.eml").read_bytes()
    detail = inbox.get_message(office, mid)
    [att] = detail.attachments
    assert att.filename == "council letter.pdf"
    again = imp(office, "attachment.eml", "encoded_headers.eml")
    assert again.imported == 0 and again.duplicates == 2
    assert inbox.lane_counts(office)["new"] == 2


def test_content_hash_dedupes_messages_without_message_id(office):
    assert imp(office, "no_date.eml").imported == 1
    assert imp(office, "no_date.eml").duplicates == 1


def test_attachment_export_and_open_copy(office, tmp_path):
    imp(office, "attachment.eml")
    mid = ids_by_subject(office, "new")["Letter from the council attached"]
    att = inbox.get_message(office, mid).attachments[0]
    out = cases.export_attachment(office, att.id, tmp_path)
    assert out.name == "council letter.pdf" and out.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(out.stat().st_mode) & 0o077 == 0  # a plaintext copy: owner-only, as every export is
    with pytest.raises(OfficeError):
        cases.export_attachment(office, att.id, tmp_path)
    opened = inbox.open_attachment(office, att.id, launch=False)
    assert opened.path.read_bytes() == out.read_bytes() and "plaintext" in opened.notice
    shutil.rmtree(opened.path.parent)


def test_an_attachment_keeps_its_name_as_written_and_is_saved_under_a_safe_one(office, tmp_path):
    """`[bold]x[/bold].pdf` is shown as written (it became `[bold]x[_bold].pdf` at import); only the file
    written to disk gets a safe name, inside the folder asked for."""
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = "a@example.org", "names", "<names-1@example.org>"
    mail.set_content("see attached")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="[bold]x[/bold].pdf")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="../../etc/passwd")
    (tmp_path / "in").mkdir()
    eml = tmp_path / "in" / "names.eml"
    eml.write_bytes(bytes(mail))
    inbox.import_paths(office, [eml])
    mid = ids_by_subject(office, "new")["names"]
    first, second = inbox.get_message(office, mid).attachments
    assert first.filename == "[bold]x[/bold].pdf" and second.filename == "../../etc/passwd"
    out = tmp_path / "out"
    out.mkdir()
    assert cases.export_attachment(office, first.id, out) == out / "[bold]x[_bold].pdf"
    assert cases.export_attachment(office, second.id, out) == out / "_.._etc_passwd"


def test_safe_text_strips_control_characters_but_keeps_markup_literal(office):
    imp(office, "injection.eml")
    row = inbox.list_inbox(office, "new")[0]
    assert "\x1b" in row.sender_name  # stored as received
    clean = inbox.safe_text(inbox.get_message(office, row.id).body_text)
    assert "\x1b" not in clean and "\x07" not in clean and "\u202e" not in clean
    assert "[bold]markup[/bold]" in clean and clean.endswith("override.\n")
    assert inbox.safe_text("a\tb\nc\r\n") == "a\tb\nc\n"


def test_thread_reply_is_auto_filed_to_the_case_and_undo(office):
    case_id, _ = make_case(office)
    imp(office, "thread_original.eml")
    orig = ids_by_subject(office, "new")["Blue badge renewal"]
    inbox.file_to_case(office, orig, "A-00001")
    report = imp(office, "thread_reply.eml")
    assert report.auto_filed == 1
    [row] = inbox.list_inbox(office, "auto_filed")
    assert row.case_ref == "A-00001" and "thread" in row.suggestion_reason
    inbox.undo_auto_filing(office, row.id)
    d = inbox.get_message(office, row.id)
    assert d.case_id is None and d.triage == "suggested" and d.suggested_case_id == case_id


def test_agency_reply_quoting_the_reference_is_auto_filed(office):
    make_case(office, ref="A-00001")
    imp(office, "agency_reply.eml")
    [row] = inbox.list_inbox(office, "auto_filed")
    assert row.case_ref == "A-00001" and "A-00001" in row.suggestion_reason


def test_known_sender_suggests_constituent_and_open_case_then_accept(office):
    case_id, cid = make_case(office, email="alan@example.com")
    imp(office, "thread_original.eml")
    [row] = inbox.list_inbox(office, "suggested")
    assert "alan@example.com" in row.suggestion_reason and "A-00001" in row.suggestion_reason
    filed = inbox.accept_suggestion(office, row.id)
    assert filed.case_id == case_id and filed.constituent_id == cid
    assert inbox.lane_counts(office)["done"] == 1


def test_signature_name_and_postcode_suggest_an_elector_then_new_case(office):
    with office.session() as s:
        s.add(RegisterPublication(id="p1", council="Anytown", source_file="x.csv", format="xpress",
                                  imported_at="2026-01-01"))
        s.add(Elector(id="e1", publication_id="p1", elector_key="ANY|AB|12|0|register", forename="Mary",
                      surname="Register", address="12 Mill Lane, Anytown", postcode="AB1 2CD"))
    imp(office, "signature_postcode.eml")
    [row] = inbox.list_inbox(office, "suggested")
    assert "electoral register" in row.suggestion_reason
    filed = inbox.accept_suggestion(office, row.id)
    assert filed.created_case and filed.case_ref == "A-00001"
    with office.read() as s:
        c = s.get(Constituent, filed.constituent_id)
    assert (c.forenames, c.surname, c.postcode, c.email) == ("Mary", "Register", "AB1 2CD", "mary.r@example.com")


def test_matching_one_message_reports_reasons(office):
    make_case(office, ref="A-00001")
    imp(office, "agency_reply.eml")
    row = inbox.list_inbox(office, "auto_filed")[0]
    [m] = matching.match_message(office, row.id)
    assert m.kind == "reference" and m.auto


def test_campaign_of_40_groups_and_flags_the_hidden_case(office):
    report = imp(office, "campaign.mbox")
    assert report.imported == 41 and len(report.rejected) == 1
    assert report.campaigns_created == 1
    counts = inbox.lane_counts(office)
    assert counts["campaigns"] == 40 and counts["new"] == 1
    rows = inbox.list_inbox(office, "campaign", limit=100)
    differing = [r for r in rows if "differs_from_campaign" in r.flags]
    assert len(differing) == 1
    assert "pension credit" in inbox.get_message(office, differing[0].id).body_text
    [camp] = campaigns.list_campaigns(office)
    assert camp.messages == 40 and camp.senders == 40 and camp.differing == 1
    drafts = replies.draft_campaign_acknowledgements(office, camp.id)
    assert len(drafts) == 39  # the flagged one is left out: it may be a real case, to be read
    assert drafts[0].body.startswith("Dear Amy Ahmed,") and "Jane Smith MP" in drafts[0].body
    assert replies.draft_campaign_acknowledgements(office, camp.id) == []  # not twice


def test_campaign_acknowledgements_use_the_campaign_template_not_a_case_letter(office):
    """An office with the starter letters: the acknowledgement letter (kind acknowledgement) quotes a case,
    which a campaign sender has not got; the campaign template is used and every field is filled."""
    from mpoffice_tui.services import letters

    letters.load_starter_templates(office)
    imp(office, "campaign.mbox")
    [camp] = campaigns.list_campaigns(office)
    drafts = replies.draft_campaign_acknowledgements(office, camp.id)
    assert len(drafts) == 39  # the flagged one is left out
    for d in drafts:
        assert "{" not in d.body + d.subject and "reference  " not in d.body
    first = drafts[0]
    assert first.body.startswith("Dear Amy Ahmed,") and "I have received many messages" in first.body
    assert first.subject.startswith("Re: ") and first.body.rstrip().endswith("Jane Smith MP")


def test_reply_salutation_uses_title_and_surname_and_an_unfiled_reply_quotes_no_reference(office):
    _, person_id = make_case(office)
    with office.writing() as w:
        w.update(w.get(Constituent, person_id), title="Mr")
    imp(office, "thread_original.eml")
    [mid] = [m.id for lane in ("new", "suggested") for m in inbox.list_inbox(office, lane)]
    unfiled = replies.draft_reply(office, mid)
    assert unfiled.body.startswith("Dear Alan") and "reference" not in unfiled.body
    inbox.file_to_case(office, mid, "A-00001")
    filed = replies.draft_reply(office, mid)
    assert filed.body.startswith("Dear Mr Thread,") and "reference A-00001" in filed.body


def test_campaign_index_needs_three_senders_and_ignores_unrelated():
    index = campaigns.CampaignIndex()
    text = ("please support the clean rivers bill because sewage discharges harm wildlife and public "
            "health in our rivers and seas and water companies must invest before paying dividends")
    sh = campaigns.shingles(text)
    index.add("m1", "a@x", sh)
    assert not index.decide("a@x", campaigns.shingles(text + " thanks")).form_with  # same sender
    index.add("m2", "b@x", campaigns.shingles("Dear Jane " + text))
    d = index.decide("c@x", campaigns.shingles(text + " from Carol"))
    assert sorted(d.form_with) == ["m1", "m2"] and not d.differs
    assert not index.decide("d@x", campaigns.shingles("my bins were not collected for weeks on end "
                                                      "and the council will not answer")).form_with


def test_new_case_from_sender_and_ignore_and_mark_campaign(office):
    imp(office, "encoded_headers.eml", "html_only.eml", "no_date.eml")
    subjects = ids_by_subject(office, "new")
    filed = inbox.new_case(office, subjects["Café licence and £100 fine"])
    assert filed.case_ref == "A-00001"
    with office.read() as s:
        c = s.get(Constituent, filed.constituent_id)
    assert (c.forenames, c.surname, c.email) == ("Siobhán Ní", "Bhriain", "siobhan@example.org")
    inbox.ignore(office, subjects["HTML only"])
    cid = inbox.mark_campaign(office, subjects["no date header"])
    assert inbox.get_message(office, subjects["no date header"]).campaign_id == cid
    counts = inbox.lane_counts(office)
    assert (counts["new"], counts["done"], counts["campaigns"]) == (0, 2, 1)


def test_capture_phone_call_and_letter_with_scan(office, tmp_path):
    case_id, _ = make_case(office)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF scanned letter")
    mid = inbox.capture(office, "letter", sender_name="Alan Thread", body="Letter about the badge",
                        case_ref="A-00001", attachment_path=scan)
    d = inbox.get_message(office, mid)
    assert d.case_id == case_id and d.channel == "letter" and d.attachments[0].filename == "scan.pdf"
    call = inbox.capture(office, "phone", sender_name="Caller", body="Rang about parking")
    assert inbox.get_message(office, call).triage == "new"
    with pytest.raises(OfficeError):
        inbox.capture(office, "fax", sender_name="x", body="y")


def test_reply_draft_exported_as_eml_stays_a_draft_marked_exported(office, tmp_path):
    """Exporting is not sending (issue 14): the draft stays in the outbox, marked exported."""
    make_case(office)
    imp(office, "thread_original.eml")
    orig = ids_by_subject(office, "suggested")["Blue badge renewal"] if inbox.lane_counts(office)["suggested"] \
        else ids_by_subject(office, "new")["Blue badge renewal"]
    inbox.file_to_case(office, orig, "A-00001")
    draft = replies.draft_reply(office, orig)
    assert draft.body.startswith("Dear Alan,") and "A-00001" in draft.body  # no title: the forename
    assert "Jane Smith MP" in draft.body and draft.to == "alan@example.com"
    assert [d.id for d in replies.list_outbox(office)] == [draft.id]
    with pytest.raises(OfficeError, match="no From address"):  # no account, no office email
        replies.export_outbox(office, tmp_path / "out")
    settings.change(office, "office_email", "casework@example.org")
    [exported] = replies.export_outbox(office, tmp_path / "out")
    em = message_from_bytes(exported.path.read_bytes())
    assert em["In-Reply-To"] == "<thread-orig@example.com>" and em["X-Unsent"] == "1"
    assert "A-00001" in em["Subject"]
    assert inbox.get_message(office, draft.id).triage == "outbox"
    assert [d.id for d in replies.list_outbox(office)] == [draft.id]
    assert outbox.get(office, draft.id).state == "draft" and outbox.get(office, draft.id).exported_at
    # the constituent answers our reply: it threads back onto the case
    reply = (f"From: Alan Thread <alan@example.com>\nSubject: Re: {em['Subject']}\nMessage-ID: <a2@x>\n"
             f"In-Reply-To: {em['Message-ID']}\n\nThanks!\n").encode()
    (tmp_path / "r.eml").write_bytes(reply)
    assert inbox.import_paths(office, [tmp_path / "r.eml"]).auto_filed == 1


def test_merge_leaves_unknown_fields():
    assert replies.merge("{constituent_name} {nope} {", {"constituent_name": "Ann"}) == "Ann {nope} {"


def test_drop_folder_moves_files(office, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(FIX / "encoded_headers.eml", drop)
    shutil.copy(FIX / "empty.eml", drop)
    report = dropfolder.scan(office, drop, min_age=0)
    assert report.imported == 1 and len(report.rejected) == 1
    assert (drop / "processed" / "encoded_headers.eml").exists()
    assert (drop / "rejected" / "empty.eml").exists()
    assert not (drop / "empty.eml").exists()
    assert dropfolder.scan(office, drop, min_age=0).imported == 0


def test_one_megabyte_body_imports(office, tmp_path):
    body = ("a constituent writes at length " * 30 + "\n") * 1200
    f = tmp_path / "big.eml"
    f.write_bytes(("From: Big <big@example.com>\nSubject: big\nMessage-ID: <big@x>\n\n" + body).encode())
    assert inbox.import_paths(office, [f]).imported == 1
    row = inbox.list_inbox(office, "new")[0]
    assert len(inbox.get_message(office, row.id).body_text) == len(body)


def test_whole_fixture_folder_in_one_go(office):
    report = inbox.import_paths(office, [FIX])
    reasons = {Path(r.file).name: r.reason for r in report.rejected}
    assert set(reasons) == {"empty.eml", "binary_junk.eml", "no_from.eml", "not_outlook.msg",
                            "corrupt_outlook.msg", "broken_mime_empty.eml", "campaign.mbox", "README.md"}
    assert report.imported == 41 + 15 + 2


def test_a_filed_message_opens_no_second_case(office):
    make_case(office)  # a "Benefit claim" case exists; its category is the office's spelling
    imp(office, "encoded_headers.eml")
    mid = ids_by_subject(office, "new")["Café licence and £100 fine"]
    filed = inbox.new_case(office, mid, category="general")
    assert filed.case_ref == "A-00002"
    with pytest.raises(OfficeError, match="already filed to A-00002"):
        inbox.new_case(office, mid)
    with office.read() as s:
        assert s.get(Case, filed.case_id).category == "General"  # "general" filed under the office's own
        from sqlmodel import select

        assert len(s.exec(select(Case)).all()) == 2  # no empty case left behind


def test_a_message_with_raw_8bit_names_imports_whole_and_shows_them_intact(office, tmp_path):
    raw = ("From: Siobhán Ó Súilleabháin <siobhan@example.org>\nTo: office@example.org\n"
           "Subject: Damp flat – Siobhán\nMessage-ID: <8bit-import@example.org>\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain; charset=utf-8\n\n"
           "The damp is back.\n--B\nContent-Type: application/pdf\n"
           "Content-Disposition: attachment; filename=\"Lettre de Siobhán.pdf\"\n\n%PDF\n--B--\n")
    (tmp_path / "8bit.eml").write_bytes(raw.encode("utf-8"))
    report = inbox.import_paths(office, [tmp_path / "8bit.eml"])
    assert report.imported == 1 and report.rejected == ()
    [row] = inbox.list_inbox(office, "new")
    assert (row.sender_name, row.subject) == ("Siobhán Ó Súilleabháin", "Damp flat – Siobhán")
    assert [a.filename for a in inbox.get_message(office, row.id).attachments] == ["Lettre de Siobhán.pdf"]


def test_a_campaign_acknowledgement_names_the_campaigns_topic_for_every_sender(office):
    """Senders write under their own subject lines ("Sewage in our rivers", "Clean Rivers Bill"); every
    acknowledgement names the one campaign, in a sentence that reads, and signs off to fit the salutation."""
    from mpoffice_tui.services import letters

    letters.load_starter_templates(office)
    imp(office, "campaign.mbox")
    [camp] = campaigns.list_campaigns(office)
    topic = letters.topic_of(camp.name)
    assert topic and not topic.startswith("Campaign")
    drafts = replies.draft_campaign_acknowledgements(office, camp.id)
    assert {d.body.split("\n\n")[1].split(".")[0] for d in drafts} == {
        f"Thank you for writing to me about the “{topic}” campaign"}
    assert all("Yours sincerely," in d.body for d in drafts if not d.body.startswith("Dear Sir or Madam"))


def test_a_case_opened_from_a_message_starts_like_any_other_case(office, monkeypatch):
    """Through the case service: the office's default review date and "Case opened" on its timeline
    (the inbox inserted the case row itself before, with neither)."""
    monkeypatch.setenv("MPOFFICE_TODAY", "2027-01-31")
    imp(office, "attachment.eml")
    mid = ids_by_subject(office, "new")["Letter from the council attached"]
    filed = inbox.new_case(office, mid)
    case = cases.get_case(office, filed.case_ref)
    assert case.case.review_date == "2027-02-28"
    assert [t.body for t in case.timeline if t.kind == "status"] == ["Case opened (New)."]
