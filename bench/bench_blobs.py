"""Big attachments cost what they weigh (issue 11 point 4, issue 13 point 2): 30 messages with a 10 MB
attachment each are imported into A, exported as one bundle and imported by its replica B; each step runs
in a fresh process and reports its peak RSS (VmHWM). Also the file and bundle growth for one message with a
10 MB attachment, imported and filed, then synced.

    python bench/bench_blobs.py            # prints the figures (uses whatever mpoffice_tui is importable)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

PASS, INVITE = "bench passphrase", "bench invitation words"
MESSAGES, SIZE = 30, 10 * 1024 * 1024


def _peak_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _files_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _mail(folder: Path, n: int, size: int) -> Path:
    mail = EmailMessage()
    mail["From"], mail["Subject"], mail["Message-ID"] = "jo@example.org", f"scan {n}", f"<bench-{n}@example.org>"
    mail.set_content(f"the scan, part {n}")
    mail.add_attachment(os.urandom(size), maintype="application", subtype="pdf", filename=f"scan{n}.pdf")
    path = folder / f"m{n:02d}.eml"
    path.write_bytes(bytes(mail))
    return path


def phase(name: str, root: Path) -> dict:
    """One step, in this process: setup | import | export | apply | one."""
    from mpoffice_tui.db.engine import create_office, open_office
    from mpoffice_tui.services import cases, inbox
    from mpoffice_tui.sync import bundle, enrol

    t0 = time.perf_counter()
    out: dict = {}
    if name == "setup":
        a = create_office(root / "a.mpo", office_name="Bench", mp_name="MP", staff_name="Ann", passphrase=PASS).office
        inv = enrol.invite(a, root, passphrase=INVITE)
        a.close()
        enrol.join(inv.path, INVITE, root / "b.mpo")
        mail = root / "mail"
        mail.mkdir()
        for n in range(MESSAGES):
            _mail(mail, n, SIZE)
    elif name == "import":
        a = open_office(root / "a.mpo", PASS)
        inbox.import_paths(a, [root / "mail"])
        a.close()
        out["a_bytes"] = _files_size(root / "a.mpo")
    elif name == "export":
        a = open_office(root / "a.mpo", PASS)
        done = bundle.export_bundle(a, root / "a.mposync")
        a.close()
        out["bundle_bytes"] = done.bytes
    elif name == "apply":
        b = open_office(root / "b.mpo", PASS)
        got = bundle.import_bundle(b, root / "a.mposync")
        b.close()
        out["new"] = got.new
        out["b_bytes"] = _files_size(root / "b.mpo")
    elif name == "one":  # one message with a 10 MB attachment: imported, filed, synced
        a = create_office(root / "one.mpo", office_name="Bench", mp_name="MP", staff_name="Ann", passphrase=PASS).office
        inv = enrol.invite(a, root, passphrase=INVITE)
        enrol.join(inv.path, INVITE, root / "two.mpo")
        b = open_office(root / "two.mpo", PASS)
        bundle.import_bundle(b, bundle.export_bundle(a, root / "first.mposync").path)
        bundle.import_bundle(a, bundle.export_bundle(b, root / "ack.mposync").path)
        a_before, b_before = _files_size(root / "one.mpo"), _files_size(root / "two.mpo")
        folder = root / "onemail"
        folder.mkdir()
        inbox.import_paths(a, [_mail(folder, 99, SIZE)])
        case = cases.create_case(a, constituent_id=None, title="Scan", category="General")
        with a.engine.connect() as conn:
            mid = conn.exec_driver_sql("SELECT id FROM messages").fetchone()[0]
        inbox.file_to_case(a, mid, case.ref)
        sent = bundle.export_bundle(a, root / "one.mposync")
        bundle.import_bundle(b, sent.path)
        for o in (a, b):
            raw = o.engine.raw_connection()
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.close()
        out.update(eml_bytes=(folder / "m99.eml").stat().st_size, a_growth=_files_size(root / "one.mpo") - a_before,
                   b_growth=_files_size(root / "two.mpo") - b_before, bundle_bytes=sent.bytes)
        a.close()
        b.close()
    out.update(seconds=round(time.perf_counter() - t0, 2), peak_mib=round(_peak_mib(), 1))
    return out


def measure() -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for name in ("setup", "import", "export", "apply", "one"):
            run = subprocess.run([sys.executable, __file__, name, str(root)], capture_output=True, text=True)
            if run.returncode:
                raise RuntimeError(run.stderr[-2000:])
            results[name] = json.loads(run.stdout.strip().splitlines()[-1])
    return results


def rows(ctx) -> list:
    from bench.harness import Row

    r = measure()
    return [Row.at_most("30×10 MB attachments: import peak RSS", r["import"]["peak_mib"], "MB", 390, ""),
            Row.at_most("30×10 MB attachments: bundle export peak RSS", r["export"]["peak_mib"], "MB", 390, ""),
            Row.at_most("30×10 MB attachments: bundle import peak RSS", r["apply"]["peak_mib"], "MB", 390, ""),
            Row.info("one 10 MB attachment: file growth", r["one"]["a_growth"] / 1e6, "MB",
                     f"bundle {r['one']['bundle_bytes'] / 1e6:.1f} MB, .eml {r['one']['eml_bytes'] / 1e6:.1f} MB")]


if __name__ == "__main__":
    if len(sys.argv) == 3:
        print(json.dumps(phase(sys.argv[1], Path(sys.argv[2]))))
    else:
        print(json.dumps(measure(), indent=1))
