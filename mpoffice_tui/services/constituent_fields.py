"""The constituent fields a person's record can have edited: a module of its own (no database imports) so
the CLI can build its options without importing the database stack."""

from __future__ import annotations

EDITABLE = ("title", "forenames", "surname", "preferred_name", "email", "phone", "address1", "address2",
            "address3", "town", "postcode", "date_of_birth", "safety_caution", "safety_details", "vulnerable",
            "interpreter_language", "accessibility", "elector_key")


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
