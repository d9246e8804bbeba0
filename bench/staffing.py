"""Benchmark staffing for 96 intervals (DESIGN §5: ≤ 50 ms): a day of 15-minute intervals of a large
center, by Erlang C (the default) and by Erlang A (with patience). Pure computation, no database.

    python bench/staffing.py [--peak-calls 400] [--aht 240] [--repeat 20]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import record

from kpi.erlang import staffing

INTERVAL_S = 900


def day_curve(peak: float) -> list[float]:
    """Calls per 15 minutes over a day: quiet nights, a morning and an afternoon peak."""
    calls = []
    for i in range(96):
        hour = i / 4
        morning = math.exp(-(((hour - 10.5) / 2.0) ** 2))
        afternoon = 0.8 * math.exp(-(((hour - 15.0) / 2.5) ** 2))
        calls.append(round(peak * max(morning, afternoon) + 2))
    return calls


def run(calls: list[float], *, aht: float, patience: float | None) -> list[int]:
    return [
        staffing(
            calls_per_interval=c,
            interval_s=INTERVAL_S,
            aht_s=aht,
            target_sl=0.8,
            target_time_s=20,
            shrinkage=0.3,
            patience_s=patience,
        ).agents
        for c in calls
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--peak-calls", type=float, default=400.0, help="calls in the busiest 15 minutes")
    parser.add_argument("--aht", type=float, default=240.0)
    parser.add_argument("--patience", type=float, default=90.0, help="for the Erlang A run")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    calls = day_curve(args.peak_calls)
    peak_erlangs = max(calls) * args.aht / INTERVAL_S
    print(
        f"96 intervals of 15 min, {sum(calls):.0f} calls, peak {max(calls):.0f} ({peak_erlangs:.0f} Erlangs)"
    )
    for label, patience in (("Erlang C", None), (f"Erlang A (patience {args.patience:g} s)", args.patience)):
        timings = []
        for _ in range(args.repeat):
            began = time.perf_counter()
            agents = run(calls, aht=args.aht, patience=patience)
            timings.append((time.perf_counter() - began) * 1000)
        record(f"staffing_erlang_{'a' if patience else 'c'}_ms", statistics.median(timings), "ms")
        print(
            f"{label}: median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms "
            f"per 96 intervals (peak {max(agents)} agents; target ≤ 50 ms)"
        )


if __name__ == "__main__":
    main()
