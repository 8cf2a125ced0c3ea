"""`python -m bench [--size small|full|huge] [--only NAME] [--rebuild] [--json]`: print the benchmark table.

Always exits 0: benchmarks report against budgets, they do not fail CI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from bench.harness import run, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--size", choices=("small", "full", "huge"), default="full",
                        help="which demo office to measure (default: full, as DESIGN §6; huge is twice full)")
    parser.add_argument("--only", metavar="NAME", help="run only bench modules whose name contains NAME")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached demo office")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("MPOFFICE_NO_KEYRING", "1")
    rows = run(args.size, args.only, args.rebuild, echo=lambda s: print(s, file=sys.stderr))
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=1, ensure_ascii=False))
    else:
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
