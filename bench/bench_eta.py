"""Replay benchmark of waiting-time estimates (issue 12): JSON on stdout.

    .venv/bin/python -m bench.bench_eta [--days 24] [--first-seed 0]

Simulated days of the sample site (bench/daysim.py: the real domain, different seeds,
loads from 600 to 1,200 citizens, with and without a lunch pause, mornings with few
counters and few samples) record, for every ticket, what each estimator
(bench/eta_candidates.py) would have shown at issue time and the wait that followed.
Printed per estimator: mean and p90 absolute error in minutes and the share of real
waits within the range a slip would show (the estimate −25 % … +25 %, at least ±5
minutes); then the ratios the issue's goal is about (goal: ≤ 0.70 for both).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import assets
from bench.daysim import DayPlan, DaySimulator
from bench.eta_candidates import ESTIMATORS
from queue_server.core.siteconfig import load_config


def plans(days: int, first: int = 0) -> list[DayPlan]:
    out = []
    for seed in range(first, first + days):
        out.append(
            DayPlan(
                seed=seed,
                tickets=600 + (seed * 97) % 601,
                lunch_pause=seed % 4 != 3,
                late_counters=0.5 if seed % 5 == 4 else 0.0,
                meetings=2 + seed % 5,
                label="few samples in the morning"
                if seed % 5 == 4
                else "no lunch pause"
                if seed % 4 == 3
                else "lunch pause",
            )
        )
    return out


def in_range(estimate: float, wait: float) -> bool:
    margin = max(300.0, 0.25 * estimate)
    return estimate - margin <= wait <= estimate + margin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=24)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="another set of days (24: held out)"
    )
    args = parser.parse_args()
    config = load_config(assets.SAMPLE_CONFIG)
    errors: dict[str, list[float]] = {name: [] for name in ESTIMATORS}
    inside: dict[str, int] = dict.fromkeys(ESTIMATORS, 0)
    started, tickets = time.perf_counter(), 0
    for plan in plans(args.days, args.first_seed):
        for record in DaySimulator(config, plan, ESTIMATORS).run():
            if record.wait is None:
                continue
            tickets += 1
            for name, estimate in record.estimates.items():
                errors[name].append(abs(estimate - record.wait) / 60)
                inside[name] += in_range(estimate, record.wait)
    figures = {}
    for name, errs in errors.items():
        errs.sort()
        figures[name] = {
            "mae_minutes": round(statistics.mean(errs), 2),
            "p90_minutes": round(errs[int(0.9 * len(errs))], 2),
            "within_range": round(inside[name] / len(errs), 3),
        }
    best_snapshot = min(figures["les"]["mae_minutes"], figures["hol"]["mae_minutes"])
    candidate = figures["ours"]["mae_minutes"]
    print(
        json.dumps(
            {
                "days": args.days,
                "seeds": [args.first_seed, args.first_seed + args.days - 1],
                "tickets_called": tickets,
                "estimators": figures,
                "ours_vs_today_mae": round(candidate / figures["today"]["mae_minutes"], 3),
                "ours_vs_best_les_hol_mae": round(candidate / best_snapshot, 3),
                "goal_ratio": 0.7,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
