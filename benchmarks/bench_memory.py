"""Time the Fisher memory curve, old code and new side by side, and one redraw of the explorers.

Usage: python benchmarks/bench_memory.py [--sizes 100 500 1000] [--threads 1] [--ref REV] [--no-explorers]

Prints markdown tables for the README. The families, all with k_max = N:
the chain (alpha = 1.05), the chain with feedback (0.99, 0.04), 0.2 I + 0.8 (sub-diagonal)
and a dense non-normal matrix (Gaussian entries scaled to spectral radius ~0.9 by the
circular law, so that no structured shortcut applies). "old" is ``nnrnn_edu.memory`` at
git revision ``--ref`` (default: the commit before the square-root formulation), extracted
with ``git archive`` into a temporary folder and imported under another package name, so
both run in one process on the same inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_REF = "cd12ba0"  # last commit before issue 15 (C formed, Cholesky)


def _best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def load_old(ref: str, tmp: str):
    """``nnrnn_edu.memory`` at git revision ``ref``, imported as ``nnrnn_edu_old.memory`` (None if unknown)."""
    ok = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", ref + "^{commit}"], capture_output=True)
    if ok.returncode != 0:
        return None
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "nnrnn_edu"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
    os.rename(os.path.join(tmp, "nnrnn_edu"), os.path.join(tmp, "nnrnn_edu_old"))
    sys.path.insert(0, tmp)
    return importlib.import_module("nnrnn_edu_old.memory")


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


def run(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000], help="network sizes N")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1: one CPU core)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the best time is reported")
    parser.add_argument("--ref", default=DEFAULT_REF, help="git revision of the old code")
    parser.add_argument("--no-explorers", action="store_true", help="skip the explorer timings")
    args = parser.parse_args(argv)
    if "numpy" not in sys.modules:  # must be set before numpy loads its BLAS (not inside a test process)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    import numpy as np

    from nnrnn_edu.memory import fisher_memory_curve

    header = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, "
              f"BLAS threads = {args.threads}, numpy {np.__version__}, old = {args.ref}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        old = load_old(args.ref, tmp)
        for n in args.sizes:
            for name, (W, v) in families(n).items():
                repeat = args.repeat if n <= 500 else 1
                t_new = _best_of(lambda: fisher_memory_curve(W, v, n), repeat)
                t_old, note = None, ""
                if old is not None:
                    try:
                        t_old = _best_of(lambda: old.fisher_memory_curve(W, v, n), repeat)
                    except ValueError as exc:  # IllConditionedError: the old code refuses
                        note = type(exc).__name__
                rows.append({"n": n, "family": name, "old": t_old, "old_note": note, "new": t_new})
    res = {"header": header, "rows": rows}
    if not args.no_explorers:
        res["explorers"] = explorers()
    return res


def explorers() -> dict:
    import numpy as np

    from nnrnn_edu.widgets import DecodingExplorer, MemoryExplorer

    with contextlib.redirect_stdout(io.StringIO()):
        ex = MemoryExplorer(kind="chain", n=100)
    values = iter(np.linspace(1.1, 2.0, 100))

    def compute_only():
        ex.update(alpha=float(next(values)))

    def redraw_and_render():
        ex.update(alpha=float(next(values)))
        ex.figure.savefig(io.BytesIO(), format="png")  # what the inline backend does to show it

    with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Output() prints the figure's repr
        t_compute = _best_of(compute_only, 5)
        t_render = _best_of(redraw_and_render, 5)
        dx = DecodingExplorer()
        sigmas = iter(np.linspace(0.05, 0.5, 100))

        def decoding_move():
            dx.update(noise_std=float(next(sigmas)))
            dx.figure.savefig(io.BytesIO(), format="png")

        t_decode = _best_of(decoding_move, 3)
    return {"compute": t_compute, "render": t_render, "decoding": t_decode}


def markdown(res: dict) -> str:
    lines = [f"Run header: `{res['header']}`.", "", "| N = k_max | W | old (s) | new (s) |", "|---|---|---|---|"]
    for r in res["rows"]:
        old = r["old_note"] or ("n/a" if r["old"] is None else f"{r['old']:.3f}")
        lines.append(f"| {r['n']} | {r['family']} | {old} | {r['new']:.3f} |")
    if "explorers" in res:
        e = res["explorers"]
        lines += ["", "| explorer at N = 100 | time per slider move (s) |", "|---|---|",
                  f"| recompute + redraw figure | {e['compute']:.3f} |",
                  f"| ... + render PNG for display | {e['render']:.3f} |",
                  f"| chapter 2 decoding explorer (elu, N = L = 100), incl. PNG | {e['decoding']:.3f} |"]
    return "\n".join(lines)


def main() -> None:
    print(markdown(run()))


if __name__ == "__main__":
    main()
