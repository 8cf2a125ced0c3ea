"""Xpress full-register export (Elector Number Prefix / Number / Suffix / Markers / DOB / Surname /
Forename / PostCode / Address1-6). The DOB column holds the attainer's date on the full register."""

from __future__ import annotations

from mpoffice_tui.importers.register.common import ElectorRecord, Format


class Xpress(Format):
    name = "xpress"
    label = "Xpress"
    required = ("electornumberprefix", "electornumber")
    aliases = {
        "pd": ("electornumberprefix",),
        "eno": ("electornumber",),
        "suffix": ("electornumbersuffix",),
        "markers": ("electormarkers", "markers"),
        "attainment": ("electordob", "dob"),
        "title": ("electortitle", "title"),
        "surname": ("electorsurname", "surname"),
        "forename": ("electorforename", "forename", "electorfirstname"),
        "middle": ("electormiddlename", "middlename"),
        "initials": ("electorinitials",),
        "postcode": ("postcode", "electorpostcode"),
        "uprn": ("uprn", "propertyurn", "electoruprn"),
    }
    address = ("address1", "address2", "address3", "address4", "address5", "address6")

    def fix(self, rec: ElectorRecord) -> None:
        if "Z" in rec.markers:
            rec.open_register_optout = True
