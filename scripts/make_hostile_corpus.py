"""Write the hostile corpus: mail, register exports, sync bundles and key-slot files made to break things.

    python scripts/make_hostile_corpus.py [FOLDER]      (default: tests/fixtures/hostile)

Every file is made here, deterministically (seeded), so the corpus can be regenerated and checked
(tests/e2e/test_hostile_corpus.py compares the committed files with a fresh run). `manifest.json` lists
each file with what the `mpoffice` command must do with it:

    {"file": "mail/deep_multipart.eml", "kind": "mail", "exit": 0, "refused": false, "says": "..."}

kind    mail: `import mail FILE`; register: `import register FILE`; bundle: `sync import FILE`;
        keys: the office's key-slot file replaced by FILE, then `doctor`
exit    the exit code expected (never a traceback, never "unexpected error")
refused nothing from the file may change the office (its data tables are compared before and after)
says    words the output must contain (optional)

Files that cannot live in git (FIFOs, links to /dev/zero, files larger than a limit) are made by the
tests themselves, in a temporary folder.
"""

from __future__ import annotations

import base64
import codecs
import json
import random
import struct
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "hostile"
Entry = dict


class Corpus:
    """Collects the files and their manifest entries."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.manifest: list[Entry] = []

    def add(self, kind: str, name: str, data: bytes, exit: int, refused: bool, says: str = "") -> None:
        path = f"{kind}/{name}"
        assert path not in self.files, path
        self.files[path] = data
        entry: Entry = {"file": path, "kind": kind, "exit": exit, "refused": refused}
        if says:
            entry["says"] = says
        self.manifest.append(entry)


# -- mail ------------------------------------------------------------------------------------------------
def _msg(headers: str, body: str = "Hello.\n", *, nl: str = "\n") -> bytes:
    return (headers.strip("\n").replace("\n", nl) + nl + nl + body.replace("\n", nl)).encode("utf-8", "surrogateescape")


BASIC = "From: Ann Example <ann@example.org>\nTo: mp@example.org\nSubject: {s}\nMessage-ID: <{m}@hostile.example>\n" \
        "Date: Mon, 03 Mar 2025 10:00:00 +0000"


def _encoded(text: str) -> str:
    """An RFC 2047 encoded word: how mail carries any character in a header."""
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def _basic(subject: str, mid: str, extra: str = "") -> str:
    return BASIC.format(s=subject, m=mid) + (("\n" + extra) if extra else "")


def mail(c: Corpus, rng: random.Random) -> None:
    ok = lambda name, data, says="": c.add("mail", name, data, 0, False, says)  # noqa: E731
    bad = lambda name, data, says="": c.add("mail", name, data, 1, True, says)  # noqa: E731

    bad("zero_bytes.eml", b"", "empty file")
    bad("only_whitespace.eml", b" \r\n\t\n\n", "empty file")
    bad("nul_in_headers.eml", b"From: a\x00b@example.org\nSubject: x\x00\n\nbody\n")
    bad("random_binary.eml", bytes(rng.randrange(256) for _ in range(3000)))
    bad("no_header_block.eml", b"Dear MP,\nplease help.\n" * 20)
    bad("no_from.eml", _msg("To: mp@example.org\nSubject: who?\nMessage-ID: <nofrom@hostile.example>"),
        "no sender")
    ok("bidi_and_c1_names.eml", _msg(_basic(_encoded("Refund \u202egnp.exe\u202c \x9b31m now"), "bidi1").replace(
        "Ann Example", _encoded("Ann \u202eelpmaxE\u202c \u200bZero\u2066Iso\u2069 \x85Nel\x9b2J"))))
    ok("terminal_escapes.eml", _msg(_basic("\x1b]0;owned\x07\x1b[2J\x1b[31mRED", "esc1"),
                                    "Body \x1b[5mblink\x1b[0m and \x07bell\n"))
    nested = "".join(f"--B{i}\nContent-Type: multipart/mixed; boundary=\"B{i + 1}\"\n\n" for i in range(200))
    ok("deep_multipart.eml", _msg(_basic("deep", "deep1", 'MIME-Version: 1.0\nContent-Type: multipart/mixed; '
                                                          'boundary="B0"'),
                                  nested + "--B200\nContent-Type: text/plain\n\ninnermost\n"))
    many = "".join(f"--X\nContent-Type: application/octet-stream\nContent-Disposition: attachment; "
                   f"filename=\"f{i}.bin\"\nContent-Transfer-Encoding: base64\n\nAAEC\n" for i in range(800))
    ok("eight_hundred_attachments.eml", _msg(_basic("many parts", "many1", 'MIME-Version: 1.0\nContent-Type: '
                                                      'multipart/mixed; boundary="X"'),
                                               "--X\nContent-Type: text/plain\n\nsee attached\n" + many + "--X--\n"))
    ok("bad_base64_attachment.eml", _msg(_basic("b64", "b64bad", 'MIME-Version: 1.0\nContent-Type: multipart/mixed; '
                                                'boundary="X"'),
                                         "--X\nContent-Type: text/plain\n\nhi\n--X\nContent-Type: application/pdf\n"
                                         "Content-Disposition: attachment; filename=\"a.pdf\"\n"
                                         "Content-Transfer-Encoding: base64\n\n!!!not*base64***\n=====\n--X--\n"))
    ok("unknown_charsets.eml", _msg(_basic("=?x-no-such-charset?Q?caf=E9?=", "cs1",
                                           "Content-Type: text/plain; charset=x-made-up"), "caf\xe9\n"))
    ok("encoded_word_bomb.eml", _msg(_basic(" ".join("=?utf-8?B?" + base64.b64encode(b"\xe2\x80\xae ").decode()
                                                     + "?=" for _ in range(4000)), "ewbomb")))
    ok("long_subject_line.eml", _msg(_basic("S" * 300_000, "longsubj")))
    ok("path_traversal_attachment.eml", _msg(_basic("trav", "trav1", 'MIME-Version: 1.0\nContent-Type: '
                                                    'multipart/mixed; boundary="X"'),
                                             "--X\nContent-Type: text/plain\n\nhi\n--X\nContent-Type: text/plain\n"
                                             "Content-Disposition: attachment; filename=\"../../../../etc/passwd\"\n\n"
                                             "root:x:0:0\n--X\nContent-Type: text/plain\nContent-Disposition: "
                                             "attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe\n\nMZ\n--X--\n"))
    ok("boundary_never_closed.eml", _msg(_basic("open", "open1", 'MIME-Version: 1.0\nContent-Type: multipart/mixed; '
                                                'boundary="NEVER"'), "--NEVER\nContent-Type: text/plain\n\ntext\n"))
    ok("boundary_missing.eml", _msg(_basic("nob", "nob1", "MIME-Version: 1.0\nContent-Type: multipart/mixed"),
                                    "--X\nContent-Type: text/plain\n\ntext\n--X--\n"))
    ok("content_type_garbage.eml", _msg(_basic("ct", "ct1", "Content-Type: ;;;===/// charset=\"\"\"")))
    ok("date_garbage.eml", _msg(_basic("dg", "dg1").replace("Mon, 03 Mar 2025 10:00:00 +0000",
                                                              "99 Foo 99999 99:99:99 +9999")))
    ok("message_id_huge.eml", _msg(_basic("mid", "m" * 100_000)))
    ok("references_ten_thousand.eml", _msg(_basic("refs", "refs1", "References: " + " ".join(
        f"<r{i}@x>" for i in range(10_000)))))
    ok("eight_bit_headers.eml", _msg(_basic("caf\udce9 na\udcefve", "8bit").replace("Ann Example", "Zo\udceb")))
    ok("lone_cr_line_ends.eml", _msg(_basic("cr", "cr1"), "line one\nline two\n", nl="\r"))
    ok("html_nested_ten_thousand.eml", _msg(_basic("html", "html1", "Content-Type: text/html"),
                                            "<div>" * 10_000 + "deep" + "</div>" * 10_000))
    ok("rfc822_nested.eml", _msg(_basic("fwd", "fwd1", "Content-Type: message/rfc822"),
                                 "".join(f"Subject: level {i}\nContent-Type: message/rfc822\n\n" for i in range(60))
                                 + "Subject: bottom\n\nbottom\n"))
    ok("qp_broken.eml", _msg(_basic("qp", "qp1", "Content-Transfer-Encoding: quoted-printable"), "=ZZ=\n=4\n=\n"))
    c.add("mail", "not_outlook.msg", b"This is not an Outlook message at all.\n" * 5, 1, True, "not an Outlook")
    c.add("mail", "ole_magic_then_garbage.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.randrange(256)
                                                                                          for _ in range(2048)),
          1, True)
    sep = "From someone@example.org Mon Mar  3 10:00:00 2025\n"
    c.add("mail", "mbox_only_separators.mbox", (sep * 5).encode(), 1, True, "no header block")
    mb = sep + _msg(_basic("one", "mb1")).decode() + sep + "From: no blank line before me\n"
    ok("mbox_no_blank_before_separator.mbox", mb.encode())
    c.add("mail", "mbox_truncated.mbox", (sep + _msg(_basic("ok", "mbt1")).decode() + "\n" + sep
                                          + "From: Cut <cut@exa").encode(), 0, False)
    mixed = (sep + _msg(_basic("crlf", "mx1"), nl="\r\n").decode() + "\r\n" + sep + _msg(_basic("lf", "mx2")).decode())
    ok("mbox_mixed_line_endings.mbox", mixed.encode())


# -- register -----------------------------------------------------------------------------------------
XHEAD = ["Elector Number Prefix", "Elector Number", "Elector Number Suffix", "Elector Markers", "Elector DOB",
         "Elector Surname", "Elector Forename", "PostCode", "Address1", "Address2", "Address3", "Address4",
         "Address5", "Address6", "UPRN"]


def _row(i: int, surname: str = "", forename: str = "", *, eno: str | None = None, sfx: str = "0") -> list[str]:
    return ["HX", eno if eno is not None else str(i), sfx, "", "", surname or f"Surname{i}", forename or f"Name{i}",
            "BB1 1AA", f"{i} Hostile Road", "", "Testtown", "", "", "", str(200000 + i)]


def _csv(rows: list[list[str]], sep: str = ",", nl: str = "\n", head: list[str] | None = None) -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if sep in v or '"' in v else v

    return nl.join(sep.join(cell(v) for v in r) for r in [head or XHEAD, *rows]) + nl


def register(c: Corpus, rng: random.Random) -> None:
    good = [_row(i) for i in range(1, 6)]
    ok = lambda name, data, says="": c.add("register", name, data, 0, False, says)  # noqa: E731
    part = lambda name, data, says="": c.add("register", name, data, 1, False, says)  # noqa: E731
    bad = lambda name, data, says="": c.add("register", name, data, 1, True, says)  # noqa: E731

    text = _csv(good)
    lines = text.splitlines(keepends=True)
    lines.insert(3, 'HX,99,0,,,"Unclosed,Quote,BB1 1AA,99 Hostile Road,,Testtown,,,,200099\n')
    part("unterminated_quote_2026-01-01.csv", "".join(lines).encode(), "never closed")
    part("thirty_digit_elector_number_2026-01-01.csv",
         _csv(good + [_row(6, eno="123456789012345678901234567890")]).encode(), "too long")
    part("suffix_1e999_2026-01-01.csv", _csv(good + [_row(7, sfx="1e999")]).encode(), "not a number")
    part("arabic_digits_2026-01-01.csv", _csv(good + [_row(8, eno="\u0661\u0662\u0663")]).encode(), "not a number")
    latin = _csv(good).encode() + "HX,9,0,,,Brontë,Zoë,BB1 1AA,9 Hostile Road,,Testtown,,,,200009\n".encode("latin-1")
    latin += "HX,10,0,,,Ó Súilleabháin,Siobhán,BB1 1AA,10 Hostile Road,,Testtown,,,,200010\n".encode()
    ok("latin1_line_in_utf8_2026-01-01.csv", latin, "not UTF-8")
    accented = _csv(good + [_row(11, "Łukasiewicz", "Zoë")])
    ok("utf32_bom_2026-01-01.csv", codecs.BOM_UTF32_LE + accented.encode("utf-32-le"), "utf-32")
    ok("utf32_no_bom_2026-01-01.csv", accented.encode("utf-32-be"), "utf-32")
    ok("utf16_no_bom_2026-01-01.csv", accented.encode("utf-16-le"), "utf-16")
    wide = [line.encode("utf-16-le") for line in accented.splitlines(keepends=True)]
    wide[3] = wide[3][:10] + b"\x00\xd8" + wide[3][10:]  # a lone surrogate in the third elector's row
    part("utf16_broken_sequence_2026-01-01.csv", codecs.BOM_UTF16_LE + b"".join(wide), "not valid UTF-16")
    bad("header_only_2026-01-01.csv", _csv([]).encode(), "no electors")
    bad("empty_2026-01-01.csv", b"", "empty")
    bad("blank_lines_only_2026-01-01.csv", b"\n\n   \n\t\n", "empty")
    bad("binary_2026-01-01.csv", bytes(rng.randrange(1, 256) for _ in range(2000)) + b"\x00" * 10, "binary")
    bad("workbook_named_csv_2026-01-01.csv", b"PK\x03\x04" + bytes(200), "save it as CSV")
    bad("unknown_header_2026-01-01.csv", b"Name,Email,Phone\nAnn,a@b.c,1\n", "header row")
    bad("quote_in_header_2026-01-01.csv", ('"Elector Number Prefix,' + ",".join(XHEAD[1:]) + "\n"
                                          + _csv(good).split("\n", 1)[1]).encode(), "header")
    bad("all_rows_bad_2026-01-01.csv", _csv([_row(i, eno=f"x{i}y") for i in range(5)]).encode(), "no electors")
    nul = _csv(good).encode() + b"HX,12,0,,,Nul\x00Byte,Name,BB1 1AA,12 Hostile Road,,Testtown,,,,200012\n" + \
        _csv([_row(13)]).split("\n", 1)[1].encode()
    part("nul_in_a_row_2026-01-01.csv", nul, "NUL")
    part("field_over_csv_limit_2026-01-01.csv", _csv(good + [_row(14, '"' + "x" * 140_000 + '"')])
         .replace('"""', '"').encode(), "cannot be read")
    ok("cr_only_line_endings_2026-01-01.csv", _csv(good, nl="\r").encode())
    ok("semicolons_windows1252_2026-01-01.csv", _csv(good + [_row(15, "Müller", "Jürgen")], sep=";",
                                                     nl="\r\n").encode("windows-1252"))
    ok("formula_injection_names_2026-01-01.csv", _csv(good + [_row(16, '=HYPERLINK("http://x")', "+cmd|' /C calc'!A0"),
                                                               _row(17, "@SUM(1+1)", "-2+3")]).encode())
    ok("bidi_and_c1_names_2026-01-01.csv", _csv(good + [_row(18, "Lee\u202eeeL", "\x9b31mAnn\u200b")]).encode())
    part("stray_delimiters_2026-01-01.csv", (_csv(good) + "HX,19,0,,,A,B,BB1 1AA,x,,y,,,,1,extra,more\n").encode(),
         "fields where the header has")
    part("bad_dates_2026-01-01.csv", _csv(good + [["HX", "20", "0", "", "31/02/2025", "Date", "Bad", "BB1 1AA",
                                                   "20 Hostile Road", "", "T", "", "", "", "1"],
                                                  ["HX", "21", "0", "", "9999999", "Date", "Far", "BB1 1AA",
                                                   "21 Hostile Road", "", "T", "", "", "", "2"]]).encode(), "not a date")
    dup = ["Elector Number Prefix", "Elector Number", "Elector Surname", "Elector Surname", "Elector Forename",
           "PostCode"]
    ok("duplicate_columns_2026-01-01.csv", _csv([["HX", "1", "First", "Second", "Ann", "BB1 1AA"]], head=dup).encode())
    ok("anonymous_only_2026-01-01.csv", _csv([["HX", str(i), "0", "N", "", "", "", "", "", "", "", "", "", "", ""]
                                              for i in range(1, 4)]).encode())


# -- bundles --------------------------------------------------------------------------------------------
def _bundle(magic: bytes, header: object, tail: bytes = b"", raw_header: bytes | None = None) -> bytes:
    head = raw_header if raw_header is not None else json.dumps(header).encode()
    return magic + struct.pack(">I", len(head)) + head + tail


def bundles(c: Corpus, rng: random.Random) -> None:
    v2, v1 = b"MPOSYNC\x02", b"MPOSYNC\x01"
    foreign = {"format": "mpoffice-sync/2", "office": "00000000-not-this-office", "site": "s", "code": "Z",
               "vector": {}, "ops": 1}
    bad = lambda name, data, says="": c.add("bundle", name, data, 1, True, says)  # noqa: E731
    bad("empty.mposync", b"", "empty")
    bad("garbage.mposync", bytes(rng.randrange(256) for _ in range(500)), "not an mpoffice sync bundle")
    bad("wrong_magic.mposync", b"MPOSYNC\x07" + bytes(100), "not an mpoffice sync bundle")
    bad("magic_only.mposync", v2, "truncated")
    bad("header_length_4gb.mposync", v2 + b"\xff\xff\xff\xff" + b"{}", "truncated")
    bad("header_longer_than_file.mposync", v2 + struct.pack(">I", 5000) + b'{"format":', "truncated")
    bad("header_not_json.mposync", _bundle(v2, None, raw_header=b"{not json"), "unreadable header")
    bad("header_json_list.mposync", _bundle(v2, [1, 2, 3]), "unreadable header")
    bad("header_not_utf8.mposync", _bundle(v2, None, raw_header=b'{"format": "\xff\xfe"}'), "unreadable header")
    bad("unknown_format.mposync", _bundle(v2, {**foreign, "format": "mpoffice-sync/9"}), "unknown format")
    bad("another_office.mposync", _bundle(v2, foreign, bytes(rng.randrange(256) for _ in range(300))),
        "another office")
    bad("another_office_v1.mposync", _bundle(v1, {**foreign, "format": "mpoffice-sync/1"}, bytes(64)),
        "another office")
    bad("v1_magic_v2_header.mposync", _bundle(v1, foreign), "unknown format")


# -- key slots -------------------------------------------------------------------------------------------
def _b64(n: int, rng: random.Random) -> str:
    return base64.b64encode(bytes(rng.randrange(256) for _ in range(n))).decode()


def keys(c: Corpus, rng: random.Random) -> None:
    def slot(**over) -> dict:
        base = {"id": "0123456789abcdef", "kind": "passphrase", "label": "Ann Manager", "staff_id": None,
                "nonce": _b64(12, rng), "ciphertext": _b64(48, rng),
                "kdf": {"alg": "argon2id", "salt": _b64(16, rng), "m": 65536, "t": 3, "p": 4}}
        for k, v in over.items():
            if v is None and k != "staff_id":
                base.pop(k, None)
            else:
                base[k] = v
        return base

    def file(*slots: dict, **over) -> bytes:
        doc = {"format": "mpoffice-keyslots/1", "office_id": "0000-hostile", "slots": list(slots)}
        doc.update(over)
        return json.dumps(doc, indent=1).encode()

    def kdf(**over) -> dict:
        return {"alg": "argon2id", "salt": _b64(16, rng), "m": 65536, "t": 3, "p": 4, **over}

    bad = lambda name, data, says="": c.add("keys", name, data, 3, True, says)  # noqa: E731
    bad("empty.keys", b"", "not valid JSON")
    bad("not_json.keys", b"this is not a key-slot file\n", "not valid JSON")
    bad("truncated.keys", file(slot())[:150], "truncated")
    bad("json_list.keys", b"[1, 2, 3]", "not an mpoffice key-slot file")
    bad("other_program.keys", json.dumps({"version": 1, "keys": ["abc"]}).encode(), "not an mpoffice key-slot file")
    bad("newer_format.keys", file(slot(), format="mpoffice-keyslots/9"), "not an mpoffice key-slot file")
    bad("no_slots.keys", file(), "no usable key slot")
    bad("slots_not_a_list.keys", file(slots={"a": 1}), "no slot list")
    bad("office_id_a_number.keys", file(slot(), office_id=5), "no office id")
    bad("slot_not_an_object.keys", file(1, "two"), "not a slot")
    bad("slot_missing_nonce.keys", file(slot(nonce=None)), "nonce")
    bad("slot_missing_kdf.keys", file(slot(kdf=None)), "key-derivation")
    bad("absurd_time_cost.keys", file(slot(kdf=kdf(t=10_000_000))), "outside the safe range")
    bad("absurd_memory.keys", file(slot(kdf=kdf(m=1 << 40))), "outside the safe range")
    bad("zero_lanes.keys", file(slot(kdf=kdf(p=0))), "outside the safe range")
    bad("negative_time_cost.keys", file(slot(kdf=kdf(t=-3))), "outside the safe range")
    bad("boolean_time_cost.keys", file(slot(kdf=kdf(t=True))), "whole number")
    bad("string_memory.keys", file(slot(kdf=kdf(m="65536"))), "whole number")
    bad("float_lanes.keys", file(slot(kdf=kdf(p=4.5))), "whole number")
    bad("unknown_kdf.keys", file(slot(kdf=kdf(alg="scrypt"))), "unknown key derivation")
    bad("salt_not_base64.keys", file(slot(kdf=kdf(salt="***"))), "base64")
    bad("nonce_not_base64.keys", file(slot(nonce="@@@@")), "base64")
    bad("ciphertext_wrong_length.keys", file(slot(ciphertext=_b64(5, rng))), "wrong length")
    bad("unknown_kind.keys", file(slot(kind="telepathy")), "unknown kind")
    bad("unknown_field.keys", file(slot(extra="x")), "unknown field")
    bad("binary.keys", bytes(rng.randrange(128, 256) for _ in range(300)), "not text")
    bad("utf16.keys", file(slot()).decode().encode("utf-16"), "not text")
    bad("foreign_but_valid.keys", file(slot()), "wrong passphrase")


SECTIONS: list[Callable[[Corpus, random.Random], None]] = [mail, register, bundles, keys]


def build() -> Corpus:
    corpus = Corpus()
    for i, section in enumerate(SECTIONS):
        section(corpus, random.Random(1000 + i))
    return corpus


def write(folder: Path) -> Corpus:
    """Write the corpus and its manifest into `folder` (files not in the corpus are left alone)."""
    corpus = build()
    for rel, data in corpus.files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (folder / "manifest.json").write_text(json.dumps(corpus.manifest, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    return corpus


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    made = write(target)
    print(f"{len(made.files)} files written to {target}")
