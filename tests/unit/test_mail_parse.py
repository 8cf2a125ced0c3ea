"""Mail importers on real files: headers, charsets, HTML, attachments, bad mail, .msg, the corpus."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from mpoffice_tui.importers.mail import parse_bytes, read_file, read_paths
from mpoffice_tui.importers.mail.parse import MailError
from mpoffice_tui.importers.mail.readers import split_mbox

FIX = Path(__file__).parents[1] / "fixtures" / "mail"
CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus" / "mail"


def one(name: str):
    [item] = list(read_file(FIX / name))
    return item


def test_rfc2047_headers_and_quoted_printable_body():
    m = one("encoded_headers.eml").message
    assert m.sender_name == "Siobhán Ní Bhriain"
    assert m.sender_email == "siobhan@example.org"
    assert m.subject == "Café licence and £100 fine"
    assert "café next door was fined £100" in m.body_text
    assert m.date == "2026-03-03T09:15:00.000000Z"
    assert m.flags == ()


def test_base64_latin1_body():
    m = one("latin1_base64.eml").message
    assert "rénovation. Merci, Zoë" in m.body_text
    assert m.subject == "Rénovation"


def test_wrong_and_unknown_charsets_are_best_effort_and_flagged():
    wrong = one("wrong_charset.eml").message
    assert "Naïve résumé" in wrong.body_text
    assert "charset_replaced" in wrong.flags
    unknown = one("unknown_charset.eml").message
    assert "charset_unknown" in unknown.flags
    assert "Plain words" in unknown.body_text


def test_html_only_becomes_text_and_nothing_is_fetched():
    m = one("html_only.eml").message
    assert "html_only" in m.flags
    assert "My bins have not been collected for three weeks." in m.body_text
    assert "Acacia Avenue" in m.body_text
    assert "<" not in m.body_text and "alert" not in m.body_text and "tracker" not in m.body_text


def test_attachment_kept_and_raw_byte_for_byte():
    item = one("attachment.eml")
    m = item.message
    assert m.raw == (FIX / "attachment.eml").read_bytes()
    [att] = m.attachments
    assert att.filename == "council letter.pdf"
    assert att.content_type == "application/pdf"
    assert att.data.startswith(b"%PDF-1.4") and len(att.data) == 256 + len(b"%PDF-1.4\n%fake pdf for tests\n")


def test_broken_mime_readable_is_flagged_unreadable_is_rejected():
    m = one("broken_mime.eml").message
    assert "broken_mime" in m.flags and "damp" in m.body_text
    item = one("broken_mime_empty.eml")
    assert item.message is None and item.error.startswith("broken MIME")


@pytest.mark.parametrize("name,reason", [
    ("empty.eml", "empty file"),
    ("binary_junk.eml", "binary data"),
    ("no_from.eml", "no sender"),
    ("not_outlook.msg", "not an Outlook .msg"),
    ("corrupt_outlook.msg", "unreadable Outlook .msg"),
])
def test_bad_files_are_rejected_with_a_reason(name, reason):
    item = one(name)
    assert item.message is None
    assert reason in item.error
    assert item.file.endswith(name)


def test_real_outlook_msg_with_jpeg_attachment():
    # saved by Outlook (ANSI .msg) from a mail sent with Mutt; see fixtures/mail/README.md
    name = "outlook_plain_jpeg_attached.msg"
    item = one(name)
    assert item.error is None
    m = item.message
    assert m.raw == (FIX / name).read_bytes()
    assert m.sender_name == "Matijs van Zuijlen"
    assert m.sender_email == "matijs.van.zuijlen@xs4all.nl"
    assert m.recipients == "matijs@xxxxxx.nl"
    assert m.subject == "test"
    assert m.body_text == "test\n"
    assert m.date == "2007-09-24T13:28:03.000000Z"  # Date: Mon, 24 Sep 2007 15:28:03 +0200
    assert m.message_id == "<20070924132803.GB10141@matijs.net>"
    assert m.in_reply_to is None and m.references == ()
    [att] = m.attachments
    assert (att.filename, att.content_type, len(att.data)) == ("test.jpg", "image/jpeg", 7681)
    assert att.data.startswith(b"\xff\xd8\xff")
    assert m.flags == ("outlook_msg",)


def test_real_outlook_msg_8bit_strings_lose_nul_terminators_and_keep_cp1252_punctuation():
    # an Exchange Online message exported from a PST as an 8-bit .msg with no code page property
    name = "outlook_charset.msg"
    m = one(name).message
    assert m.raw == (FIX / name).read_bytes()
    assert (m.sender_name, m.sender_email) == ("Joseph Q Bloggs", "joebloggs@example.org")
    assert m.recipients == "joebloggs@example.org"
    assert m.subject == "PST Export - Embedded Email Test"
    assert m.body_text == "This email contains an email\u2026 Email-ception!!!\n\n"
    assert m.date == "2019-10-09T05:55:10.000000Z"
    assert m.message_id == "<ME2PR01MB44198426BA1B46A2296E6727E5950@ME2PR01MB4419.ausprd01.prod.outlook.com>"
    assert m.attachments == ()
    assert m.flags == ("outlook_msg",)


def test_real_outlook_msgs_import_into_the_inbox_once(office):
    from mpoffice_tui.services import inbox

    paths = [FIX / "outlook_plain_jpeg_attached.msg", FIX / "outlook_charset.msg"]
    report = inbox.import_paths(office, paths)
    assert (report.imported, report.duplicates, report.rejected) == (2, 0, ())
    rows = {r.subject: r for r in inbox.list_inbox(office, "new")}
    assert sorted(rows) == ["PST Export - Embedded Email Test", "test"]
    row = rows["test"]
    assert (row.sender_name, row.sender_email, row.attachments) == (
        "Matijs van Zuijlen", "matijs.van.zuijlen@xs4all.nl", 1)
    assert "outlook_msg" in row.flags
    assert inbox.raw_message(office, row.id) == paths[0].read_bytes()
    detail = inbox.get_message(office, row.id)
    assert detail.body_text == "test\n" and detail.message_id_header == "<20070924132803.GB10141@matijs.net>"
    [att] = detail.attachments
    assert (att.filename, att.content_type, att.size) == ("test.jpg", "image/jpeg", 7681)
    other = inbox.get_message(office, rows["PST Export - Embedded Email Test"].id)
    assert other.body_text.startswith("This email contains an email\u2026")
    again = inbox.import_paths(office, paths)
    assert (again.imported, again.duplicates) == (0, 2)
    assert inbox.lane_counts(office)["new"] == 2


def test_no_date_is_imported_and_flagged():
    m = one("no_date.eml").message
    assert m.date is None and "no_date" in m.flags


def test_escapes_and_markup_are_kept_as_received():
    m = one("injection.eml").message
    assert "\x1b[2J" in m.sender_name and "[bold red]Admin[/]" in m.sender_name
    assert "[link=http://evil.example]" in m.subject
    assert "\x1b[31mred" in m.body_text and "[bold]markup[/bold]" in m.body_text


def test_mbox_positions_and_a_rejected_message_does_not_stop_the_file():
    items = list(read_file(FIX / "campaign.mbox"))
    assert len(items) == 42
    assert all(i.message for i in items[:41])
    bad = items[41]
    assert bad.error == "no sender (no From: header)"
    assert bad.position.startswith("message 42 (line ")
    other = items[40].message
    assert ">From the minutes" in other.body_text  # a quoted From_ line is not a separator


def test_mbox_split_keeps_message_bytes():
    raw = (b"From a@b Mon Jan 1 00:00:00 2026\nFrom: a@b.c\nSubject: one\n\nbody one\n\n"
           b"From a@b Mon Jan 1 00:00:01 2026\nFrom: d@e.f\nSubject: two\n\nbody two\n")
    parts = list(split_mbox(raw))
    assert [p[2] for p in parts] == [b"From: a@b.c\nSubject: one\n\nbody one\n",
                                     b"From: d@e.f\nSubject: two\n\nbody two\n"]
    assert [p[1] for p in parts] == [1, 7]


def test_maildir_reads_cur_and_new_not_tmp():
    items = list(read_paths([FIX / "maildir"]))
    assert sorted(i.message.subject for i in items) == ["maildir cur message", "maildir new message"]


def test_one_megabyte_body():
    body = ("constituent text line " * 40 + "\n") * 1200
    raw = ("From: Big <big@example.com>\nSubject: big\nMessage-ID: <big@x>\n\n" + body).encode()
    assert len(raw) > 1_000_000
    m = parse_bytes(raw)
    assert len(m.body_text) == len(body) and m.raw == raw


def test_hostile_input_never_raises_anything_but_mailerror():
    import random

    rng = random.Random(3)
    base = (FIX / "attachment.eml").read_bytes()
    for _ in range(200):
        data = bytearray(base)
        for _ in range(rng.randrange(1, 30)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        with contextlib.suppress(MailError):
            parse_bytes(bytes(data))


@pytest.mark.skipif(not CORPUS.exists(), reason="shared mail corpus not present")
def test_real_world_corpus_imports_or_is_rejected_with_a_reason():
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md"]
    assert len(files) >= 60
    seen = 0
    for f in files:
        items = list(read_file(f))
        assert items, f
        for item in items:
            seen += 1
            assert (item.message is None) != (item.error is None), f
            if item.error:
                assert len(item.error) > 5
            else:
                assert item.message.sender_email and item.message.raw
    assert seen >= len(files)


# -- names arrive intact (issue 19, point 3) ---------------------------------------------------------
EIGHT_BIT = (
    "From: Siobhán Ó Súilleabháin <siobhan@example.org>\nTo: office@example.org\n"
    "Subject: Damp flat – Siobhán's letter\nMessage-ID: <8bit@example.org>\n"
    "Date: Mon, 09 Mar 2026 10:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
    "--B\nContent-Type: text/plain; charset=utf-8\n\nThe damp is back.\n"
    "--B\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"Résumé Siobhán.pdf\"\n\n"
    "%PDF-1.4\n--B--\n")


def test_raw_utf8_from_subject_and_attachment_name_are_decoded_intact():
    m = parse_bytes(EIGHT_BIT.encode("utf-8"))
    assert m.sender_name == "Siobhán Ó Súilleabháin" and m.sender_email == "siobhan@example.org"
    assert m.subject == "Damp flat – Siobhán's letter"
    assert [a.filename for a in m.attachments] == ["Résumé Siobhán.pdf"]
    assert m.attachments[0].data.startswith(b"%PDF")
    assert m.flags == ()  # UTF-8 in headers is standard (RFC 6532): nothing to flag


def test_raw_latin1_headers_are_decoded_and_flagged_as_a_guess():
    m = parse_bytes(EIGHT_BIT.replace("–", "-").encode("latin-1"))
    assert m.sender_name == "Siobhán Ó Súilleabháin"
    assert m.subject == "Damp flat - Siobhán's letter"
    assert [a.filename for a in m.attachments] == ["Résumé Siobhán.pdf"]
    assert "header_8bit" in m.flags


@pytest.mark.parametrize("header, name", [
    ("filename*=utf-8''R%C3%A9sum%C3%A9.pdf", "Résumé.pdf"),
    ("filename*=x-bogus''R%C3%A9sum%C3%A9.pdf", "Résumé.pdf"),  # bogus label: the bytes are UTF-8
    ("filename*=iso-8859-1'en'R%E9sum%E9.pdf", "Résumé.pdf"),
    ("filename*0*=utf-8''R%C3%A9su; filename*1*=m%C3%A9.pdf", "Résumé.pdf"),
    ('filename="=?x-bogus?Q?R=C3=A9sum=C3=A9.pdf?="', "Résumé.pdf"),
])
def test_attachment_names_in_every_encoding_and_under_bogus_labels(header, name):
    raw = ("From: a@example.org\nSubject: scan\nContent-Type: multipart/mixed; boundary=B\n\n--B\n"
           "Content-Type: text/plain\n\nsee attached\n--B\nContent-Type: application/pdf\n"
           f"Content-Disposition: attachment; {header}\n\n%PDF\n--B--\n").encode()
    m = parse_bytes(raw)
    assert [a.filename for a in m.attachments] == [name]
    if "bogus" in header:
        assert "charset_unknown" in m.flags


@pytest.mark.parametrize("raw, sender, subject, body, flag", [
    (b"From: =?x-bogus?Q?Siobh=C3=A1n_Murphy?= <s@example.org>\nSubject: =?bogus-9?q?caf=E9?=\n\nhi\n",
     "Siobhán Murphy", "café", "hi\n", "charset_unknown"),
    (b"From: =?utf-8*en?q?Si=C3=A2n?= <s@example.org>\nSubject: ok\n\nhi\n", "Siân", "ok", "hi\n", None),
    (b'From: s@example.org\nSubject: x\nContent-Type: text/plain; charset="x-mac-nonsense"\n\ncaf\xc3\xa9\n',
     "", "x", "café\n", "charset_unknown"),
    (b'From: s@example.org\nSubject: x\nContent-Type: text/plain; charset=""\n\ncaf\xe9\n', "", "x", "café\n",
     "charset_replaced"),
])
def test_odd_or_bogus_charset_labels_are_decoded_best_effort_not_rejected(raw, sender, subject, body, flag):
    m = parse_bytes(raw)
    assert (m.sender_name, m.subject, m.body_text) == (sender, subject, body)
    assert m.sender_email == "s@example.org"
    assert (flag in m.flags) if flag else not {"charset_unknown", "charset_replaced"} & set(m.flags)
