"""Time the Fisher memory curve, old code and new side by side.

Usage: python benchmarks/bench_memory.py [--sizes 100 500 1000] [--threads 1] [--ref REV] [--prev REV]
[--repeat 3]

Prints markdown tables for the README. The families, all with k_max = N:
the chain (alpha = 1.05), the chain with feedback (0.99, 0.04), 0.2 I + 0.8 (sub-diagonal)
and a dense non-normal matrix (Gaussian entries scaled to spectral radius ~0.9 by the
circular law, so that no structured shortcut applies). "old" is ``nnrnn_edu.memory`` at
git revision ``--ref`` (default: the commit before the square-root formulation, C formed),
"previous" at ``--prev`` (default: the square-root formulation with doubling only, before
the structured solvers), each extracted with ``git archive`` into a temporary folder and
imported under another package name, so that all run in one process on the same inputs,
interleaved (old, previous and new in turn for every family and repetition, the order
rotating), best of ``--repeat``. Every time is given as wall-clock seconds and, in
parentheses, the CPU seconds of this process: on a shared machine the wall clock also
counts the time other processes held the core. The explorers' slider moves are timed by
``benchmarks/bench_explorers.py``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_REF = "cd12ba0"  # last commit before issue 15 (C formed, Cholesky)
PREVIOUS_REF = "f0dabc8"  # the square-root formulation, doubling only (before the structured solvers)


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _timed(fn) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, error name or "") of one call."""
    t, c = time.perf_counter(), time.process_time()
    note = ""
    try:
        fn()
    except ValueError as exc:  # IllConditionedError: the old code refuses
        note = type(exc).__name__
    return time.perf_counter() - t, time.process_time() - c, note


def load_old(ref: str, tmp: str, name: str = "nnrnn_edu_old"):
    """``nnrnn_edu.memory`` at git revision ``ref``, imported as ``<name>.memory`` (None if unknown)."""
    ok = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", ref + "^{commit}"], capture_output=True)
    if ok.returncode != 0:
        return None
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "nnrnn_edu"], capture_output=True, check=True)
    dest = os.path.join(tmp, name)
    os.makedirs(dest)
    subprocess.run(["tar", "-x", "-C", dest], input=archive.stdout, check=True)
    os.rename(os.path.join(dest, "nnrnn_edu"), os.path.join(dest, name))
    sys.path.insert(0, dest)
    return importlib.import_module(name + ".memory")


def families(n: int):
    import numpy as np

    from nnrnn_edu import connectivity as cx

    e1 = np.zeros(n)
    e1[0] = 1.0
    rng = np.random.default_rng(0)
    Wd = 0.9 * rng.standard_normal((n, n)) / np.sqrt(n)
    vd = rng.standard_normal(n)
    return {
        "chain (1.05)": (cx.chain(n, 1.05), e1),
        "chain with feedback (0.99, 0.04)": (cx.chain_with_feedback(n, 0.99, 0.04), e1),
        "0.2 I + 0.8 sub-diagonal": (0.2 * np.eye(n) + np.diag(np.full(n - 1, 0.8), -1), e1),
        "dense non-normal (rho ~ 0.9)": (Wd, vd / np.linalg.norm(vd)),
    }


def _commit() -> str:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "nnrnn_edu/memory.py",
                            "nnrnn_edu/_sqrt_cov.py"], capture_output=True, text=True)
    return (head.stdout.strip() or "?") + ("+changes" if dirty.stdout.strip() else "")


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000], help="network sizes N")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: one CPU core)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best time is reported")
    parser.add_argument("--ref", default=DEFAULT_REF, help="git revision of the old code (C formed)")
    parser.add_argument("--prev", default=PREVIOUS_REF, help="git revision of the previous code ('' to skip)")
    args = parser.parse_args(argv)
    if "numpy" not in sys.modules:  # must be set before numpy loads its BLAS (not inside a test process)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import numpy as np

    from nnrnn_edu.memory import curve_and_total, fisher_memory_curve

    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        codes = {"old": load_old(args.ref, tmp, "nnrnn_edu_old")}
        if args.prev:
            codes["previous"] = load_old(args.prev, tmp, "nnrnn_edu_previous")
        codes = {k: m for k, m in codes.items() if m is not None}
        for n in args.sizes:
            for name, (W, v) in families(n).items():
                calls = {"new": lambda W=W, v=v, n=n: fisher_memory_curve(W, v, n),
                         "new, curve and J_tot": lambda W=W, v=v, n=n: curve_and_total(W, v, n)}
                for key, mod in codes.items():
                    calls[key] = lambda W=W, v=v, n=n, mod=mod: mod.fisher_memory_curve(W, v, n)
                order = list(calls)
                best = {k: (float("inf"), float("inf"), "") for k in order}
                for r in range(args.repeat):
                    for k in order[r % len(order):] + order[: r % len(order)]:  # rotate who goes first
                        wall, cpu, note = _timed(calls[k])
                        best[k] = (min(best[k][0], wall), min(best[k][1], cpu), note)
                row = {"n": n, "family": name}
                for k in order:
                    row[k], row[k + " cpu"], row[k + " note"] = best[k]
                row.setdefault("old", None)
                row.setdefault("old note", "")
                rows.append(row)
    load_after = os.getloadavg()
    header = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
              f"BLAS threads = {args.threads}, numpy {np.__version__}, nice {os.nice(0)}, "
              f"load average {load_before[0]:.1f} before / {load_after[0]:.1f} after, "
              f"old = {args.ref}" + (f", previous = {args.prev}" if "previous" in codes else "")
              + f", new = {_commit()}, best of {args.repeat}")
    res = {"header": header, "rows": rows, "columns": [k for k in ("old", "previous") if k in codes]}
    return res


def _cell(row: dict, key: str) -> str:
    if row.get(key) is None:
        return "n/a"
    text = f"{row[key]:.3f} ({row[key + ' cpu']:.3f})"
    return f"{text} {row[key + ' note']}" if row.get(key + " note") else text


def markdown(res: dict) -> str:
    cols = res.get("columns", ["old"]) + ["new", "new, curve and J_tot"]
    names = {"old": "old (s)", "previous": "previous (s)", "new": "new (s)",
             "new, curve and J_tot": "new, curve_and_total (s)"}
    lines = [f"Run header: `{res['header']}`.", "",
             "| N = k_max | W | " + " | ".join(names[c] for c in cols) + " |", "|---|---|" + "---|" * len(cols)]
    for r in res["rows"]:
        lines.append(f"| {r['n']} | {r['family']} | " + " | ".join(_cell(r, c) for c in cols) + " |")
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
