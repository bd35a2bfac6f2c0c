"""Runs the suite's workloads (bench/_suite.py) for durable and its peers, ROUNDS times each,
interleaved, and writes the medians and ratios to bench/results/suite.md.

    .venv/bin/python bench/run_suite.py [--rounds 3] [--only SYSTEM,...] [--workloads W,...]

Workloads (sizes in bench/_suite.py SIZES, --n-WORKLOAD overrides):
  seq10      N concurrent workflows of 10 sequential activities
  fanout100  N concurrent workflows of 100 parallel activities each
  timer      N concurrent workflows each sleeping on a 100 ms durable timer
  signals    one running workflow receives N signals (50 in flight); signals/s until it returns
Systems: durable (embedded), durable-grpc-1, durable-grpc-4 (durable-server + 1 / 4 worker
processes), dbos, temporal (peers from scripts/bench-peers.sh; reported missing if absent).
Each (system, workload) is its own process, started afresh in every round.
"""

from __future__ import annotations

import argparse
import os
import statistics

from _driver import (BENCH, dbos_cmd, durable_cmd, have_dbos, have_temporal, header, run_once,
                     temporal_cmd)
from _suite import SIZES, TIMER_S, WORKLOADS

TITLES = {
    "seq10": "ten sequential activities (N concurrent workflows)",
    "fanout100": "fan-out of 100 parallel activities (N concurrent workflows)",
    "timer": f"a {TIMER_S * 1000:.0f} ms durable timer (N concurrent workflows)",
    "signals": "signals to one running workflow (N signals, 50 in flight)",
}


def commands(workload: str, n: int) -> dict[str, list[str] | None]:
    return {
        "durable": durable_cmd(workload, n),
        "durable-grpc-1": durable_cmd(workload, n, transport="grpc", workers=1),
        "durable-grpc-4": durable_cmd(workload, n, transport="grpc", workers=4),
        "dbos": dbos_cmd(workload, n) if have_dbos() else None,
        "temporal": temporal_cmd(workload, n) if have_temporal() else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated systems")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    for w in WORKLOADS:
        parser.add_argument(f"--n-{w}", type=int, default=SIZES[w])
    parser.add_argument("--out", default=str(BENCH / "results" / "suite.md"))
    args = parser.parse_args()
    workloads = args.workloads.split(",")
    sizes = {w: getattr(args, f"n_{w}") for w in workloads}
    cmds = {w: commands(w, sizes[w]) for w in workloads}
    if args.only:
        keep = args.only.split(",")
        cmds = {w: {k: v for k, v in c.items() if k in keep} for w, c in cmds.items()}
    load_before = os.getloadavg()
    results: dict[str, dict[str, list[dict]]] = {
        w: {k: [] for k, v in c.items() if v} for w, c in cmds.items()}
    for r in range(args.rounds):
        for w in workloads:
            for name, cmd in cmds[w].items():
                if cmd is None:
                    continue
                (res,) = run_once(cmd)
                results[w][name].append(res)
                print(f"round {r + 1}/{args.rounds} {w} {name}: {res['completions_per_s']}/s "
                      f"p50 {res['p50_ms']} ms p99 {res['p99_ms']} ms cpu {res['cpu_s']} s",
                      flush=True)
    load_after = os.getloadavg()

    sections = []
    for w in workloads:
        def med(name: str, key: str) -> float:
            return statistics.median(x[key] for x in results[w][name])

        unit = "signals/s" if w == "signals" else "workflows/s"
        latency = "signal call" if w == "signals" else "start→result"
        base = med("durable", "completions_per_s") if "durable" in results[w] else None
        rows = []
        for name in results[w]:
            rate = med(name, "completions_per_s")
            rows.append(
                f"| {results[w][name][0]['system']} | {rate:.1f} | {med(name, 'p50_ms'):.1f} | "
                f"{med(name, 'p99_ms'):.1f} | {med(name, 'cpu_s'):.2f} | "
                f"{med(name, 'peak_rss_mb'):.0f} | "
                + (f"{base / rate:.2f}x |" if base else "— |"))
        missing = [name for name, cmd in cmds[w].items() if cmd is None]
        sections.append(
            f"## {TITLES[w]}, N = {sizes[w]}\n\n"
            f"| system | {unit} | {latency} p50 ms | p99 ms | CPU s | peak RSS MB | "
            f"durable embedded ÷ this |\n|---|---|---|---|---|---|---|\n" + "\n".join(rows)
            + "\n" + (f"\nNot measured (peer not installed): {', '.join(missing)}\n"
                      if missing else ""))
    text = (header("The suite: durable and its peers", args.rounds, load_before, load_after)
            + "Workloads in bench/_suite.py (durable and Temporal run the same workflow code, "
            "bench/_suite_workflows.py and bench/peers/_temporal_workflows.py; DBOS the same "
            "logic with its API, bench/peers/dbos_suite.py). Durable is WAL-synced everywhere. "
            "CPU s and peak RSS: all processes of the system (client, worker processes, "
            "server), during the timed part; peak RSS is the sum of each process's peak. "
            "The ratio is of throughput: how many times durable embedded's rate.\n\n"
            + "\n".join(sections))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
