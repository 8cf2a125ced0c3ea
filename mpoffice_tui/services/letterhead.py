"""The letterhead's images (the logo, the MP's signature): read once from a file and kept inside the office,
encrypted with everything else and synced with it; no letter ever names a file on disk.

    set_image(office, "logo", path) -> ImageInfo    (the MP and managers; PNG or JPEG, at most 2 MB)
    remove_image(office, "signature");  image(office, "logo") -> bytes | None;  images(office) -> {name: ImageInfo}
    store_image_in(w, name, filename, data)          (inside a caller's transaction: the demo office)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mpoffice_tui.db.engine import Office
from mpoffice_tui.db.errors import OfficeError
from mpoffice_tui.files import MiB, read_regular

IMAGES: dict[str, str] = {"logo": "the letterhead's logo (top left of every letter)",
                          "signature": "the MP's signature (above the name at the foot of a letter)"}
MAX_BYTES = MiB(2)
_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_PIXELS = 4000 * 4000  # larger is a photograph, not a letterhead


@dataclass(frozen=True)
class ImageInfo:
    name: str
    filename: str
    content_type: str
    size: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _name(name: str) -> str:
    key = (name or "").strip().lower()
    if key not in IMAGES:
        raise OfficeError(f"unknown letterhead image {name!r}: choose one of {', '.join(IMAGES)}")
    return key


def check_image(data: bytes, source: str) -> str:
    """The content type of a PNG or JPEG image; OfficeError naming `source` for anything else."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt, (width, height) = im.format, im.size
            if width * height > MAX_PIXELS:
                raise OfficeError(f"{source}: the image is {width}×{height} pixels; use one under 4000×4000")
            im.verify()
    except OfficeError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise OfficeError(f"{source}: not a PNG or JPEG image that can be read ({type(exc).__name__})") from None
    if fmt not in _TYPES:
        raise OfficeError(f"{source}: a {fmt} image; use PNG or JPEG")
    return _TYPES[fmt]


def store_image_in(w: Any, name: str, filename: str, data: bytes) -> ImageInfo:
    """Keep an image (checked) as the letterhead's `name`, inside the caller's transaction."""
    from sqlmodel import select

    from mpoffice_tui.db import blobs
    from mpoffice_tui.db.models import OfficeImage

    name = _name(name)
    ctype = check_image(data, filename)
    digest = blobs.put(w, data)
    row = w.session.exec(select(OfficeImage).where(OfficeImage.name == name, OfficeImage.deleted == False)).first()  # noqa: E712
    if row is None:
        w.insert(OfficeImage, name=name, filename=filename, content_type=ctype, blob_hash=digest)
    else:
        w.update(row, filename=filename, content_type=ctype, blob_hash=digest)
    w.audit("setting.change", target=f"office_image:{name}", detail=f"letterhead {name} set")
    return ImageInfo(name, filename, ctype, len(data))


def set_image(office: Office, name: str, path: str | Path) -> ImageInfo:
    """Read an image file once and keep it in the office as the letterhead's logo or signature."""
    from mpoffice_tui.services import access

    name = _name(name)
    access.require(office, "settings.change")
    path = Path(path).expanduser()
    try:
        data = read_regular(path, MAX_BYTES, "image")
    except OSError as exc:
        raise OfficeError(f"{path}: cannot read the image ({getattr(exc, 'strerror', None) or exc})") from None
    check_image(data, str(path))
    with office.writing() as w:
        return store_image_in(w, name, path.name, data)


def remove_image(office: Office, name: str) -> None:
    from sqlmodel import select

    from mpoffice_tui.db.models import OfficeImage
    from mpoffice_tui.services import access

    name = _name(name)
    access.require(office, "settings.change")
    with office.writing() as w:
        for row in w.session.exec(select(OfficeImage).where(OfficeImage.name == name,
                                                            OfficeImage.deleted == False)).all():  # noqa: E712
            w.delete(row)
        w.audit("setting.change", target=f"office_image:{name}", detail=f"letterhead {name} removed")


def images(office: Office) -> dict[str, ImageInfo]:
    """The letterhead's images the office has, by name."""
    with office.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT i.name, i.filename, i.content_type, coalesce(b.size, 0) FROM office_images i "
                                    "LEFT JOIN blobs b ON b.hash = i.blob_hash WHERE i.deleted = 0 "
                                    "ORDER BY i.updated_at").fetchall()
    return {r[0]: ImageInfo(*r) for r in rows}


def image(office_or_conn: Any, name: str) -> bytes | None:
    """The image's bytes, or None when the office has none (or this machine does not hold them yet)."""
    from mpoffice_tui.db import blobs

    sql = "SELECT blob_hash FROM office_images WHERE name = ? AND deleted = 0 ORDER BY updated_at DESC LIMIT 1"
    if hasattr(office_or_conn, "writing"):  # an Office
        with office_or_conn.engine.connect() as conn:
            row = conn.exec_driver_sql(sql, (name,)).fetchone()
            return blobs.read(conn, row[0]) if row and row[0] else None
    row = office_or_conn.exec_driver_sql(sql, (name,)).fetchone()
    return blobs.read(office_or_conn, row[0]) if row and row[0] else None
