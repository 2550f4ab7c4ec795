"""The training loop, old code against new, side by side in one process: time per update of a whole run.

Times ``train(cfg)`` - the loop with its data stream, clipping, RMSprop, divergence checks,
evaluations and checkpoints - of this checkout against the same function of an earlier git
revision (default: ``1fbdf07``, the last commit before the one-loop restructuring), on the paper's
shapes and batch (copy T = 500, addition T = 750, psMNIST-shaped psDigits; batch 16; one thread,
as the sweeps run). The old package is extracted with ``git archive`` into a temporary directory and
imported as ``nnrnn_edu_base`` (it imports itself relatively). Runs alternate old/new in random
order; each sample records how many cores other processes used (``/proc/stat``), and the table
reports the median over samples.

Usage::

    python benchmarks/bench_loop.py                   # 5 rounds per task, a few minutes on 2 cores
    python benchmarks/bench_loop.py --quick           # smoke run, seconds
    python benchmarks/bench_loop.py --ref <commit>    # compare against another revision
    python benchmarks/bench_loop.py --ref A --new B   # two revisions
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_REF = "1fbdf07"


def busy_cores() -> tuple[float, float]:
    """``(total jiffies, busy jiffies)`` of the machine, from /proc/stat (zeros where unavailable)."""
    try:
        with open("/proc/stat") as fh:
            v = [float(x) for x in fh.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    return sum(v), sum(v) - v[3] - v[4]


def load_base(ref: str, where: str, package: str = "nnrnn_edu_base"):
    """Import the ``training`` entry points of git revision ``ref`` as package ``package``."""
    dest = os.path.join(where, package)
    archive = subprocess.run(["git", "-C", ROOT, "archive", ref, "nnrnn_edu"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", where], input=archive, check=True)
    shutil.move(os.path.join(where, "nnrnn_edu"), dest)
    sys.path.insert(0, where)
    try:
        return importlib.import_module(f"{package}.training")
    except ImportError:  # revisions before the restructuring: train.py held the loop
        return importlib.import_module(f"{package}.train")


def run(argv: list[str] | None = None) -> dict:
    """Run the comparison; returns ``{"ref", "header", "rows": {task: {"old": ms, "new": ms, ...}}}``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    p.add_argument("--ref", default=DEFAULT_REF, help=f"git revision of the old code (default {DEFAULT_REF})")
    p.add_argument("--new", default=None, help="git revision of the new code (default: this checkout)")
    p.add_argument("--rounds", type=int, default=None, help="runs per variant and task (default 5; quick 1)")
    p.add_argument("--updates", type=int, default=None, help="updates per run (default 200; quick 10)")
    p.add_argument("--tasks", default="copy,addition,psmnist")
    args = p.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 5)
    updates = args.updates or (10 if args.quick else 200)
    tmp = tempfile.mkdtemp(prefix="bench-loop-")
    old = load_base(args.ref, tmp)
    new = load_base(args.new, tmp, "nnrnn_edu_new") if args.new else importlib.import_module("nnrnn_edu.training")
    rows: dict[str, dict] = {}
    rng = random.Random(0)
    for task in args.tasks.split(","):
        kw = dict(max_updates=updates, eval_every=updates, val_size=64, eval_batch_size=64, threads=1,
                  early_stop_loss=None, lr=1e-4, init="chain", init_scale=1.0)
        if task == "psmnist":
            kw.update(data_source="digits")  # psMNIST's N and readout, T = 64 (no MNIST offline)
        if args.quick:
            kw.update(seq_len=30 if task != "psmnist" else None, hidden_size=12)
        cfgs = {"old": old.preset(task, quick=False, **kw), "new": new.preset(task, quick=False, **kw)}
        samples: dict[str, list[float]] = {"old": [], "new": []}
        busy: list[float] = []
        for r in range(rounds + 1):  # round 0 warms up both
            order = ["old", "new"]
            rng.shuffle(order)
            for v in order:
                lib = old if v == "old" else new
                out = os.path.join(tmp, f"{task}-{v}-{r}")
                t0, b0 = busy_cores()
                start = time.perf_counter()
                lib.train(cfgs[v], out, progress=False)
                dt = time.perf_counter() - start
                t1, b1 = busy_cores()
                shutil.rmtree(out, ignore_errors=True)
                if r > 0:
                    samples[v].append(1e3 * dt / updates)
                    ncpu = os.cpu_count() or 1
                    busy.append(max(0.0, (b1 - b0) / max(t1 - t0, 1e-9) * ncpu - 1.0))
        o, n = statistics.median(samples["old"]), statistics.median(samples["new"])
        rows[task] = {"old": o, "new": n, "ratio": n / o, "other_cores": max(busy) if busy else 0.0,
                      "samples": samples}
    shutil.rmtree(tmp, ignore_errors=True)
    header = (f"{updates} updates per run, batch 16, 1 thread, {rounds} runs per variant, torch {torch.__version__}, "
              f"old = {args.ref}, new = {args.new or 'this checkout'}" + (" (QUICK: tiny shapes)" if args.quick else ""))
    return {"ref": args.ref, "header": header, "rows": rows}


def markdown(res: dict) -> str:
    """The comparison as a markdown table."""
    lines = [f"Run header: `{res['header']}`.", "",
             "| task | old loop (ms/update) | new loop (ms/update) | new / old | other processes (cores, max) |",
             "|---|---|---|---|---|"]
    for task, r in res["rows"].items():
        lines.append(f"| {task} | {r['old']:.2f} | {r['new']:.2f} | {r['ratio']:.3f} | {r['other_cores']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(run()))
