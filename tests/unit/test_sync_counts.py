"""The sync counts a person reads ("N changes waiting", "N changes exported") agree with what a bundle holds,
on three real replicas (invite and join): a machine passes on changes from the others too."""

from __future__ import annotations

from conftest import PASSPHRASE
from mpoffice_tui.db.engine import create_office, open_office
from mpoffice_tui.db.models import Constituent
from mpoffice_tui.services import status as office_status
from mpoffice_tui.sync import auto, bundle, enrol, status
from mpoffice_tui.ui.screens.sync import describe

INVITE = "one-time invitation words"


def _held(office) -> int:
    """How many changes a bundle written now would hold."""
    return bundle.build(office)[1]


def test_changes_waiting_are_what_the_bundle_holds_relayed_changes_included(tmp_path):
    a = create_office(tmp_path / "a" / "a.mpo", office_name="Office of Jane Smith MP", mp_name="Jane Smith MP",
                      staff_name="Ann Manager", passphrase=PASSPHRASE).office
    with a.writing() as w:
        jo = w.insert(Constituent, forenames="Jo", surname="Bloggs", phone="1")
    for label in ("b", "c"):
        inv = enrol.invite(a, tmp_path, passphrase=INVITE, label=label)
        enrol.join(inv.path, INVITE, tmp_path / label / f"{label}.mpo")
    folder = tmp_path / "shared"
    folder.mkdir()
    b = open_office(tmp_path / "b" / "b.mpo", PASSPHRASE)
    try:
        first = auto.sync_folder_once(a, folder)
        assert first.exported == _held(a) == status.summary(a).waiting
        with b.writing() as w:
            w.update(w.get(Constituent, jo.id), phone="2")
        assert status.summary(b).waiting == _held(b)
        synced = auto.sync_folder_once(b, folder)  # B takes A's changes and passes them on to C
        assert synced.exported == _held(b) == status.summary(b).waiting == office_status.changes_waiting(b)
        assert synced.exported > 1  # its own edit and A's, which C has not acknowledged
        again = auto.sync_folder_once(b, folder)  # nothing new: the bundle in the folder already holds them
        assert again.exported == 0 and status.summary(b).waiting == synced.exported
        text = describe(again)
        assert "0 changes exported" not in text and "up to date" in text
        assert f"{synced.exported} changes exported" in describe(synced)
    finally:
        a.close()
        b.close()
