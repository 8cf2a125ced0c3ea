"""Read a PDF back in tests, as a person's PDF reader would (pypdf: pure Python, everywhere)."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader


def reader(source: bytes | str | Path) -> PdfReader:
    return PdfReader(io.BytesIO(source) if isinstance(source, bytes) else str(source))


def pdf_text(source: bytes | str | Path) -> str:
    """All the pages' text, a form feed between pages."""
    return "\f".join(page.extract_text() or "" for page in reader(source).pages)
