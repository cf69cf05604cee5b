"""`python -m bench [--tiny] [--out bench.json]`: measure, print the table, write the JSON."""

from __future__ import annotations

import argparse
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

import django


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="the test's tiny sizes")
    parser.add_argument("--out", default="bench.json", help="where to write the figures")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "axconnect.settings")
    django.setup()
    logging.disable(logging.INFO)  # every tick logs; the table is the output
    from bench.practices import bench_database_ready
    from bench.report import bench_document, report_table
    from bench.run import bench_notes, bench_run
    from bench.sizes import FULL, TINY

    bench_database_ready()
    sizes = TINY if args.tiny else FULL
    results = bench_run(sizes=sizes)
    notes = bench_notes(results, sizes)
    print(report_table(results, notes=notes))
    document = bench_document(results, notes=notes, sizes=asdict(sizes))
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
