"""Democracy Counts property-file export (Add1-Add6, Postcode, UPRN with the electors at each property).
Its dummy property (postcode "A1 1AA" or "Dummy Record" in the address) is skipped."""

from __future__ import annotations

from mpoffice_tui.importers.register.common import ElectorRecord, Format


class DemocracyCounts(Format):
    name = "democracy_counts"
    label = "Democracy Counts"
    required = ("add1", "postcode")
    aliases = {
        "pd": ("pd", "pdcode", "pollingdistrict", "districtcode"),
        "eno": ("electornumber", "eno", "electorno"),
        "suffix": ("electorsuffix", "suffix", "enosuffix"),
        "markers": ("markers", "electormarkers", "flags"),
        "title": ("title",),
        "forename": ("forename", "forenames", "firstname"),
        "middle": ("middlenames", "middlename"),
        "surname": ("surname",),
        "attainment": ("dateofattainment", "attainmentdate", "dob"),
        "franchise": ("franchise", "franchiseflag"),
        "postcode": ("postcode",),
        "uprn": ("uprn", "propertyurn", "propertyuprn"),
    }
    address = ("add1", "add2", "add3", "add4", "add5", "add6")

    def skip(self, rec: ElectorRecord) -> bool:
        return rec.postcode == "A1 1AA" or "dummy record" in rec.address.lower()
