"""Sync figures: export + import of 10k field changes between two real replicas, and the bundle's size
against the same changes as zlib-compressed JSON (DESIGN §6: ≤ 2 s; issue 6: ≤ 2×)."""

from __future__ import annotations

import json
import time
import zlib

from bench.harness import Ctx, Row

ROWS, FIELDS = 2000, ("surname", "phone", "town", "postcode", "email")  # 2000 × 5 = 10k field changes


def measure(tmp) -> dict:
    """Build A and its replica B, make 10k field changes on A, time export + import, compare sizes."""
    from mpoffice_tui.db.engine import create_office, open_office
    from mpoffice_tui.db.models import Constituent
    from mpoffice_tui.sync import bundle, enrol

    pw, invite = "bench passphrase", "bench invitation"
    a = create_office(tmp / "a.mpo", office_name="Bench", mp_name="MP", staff_name="Ann", passphrase=pw).office
    with a.writing() as w:
        ids = w.insert_many(Constituent, [{"forenames": f"F{i}", "surname": f"S{i}"} for i in range(ROWS)])
    inv = enrol.invite(a, tmp, passphrase=invite)
    enrol.join(inv.path, invite, tmp / "b.mpo")
    b = open_office(tmp / "b.mpo", pw)
    changes = []
    with a.writing() as w:
        for n, row_id in enumerate(ids):
            obj = w.get(Constituent, row_id)
            new = {"surname": f"Surname {n}", "phone": f"07700 9{n:05d}", "town": ["Leeds", "York", "Hull"][n % 3],
                   "postcode": f"LS{n % 30} {n % 9}AB", "email": f"person{n}@example.org"}
            w.update(obj, **new)
            changes += [{"tbl": "constituents", "row_id": row_id, "field": k, "value": v} for k, v in new.items()]
    t0 = time.perf_counter()
    done = bundle.export_bundle(a, tmp / "out.mposync")
    t1 = time.perf_counter()
    got = bundle.import_bundle(b, done.path)
    t2 = time.perf_counter()
    baseline = len(zlib.compress(json.dumps(changes).encode("utf-8"), 6))
    a.close()
    b.close()
    return {"export_s": t1 - t0, "import_s": t2 - t1, "ops": done.ops, "new": got.new, "bytes": done.bytes,
            "baseline": baseline}


def rows(ctx: Ctx) -> list[Row]:
    folder = ctx.tmp / "sync"
    folder.mkdir(parents=True, exist_ok=True)
    m = measure(folder)
    note = f"{m['ops']} ops ({m['new']} new on import): export {m['export_s']:.2f} s, import {m['import_s']:.2f} s"
    return [
        Row.at_most("sync: export + import of 10k changes", m["export_s"] + m["import_s"], "s", 2.0, note),
        Row.at_most("sync: bundle size vs zlib JSON of the changes", m["bytes"] / m["baseline"], "×", 2.0,
                    f"{m['bytes']} vs {m['baseline']} bytes"),
    ]


if __name__ == "__main__":
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        print(measure(Path(d)))
