"""Unloaded start->result latency: one workflow at a time (after a warm-up), a workflow of 1
activity and one of 3 sequential activities, p50/p99; durable embedded, durable over gRPC (a
durable-server child process and one worker process), and the peers when installed
(scripts/bench-peers.sh), in interleaved rounds. Writes bench/results/latency.md.

    .venv/bin/python bench/latency.py [--n 300] [--peer-n 100] [--rounds 3] [--only NAME,...]

Each workflow's latency is measured by the client: from the start call to its result.
--peer-n sets the runs per round for the peers (Temporal's dev server takes ~0.2 s per run
here, so the same N as durable's would take minutes; p50 needs far fewer samples).
Systems: durable, durable-grpc, durable-relaxed, durable-grpc-relaxed (WAL not synced: the
latency without the disk's syncs), dbos, temporal. The workload is bench/_suite.py `latency`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from _driver import (BENCH, dbos_cmd, durable_cmd, have_dbos, have_temporal, header, run_once,
                     temporal_cmd)

# Synced commits (WAL fdatasyncs) per workflow on durable, counted with
# `strace -f -c -e trace=fdatasync` over this workload: start, workflow-task completion,
# then an activity completion and a workflow-task completion per activity.
SYNCS = {"latency-1": 4, "latency-3": 8}


def fdatasync_p50_ms(count: int = 200) -> float:
    """The cheapest fdatasync the disk offers now: 200 small sequential overwrites of a file
    whose blocks are already written (no size or extent change to journal), each synced; the
    p50 in ms. A lower bound for a WAL sync (appending, which grows the file, costs more)."""
    fd, path = tempfile.mkstemp(prefix="bench-sync-")
    try:
        os.write(fd, b"\0" * (count * 200 + 4096))
        os.fsync(fd)
        times = []
        for i in range(count):
            os.pwrite(fd, b"x" * 200, i * 200)
            t = time.perf_counter()
            os.fdatasync(fd)
            times.append(time.perf_counter() - t)
        return statistics.median(times) * 1000
    finally:
        os.close(fd)
        os.unlink(path)


TARGETS = {"durable": ("≤ 1 ms", "≤ 2 ms"), "durable-grpc": ("≤ 2 ms", "≤ 4 ms")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--peer-n", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only")
    parser.add_argument("--out", default=str(BENCH / "results" / "latency.md"))
    args = parser.parse_args()
    cmds = {
        "durable": durable_cmd("latency", args.n),
        "durable-grpc": durable_cmd("latency", args.n, transport="grpc"),
        "durable-relaxed": durable_cmd("latency", args.n, relaxed=True),
        "durable-grpc-relaxed": durable_cmd("latency", args.n, transport="grpc", relaxed=True),
        "dbos": dbos_cmd("latency", args.peer_n) if have_dbos() else None,
        "temporal": temporal_cmd("latency", args.peer_n) if have_temporal() else None,
    }
    if args.only:
        cmds = {k: v for k, v in cmds.items() if k in args.only.split(",")}
    load_before = os.getloadavg()
    results: dict[str, list[dict]] = {k: [] for k, v in cmds.items() if v}
    syncs: list[float] = []
    for r in range(args.rounds):
        syncs.append(fdatasync_p50_ms())
        print(f"round {r + 1}/{args.rounds} fdatasync p50 {syncs[-1]:.3f} ms", flush=True)
        for name, cmd in cmds.items():
            if cmd is None:
                continue
            lines = run_once(cmd)
            results[name].extend(lines)
            print(f"round {r + 1}/{args.rounds} {name}: " + ", ".join(
                f"{x['workload']} p50 {x['p50_ms']} ms p99 {x['p99_ms']} ms" for x in lines),
                flush=True)
    load_after = os.getloadavg()

    def med(name: str, workload: str, key: str) -> float:
        return statistics.median(x[key] for x in results[name] if x["workload"] == workload)

    rows = []
    base = {w: med("durable", w, "p50_ms") for w in ("latency-1", "latency-3")} \
        if "durable" in results else None
    for name in results:
        first = results[name][0]
        t1, t3 = TARGETS.get(name, ("", ""))
        cells = [first["system"], str(first["n"])]
        for w, t in (("latency-1", t1), ("latency-3", t3)):
            cells += [f"{med(name, w, 'p50_ms'):.1f}", f"{med(name, w, 'p99_ms'):.1f}", t or "—"]
        if base:
            cells.append(" / ".join(f"{med(name, w, 'p50_ms') / base[w]:.1f}x"
                                    for w in ("latency-1", "latency-3")))
        cells.append(" / ".join(f"{med(name, w, 'cpu_s') / first['n'] * 1000:.1f}"
                                for w in ("latency-1", "latency-3")))
        rows.append("| " + " | ".join(cells) + " |")
    sync = statistics.median(syncs)
    rows.append(f"| floor: synced commits × the cheapest fdatasync p50 ({sync:.2f} ms, "
                f"median of the rounds' probes) | — | {SYNCS['latency-1'] * sync:.1f} | — | — | "
                f"{SYNCS['latency-3'] * sync:.1f} | — | — | — | — |")
    missing = [name for name, cmd in cmds.items() if cmd is None]
    text = (header("Unloaded start→result latency, one workflow at a time", args.rounds,
                   load_before, load_after)
            + "Each round: 20 warm-up runs, then N runs one after the other, of a workflow with "
            "1 activity and of one with 3 sequential activities (bench/_suite.py `latency`). "
            "Durable: WAL synced on every commit, embedded (worker in the client's process) "
            "and over gRPC (durable-server child process, one worker process); the relaxed rows "
            "do not sync the WAL (what remains without the disk). CPU ms per "
            "workflow: all processes involved (client, worker, server). The floor row: a "
            f"one-activity workflow makes {SYNCS['latency-1']} synced commits, a three-activity "
            f"one {SYNCS['latency-3']} (counted with strace), one after the other, each "
            "waiting for an fdatasync of the WAL; each round also times the cheapest fdatasync "
            "of the file system (200 small sequential overwrites of written blocks): that "
            "product is the least the synced latency can be on this disk.\n\n"
            "| system | N per round | 1 activity p50 ms | p99 ms | target p50 | "
            "3 activities p50 ms | p99 ms | target p50 | p50 ÷ durable embedded (1 / 3) | "
            "CPU ms per workflow (1 / 3) |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
            + (f"\nNot measured (peer not installed, scripts/bench-peers.sh): "
               f"{', '.join(missing)}\n" if missing else ""))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
