"""Where the waiting estimate goes wrong (issue 12): the error of `ours` broken down.

    .venv/bin/python -m bench.eta_breakdown [--days 24] [--first-seed 0]

Runs the replay benchmark's days (bench/bench_eta.py) and prints, per cause a ticket
may meet, how many tickets, the mean signed error (shown − real, minutes: negative is
an underestimate) and the mean absolute error: by service, by time of day (before,
around, after lunch), whether a counter serving the service was paused at issue,
priority group, booking checked in, services served only as a secondary one, and
long real waits (> 60 min).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict

import assets
from bench.bench_eta import plans
from bench.daysim import DaySimulator, _local
from bench.eta_candidates import ESTIMATORS
from queue_server.core.siteconfig import load_config
from queue_server.domain.eta import HORIZON
from queue_server.domain.lifecycle import CounterStatus


class _Observed(DaySimulator):
    """The day, noting at each issue the circumstances the breakdown groups by."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.features: dict[int, dict[str, str]] = {}

    def _arrive(self, now: float) -> None:
        before = set(self.records)
        super()._arrive(now)
        (tid,) = set(self.records) - before
        ticket, cfg = self.state.tickets[tid], self.config
        hour = (now - _local(self.day, 0, self.tz)) / 3600
        serving = [n for n, k in cfg.counters.items() if ticket.service in k.all_services]
        primary = [n for n in serving if ticket.service in cfg.counters[n].services]
        paused = [n for n in serving if self.state.counters[n].status is CounterStatus.PAUSED]
        closed = [n for n in serving if self.state.counters[n].status is CounterStatus.CLOSED]
        shown = self.state.service_times.mean(ticket.service)
        true = self.median_minutes[ticket.service] * 60 * math.exp(self.sigma**2 / 2)
        ratio = shown / true
        ahead = self.state.ahead(ticket)
        self.features[tid] = {
            "counters serving it closed at issue": f"{len(closed)} of {len(serving)}",
            "mean service time used / true mean": "< 0.7"
            if ratio < 0.7
            else "0.7-0.9"
            if ratio < 0.9
            else "0.9-1.1"
            if ratio < 1.1
            else "1.1-1.4"
            if ratio < 1.4
            else ">= 1.4",
            "ahead": "0-4"
            if ahead < 5
            else "5-14"
            if ahead < 15
            else "15-29"
            if ahead < 30
            else "30+",
            "service": ticket.service,
            "time": "before 10:00"
            if hour < 10
            else "10:00-11:30"
            if hour < 11.5
            else "lunch 11:30-13:00"
            if hour < 13
            else "after 13:00",
            "paused counter at issue": "yes" if paused else "no",
            "priority": "yes" if ticket.priority else "no",
            "booked": "yes" if ticket.booking else "no",
            "served only as secondary": "yes" if not primary else "no",
            "plan": self.plan.label,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=24)
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    config = load_config(assets.SAMPLE_CONFIG)
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for plan in plans(args.days, args.first_seed):
        sim = _Observed(config, plan, {"ours": ESTIMATORS["ours"]})
        for tid, record in sim.run_records():
            if record.wait is None:
                continue
            signed = (record.estimates["ours"] - record.wait) / 60
            features = dict(sim.features[tid])
            features["real wait"] = "> 60 min" if record.wait > 3600 else "<= 60 min"
            features["all"] = "all"
            features["shown: nobody calls today"] = (
                "yes" if record.estimates["ours"] >= HORIZON else "no"
            )
            features["time × plan"] = f"{features['time']} | {features['plan']}"
            features["time × closed"] = (
                f"{features['time']} | {features['counters serving it closed at issue'][0]} closed"
            )
            for key, value in features.items():
                groups[key][value].append(signed)
    out = {}
    for key, values in groups.items():
        out[key] = {
            value: {
                "tickets": len(errs),
                "signed_min": round(statistics.mean(errs), 1),
                "mae_min": round(statistics.mean(abs(x) for x in errs), 1),
                "share_of_total_error": round(
                    sum(abs(x) for x in errs) / sum(abs(x) for x in groups["all"]["all"]), 3
                ),
            }
            for value, errs in sorted(values.items())
        }
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
