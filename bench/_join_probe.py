"""Child process for the joining benchmark: one side of an invitation, so its peak memory is its own.

    python bench/_join_probe.py invite DB_PATH PASSPHRASE FOLDER INVITE_PASSPHRASE
    python bench/_join_probe.py join ENROLMENT_FILE INVITE_PASSPHRASE NEW_DB_PATH
Prints one JSON object: seconds, the enrolment file's bytes (invite) or ops held (join), peak RSS (MiB).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _peak() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    os.environ.setdefault("MPOFFICE_NO_KEYRING", "1")
    from mpoffice_tui.db.engine import open_office
    from mpoffice_tui.sync import enrol

    what = sys.argv[1]
    t0 = time.perf_counter()
    if what == "invite":
        office = open_office(Path(sys.argv[2]), sys.argv[3], use_keyring=False)
        inv = enrol.invite(office, Path(sys.argv[4]), passphrase=sys.argv[5])
        office.close()
        out = {"seconds": time.perf_counter() - t0, "file": str(inv.path), "bytes": inv.path.stat().st_size}
    else:
        joined = enrol.join(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))
        out = {"seconds": time.perf_counter() - t0, "ops": joined.ops, "code": joined.site_code}
    out["peak"] = _peak()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
