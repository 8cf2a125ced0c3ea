"""The constituent fields a person's record can have edited: a module of its own (no database imports) so
the CLI can build its options without importing the database stack."""

from __future__ import annotations

EDITABLE = ("title", "forenames", "surname", "preferred_name", "email", "phone", "address1", "address2",
            "address3", "town", "postcode", "date_of_birth", "safety_caution", "safety_details", "vulnerable",
            "interpreter_language", "accessibility", "elector_key")
