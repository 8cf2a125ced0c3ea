"""Identifiers: UUIDv7 row keys (time-ordered, unique across machines without coordination)."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())
