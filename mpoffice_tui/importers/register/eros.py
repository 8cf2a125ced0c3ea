"""Halarose / Idox EROS export (PD, ENO, Status, Title, First Name, Initials, Surname, Suffix, Date Of
Attainment, Franchise Flag, Address 1-9, Postcode, UPRN). Status carries the markers."""

from __future__ import annotations

from mpoffice_tui.importers.register.common import Format


class Eros(Format):
    name = "eros"
    label = "Halarose/Idox EROS"
    required = ("pd", "eno")
    aliases = {
        "pd": ("pd",),
        "eno": ("eno",),
        "suffix": ("suffix", "enosuffix"),
        "status": ("status",),
        "markers": ("markers", "marker"),
        "title": ("title",),
        "forename": ("firstname", "forename"),
        "initials": ("initials",),
        "surname": ("surname",),
        "attainment": ("dateofattainment", "attainmentdate"),
        "franchise": ("franchiseflag", "franchise"),
        "postcode": ("postcode",),
        "uprn": ("uprn",),
    }
    address = tuple(f"address{i}" for i in range(1, 10))
