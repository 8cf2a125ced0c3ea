"""The kinds of Register of Interests entry: a module of its own (no database imports) so the CLI can build
its options without importing the database stack."""

from __future__ import annotations

KINDS = ("employment", "gift", "benefit", "bursary", "councillor", "party")
