"""A constituent's fields and how a person's name, address and greeting are made from them: the one source
for every service that reads people. A module of its own (no database imports) so the CLI can build its
options without importing the database stack.

    EDITABLE: the fields an edit form and `mpoffice person set` may change
    name_sql("p", title=True) -> SQL for the name the office shows ('Dr Ann Okafor'; the preferred name
        before the forenames); display_name(...) is the same in Python
    ADDRESS: the address columns, in order; address_lines(...) -> the lines that are there
    LETTER_COLS: the columns a letter to the person needs; salutation(...) -> 'Dear Ms Ó Súilleabháin'
    split_name("O'Brien, Seán") -> ("Seán", "O'Brien")
"""

from __future__ import annotations

EDITABLE = ("title", "forenames", "surname", "preferred_name", "email", "phone", "address1", "address2",
            "address3", "town", "postcode", "date_of_birth", "safety_caution", "safety_details", "vulnerable",
            "interpreter_language", "accessibility", "elector_key")

ADDRESS = ("address1", "address2", "address3", "town", "postcode")
# a letter's merge fields (title, the name to greet, the address), in this order
LETTER_COLS = ("title", "forenames", "preferred_name", "surname", *ADDRESS)
# what finding a person by name, email or postcode compares (duplicates, a subject access request)
MATCH_COLS = ("id", "forenames", "surname", "preferred_name", "email", "postcode")


def cols(names: tuple[str, ...], alias: str = "") -> str:
    """'p.id, p.forenames, …': columns for a SELECT list, on a table alias."""
    return ", ".join(f"{alias}.{n}" if alias else n for n in names)


def name_sql(alias: str = "", *, title: bool = False) -> str:
    """SQL for the name the office shows: [title] preferred name (else forenames) surname, single-spaced,
    '' when there is no name at all (display_name() in Python)."""
    a = f"{alias}." if alias else ""
    first = f"coalesce(nullif({a}preferred_name, '') || ' ', nullif({a}forenames, '') || ' ', '')"
    lead = f"coalesce(nullif({a}title, '') || ' ', '') || " if title else ""
    return f"trim({lead}{first} || coalesce({a}surname, ''))"


def display_name(forenames: str | None, surname: str | None, preferred_name: str | None = None,
                 title: str | None = None) -> str:
    """The name the office shows, as name_sql() makes it: 'Dr Ann Okafor' (title only when given)."""
    return " ".join(x for x in (title, preferred_name or forenames, surname) if x)


def address_lines(*parts: str | None) -> list[str]:
    """The lines of an address that are there, trimmed: address_lines(address1, …, town, postcode)."""
    return [p.strip() for p in parts if p and p.strip()]


def salutation(title: str | None, forenames: str | None, preferred_name: str | None, surname: str | None) -> str:
    """'Dear Ms Ó Súilleabháin' (title and surname), else 'Dear Siobhán', else 'Dear Sir or Madam'."""
    fore = preferred_name or forenames or ""
    if title and surname:
        return f"Dear {title} {surname}"
    return f"Dear {fore}" if fore else "Dear Sir or Madam"


def split_name(name: str | None) -> tuple[str, str]:
    """(forenames, surname) of a name as typed or as a mail client shows it: "Seán O'Brien",
    "O'Brien, Seán", '"Smith, John"'; one word is a surname."""
    name = (name or "").replace('"', "")
    if "," in name and len(name.split()) >= 2:
        surname, forenames = name.split(",", 1)
        return " ".join(forenames.split()), " ".join(surname.split())
    words = name.split()
    if not words:
        return "", ""
    return " ".join(words[:-1]), words[-1]
