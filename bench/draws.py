"""How long a draw takes: 500 and 2,700 volunteers (27 cantons × 100), assembly and committee.

Times ``assembly.draws.compute_result`` — the whole draw from frozen inputs (every round's
call of the library) — and, once, the hash of the inputs. The database steps around it
(import, freeze, store the result) are a few bulk queries and not measured here. The pools
are generated with a fixed seed; each figure is the median of ``--repeat`` runs with
different draw seeds.

    .venv/bin/python bench/draws.py                 # 500 and 2,700, 3 runs each
    .venv/bin/python bench/draws.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from assembly.draws import INPUTS_FORMAT, compute_result, library_version, sha256_of  # noqa: E402

CANTONS = [f"canton-{n:02d}" for n in range(27)]
CATEGORIES = ("f18", "f45", "h18", "h45")


def pool(size: int, rng: random.Random) -> list[list[str]]:
    """``size`` volunteers, at least 2 per seat, the rest spread at random."""
    strata = [(c, k) for c in CANTONS for k in CATEGORIES]
    chosen = [s for s in strata for _ in range(2)]
    chosen += [rng.choice(strata) for _ in range(size - len(chosen))]
    return [[f"P{n:05d}", k[0], k[1:], c] for n, (c, k) in enumerate(chosen)]


def inputs(purpose: str, people: list[list[str]], rounds: int) -> dict[str, Any]:
    strata = [f"{c}:{k}" for c in CANTONS for k in CATEGORIES]
    quotas = [
        {"feature": "sex", "value": "f", "min": 6, "max": 6},
        {"feature": "sex", "value": "h", "min": 6, "max": 6},
        {"feature": "age_band", "value": "18", "min": 5, "max": 7},
        {"feature": "age_band", "value": "45", "min": 5, "max": 7},
        {"feature": "canton", "value": "*", "min": 0, "max": 1},
    ]
    return {"format": INPUTS_FORMAT, "draw": "bench", "purpose": purpose, "rounds": rounds,
            "panel_size": 12 if purpose == "comite_suivi" else 0,
            "strata": strata if purpose == "assemblee" else [],
            "quotas": quotas if purpose == "comite_suivi" else [], "algorithm": "legacy",
            "people": people}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"sortition-algorithms {library_version()}, legacy; median of {args.repeat} runs")
    for size in (500, 2700):
        people = pool(size, random.Random(size))
        cases = [("assembly: 108 full members", "assemblee", 1),
                 ("assembly: 108 full members + 1 substitute rank", "assemblee", 2),
                 ("committee: 12 with quotas", "comite_suivi", 1)]
        started = time.perf_counter()
        sha256_of(inputs("assemblee", people, 2))
        hashed = time.perf_counter() - started
        print(f"\n{size} volunteers (hash of the inputs: {hashed * 1000:.1f} ms)")
        for label, purpose, rounds in cases:
            timings = []
            for run in range(args.repeat):
                started = time.perf_counter()
                result = compute_result(inputs(purpose, people, rounds), f"graine {run}")
                timings.append(time.perf_counter() - started)
            print(f"  {label:<48} {statistics.median(timings):7.2f} s "
                  f"(min {min(timings):.2f}, max {max(timings):.2f}; {len(result)} drawn)")


if __name__ == "__main__":
    main()
