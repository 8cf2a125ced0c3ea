"""Idox Elections export. Surnames beginning "(z) " are electors who opted out of the open register."""

from __future__ import annotations

from mpoffice_tui.importers.register.common import Format


class IdoxElections(Format):
    name = "idox"
    label = "Idox Elections"
    required = ("pollingdistrict", "electorno")
    aliases = {
        "pd": ("pollingdistrict",),
        "eno": ("electorno",),
        "suffix": ("electorsuffix", "suffix"),
        "markers": ("markers", "electormarkers", "flags"),
        "title": ("title",),
        "forename": ("forenames", "forename", "firstname"),
        "middle": ("middlenames", "middlename"),
        "surname": ("surname",),
        "attainment": ("dateofattainment", "attainmentdate"),
        "franchise": ("franchise",),
        "postcode": ("postcode",),
        "uprn": ("uprn",),
    }
    address = tuple(f"addressline{i}" for i in range(1, 7)) + tuple(f"address{i}" for i in range(1, 7))
