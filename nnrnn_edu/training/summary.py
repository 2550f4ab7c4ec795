"""Reading results back: merge result files (from any machines, any layout) into Figure 3's tables.

:func:`load_results` reads result files; :func:`summarize` turns them into the
paper's Figure 3 per task and initialiser (best setting averaged over seeds,
best run, success counts) and says each task's tier
(:func:`~nnrnn_edu.training.identity.result_tier`); :func:`summary_table` prints that. See chapter 3.
"""

from __future__ import annotations

import glob
import json
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import tasks as _tasks
from . import identity
from .identity import result_tier
from .config import preset
from .records import STATUSES

class Problem(NamedTuple):
    """A file that was not used, and why.

    Attributes
    ----------
    path : str
    reason : str
    """

    path: str
    reason: str


class Results(list):
    """Result records (a list, sorted by protocol and run name) and the files left out (``problems``)."""

    def __init__(self, records: Iterable[dict] = (), problems: Iterable[Problem] = ()) -> None:
        super().__init__(records)
        self.problems: list[Problem] = list(problems)


REQUIRED_KEYS = (
    "name", "config", "seed", "status", "history", "updates", "best_val_loss", "final_val_loss", "baseline_loss",
    "success_threshold", "success", "dataset",
)
"""Keys every result record has (written by every version of the library)."""

_HISTORY_KEYS = ("update", "epoch", "train_loss", "val_loss")


def _check_record(r: Any) -> str | None:
    """Why ``r`` is not a usable result record, or None."""
    if not isinstance(r, dict):
        return f"not a result file (a JSON {type(r).__name__}, not an object)"
    if "config" not in r and "status" not in r:
        return "not a result file (no 'config' and no 'status')"
    if r.get("status") == "running":  # unfinished (or trained by another process right now): counted, not read
        missing = [k for k in ("name", "config") if k not in r]
        if missing:
            return f"incomplete result: lacks {missing}"
    else:
        missing = [k for k in REQUIRED_KEYS if k not in r]
        if missing:
            return f"incomplete result: lacks {missing}"
        if r["status"] not in STATUSES:
            return f"unknown status {r['status']!r}"
        h = r["history"]
        if not isinstance(h, dict) or any(not isinstance(h.get(k), list) for k in _HISTORY_KEYS):
            return f"incomplete result: history lacks one of {list(_HISTORY_KEYS)}"
    try:
        key, pid = identity.of_result(r)
    except (KeyError, TypeError, ValueError) as exc:
        return f"unreadable configuration: {exc}"
    r.setdefault("protocol", {"id": pid, "run_key": key})
    return None


def load_results(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> Results:
    """Read result files: directories (searched recursively) and/or single JSON files, strictly.

    Every JSON file that is not used is reported in ``problems`` with its path and the reason:
    unreadable (truncated, not JSON), not a result file, incomplete, or in conflict. Temporary
    files (``.tmp-*``) of a writer at work are not reported. When the same run (same identity)
    appears more than once, e.g. shards copied together twice or a chapter's single run that is
    also a sweep member, a final result wins over ``"running"``, then the later file in sorted
    path order; copies with the same numbers are merged silently, two final copies with different
    numbers are a problem.

    Parameters
    ----------
    paths : path or iterable of paths

    Returns
    -------
    Results
        The records (each with its ``path`` and ``protocol``), sorted by protocol and run name, and
        ``problems``: a list of :class:`Problem`.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            files += glob.glob(os.path.join(p, "**", "*.json"), recursive=True)
        elif os.path.isfile(p):
            files.append(p)
        else:
            raise ValueError(f"paths must name existing files or directories, got {p!r}")
    problems: list[Problem] = []
    by_key: dict[str, dict] = {}
    for f in sorted(set(files)):
        if os.path.basename(f).startswith(".tmp-"):
            continue
        try:
            with open(f) as fh:
                r = json.load(fh)
        except (OSError, ValueError) as exc:
            problems.append(Problem(os.path.abspath(f), f"unreadable: {exc}"))
            continue
        why = _check_record(r)
        if why is not None:
            problems.append(Problem(os.path.abspath(f), why))
            continue
        r["path"] = os.path.abspath(f)
        key = r["protocol"]["run_key"]
        old = by_key.get(key)
        if old is not None:
            keep, drop = (old, r) if (old["status"] != "running" and r["status"] == "running") else (r, old)
            if keep["status"] != "running" and drop["status"] != "running" and keep["history"] != drop["history"]:
                problems.append(Problem(drop["path"], f"conflicts with {keep['path']}: the same run with "
                                                      "different numbers (the later file is used)"))
            r = keep
        by_key[key] = r
    records = sorted(by_key.values(), key=lambda r: (r["protocol"]["id"], r["name"]))
    return Results(records, problems)


MODEL_ORDER = ("identity", "orthogonal", "chain", "fbchain")
"""Order of the models in Figure 3 (normal first, then non-normal)."""


class Summary(dict):
    """:func:`summarize`'s tables, a dict ``{task: entry}``, with the files left out (``problems``)."""

    def __init__(self, entries: dict, problems: Iterable[Problem] = ()) -> None:
        super().__init__(entries)
        self.problems: list[Problem] = list(problems)


def summarize(
    results: str | os.PathLike | Iterable[Any],
    task: str | None = None,
    protocol: str | None = None,
) -> Summary:
    """Merge result files into the Figure 3 tables: best validation curve and success count per model.

    The *best* run of a model is the one with the lowest final validation loss
    among its runs that did not diverge (if all diverged: the lowest
    ``best_val_loss``). A run succeeds when its final validation loss is below
    half the memoryless baseline (the ``success`` flag of its result).

    Runs of different protocols (another T, budget, data set, model...; see
    :mod:`~nnrnn_edu.training.identity`) are never merged: when a task's results come from
    more than one protocol, choose one with ``protocol``.

    Parameters
    ----------
    results : path, iterable of paths, or iterable of result dicts
        Result directories/files (see :func:`load_results`) or loaded results.
    task : str or None
        Keep only this task (None: every task found).
    protocol : str or None
        Keep only this protocol (its id, the name of its results directory).

    Returns
    -------
    Summary
        A dict ``{task: {"protocol", "tier", "dataset", "baseline_loss", "success_threshold", "models":
        {init: row}}}`` with models in :data:`MODEL_ORDER`, and ``problems`` (the files
        :func:`load_results` left out). ``dataset`` is the data set's real name (psMNIST or
        psDigits for the psmnist task). Each ``row`` has ``n_runs`` (final
        results), ``n_success``, ``n_diverged``, ``n_exploded`` (a finite final loss above
        :data:`EXPLODED_FACTOR` times the baseline), ``n_early_stopped``,
        ``n_running`` (unfinished, not counted in ``n_runs``), ``success_fraction``,
        ``best_setting`` (the paper's Figure 3a-c: the scale and learning rate
        with the lowest final validation loss averaged over seeds, with
        ``update``, ``val_loss_mean`` and ``val_loss_sem`` arrays; or None),
        ``scales`` (sorted), ``lrs`` (descending), ``success_grid`` (int array
        ``(n_scales, n_lrs)``, successes summed over seeds), and ``best``:
        ``None`` or a dict with ``name``, ``init_scale``, ``lr``, ``seed``,
        ``final_val_loss``, ``best_val_loss`` and the curve as float arrays
        ``update``, ``epoch``, ``val_loss``, ``train_loss`` (each shape (E,)).

    Raises
    ------
    ValueError
        If a task's results come from several protocols (listed, with where they lie), or a
        result dict is not a usable record.
    """
    items = list(results) if not isinstance(results, (str, os.PathLike)) else [results]
    problems: list[Problem] = []
    if items and all(isinstance(r, dict) for r in items):
        rs = items
        for r in rs:
            why = _check_record(r)
            if why is not None:
                raise ValueError(f"results holds a record that cannot be used ({r.get('path', r.get('name'))}): {why}")
    elif items and all(isinstance(r, (str, os.PathLike)) for r in items):
        rs = load_results(items)
        problems = rs.problems
    elif not items:
        rs = []
    else:
        raise ValueError("results must be paths or result dicts, not a mixture")
    if task is not None and task not in _tasks.TASKS:
        raise ValueError(f"task must be None or one of {_tasks.TASKS}, got {task!r}")
    by_task: dict[str, dict[str, list[dict]]] = {}
    for r in rs:
        t = r["config"]["task"]
        if (task is None or t == task) and (protocol is None or r["protocol"]["id"] == protocol):
            by_task.setdefault(t, {}).setdefault(r["protocol"]["id"], []).append(r)
    if protocol is not None and not by_task:
        found = sorted({r["protocol"]["id"] for r in rs})
        raise ValueError(f"protocol {protocol!r} is not among the results' protocols {found}")
    out: dict[str, dict] = {}
    for t, by_protocol in by_task.items():
        if len(by_protocol) > 1:
            listed = "; ".join(
                f"{pid}: {len(runs)} runs in {os.path.dirname(runs[0].get('path', '?'))}"
                for pid, runs in sorted(by_protocol.items())
            )
            raise ValueError(
                f"the {t} results come from {len(by_protocol)} protocols, which cannot be merged into one "
                f"figure ({listed}); choose one with protocol=... (summarize --protocol ...)"
            )
        (pid, runs), = by_protocol.items()
        first = next((r for r in runs if r["status"] != "running"), runs[0])
        models: dict[str, list[dict]] = {}
        for r in runs:
            models.setdefault(r["config"]["init"], []).append(r)
        out[t] = {
            "protocol": pid, "tier": result_tier(first), "dataset": first.get("dataset", {}).get("name", t),
            "baseline_loss": first.get("baseline_loss"), "success_threshold": first.get("success_threshold"),
            "models": {
                init: _model_row(models[init])
                for init in sorted(models, key=lambda i: (MODEL_ORDER.index(i) if i in MODEL_ORDER else 99, i))
            },
        }
    return Summary(out, problems)


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


EXPLODED_FACTOR = 1000.0
"""A run that ended with a finite validation loss above this many times the memoryless baseline
"exploded": it is not NaN/inf (so not ``"diverged"``) but its weights blew up, and it will not come back."""


def _exploded(r: Mapping[str, Any]) -> bool:
    loss, base = r.get("final_val_loss"), r.get("baseline_loss")
    return r["status"] != "diverged" and _finite(loss) and _finite(base) and loss > EXPLODED_FACTOR * base


def _model_row(runs: list[dict]) -> dict:
    final = [r for r in runs if r["status"] != "running"]
    scales = sorted({r["config"]["init_scale"] for r in final})
    lrs = sorted({r["config"]["lr"] for r in final}, reverse=True)
    succ = np.zeros((len(scales), len(lrs)), dtype=int)
    for r in final:
        if r.get("success"):
            succ[scales.index(r["config"]["init_scale"]), lrs.index(r["config"]["lr"])] += 1
    ok = [r for r in final if r["status"] != "diverged" and _finite(r.get("final_val_loss"))]
    if ok:
        best = min(ok, key=lambda r: (r["final_val_loss"], r["name"]))
    else:
        cands = [r for r in final if _finite(r.get("best_val_loss"))]
        best = min(cands, key=lambda r: (r["best_val_loss"], r["name"])) if cands else None
    best_row = None
    if best is not None:
        h = best["history"]
        best_row = {
            "name": best["name"], "init_scale": best["config"]["init_scale"], "lr": best["config"]["lr"],
            "seed": best["seed"], "status": best["status"], "final_val_loss": best["final_val_loss"],
            "best_val_loss": best["best_val_loss"],
            **{k: np.asarray(h[k], dtype=float) for k in ("update", "epoch", "val_loss", "train_loss")},
        }
    n = len(final)
    n_success = int(sum(bool(r.get("success")) for r in final))
    return {
        "best_setting": _best_setting(final),
        "n_runs": n,
        "n_success": n_success,
        "n_diverged": sum(r["status"] == "diverged" for r in final),
        "n_exploded": sum(_exploded(r) for r in final),
        "n_early_stopped": sum(r["status"] == "early_stopped" for r in final),
        "n_running": len(runs) - n,
        "success_fraction": n_success / n if n else float("nan"),
        "scales": scales,
        "lrs": lrs,
        "success_grid": succ,
        "best": best_row,
    }


def blown_up(r: Mapping[str, Any]) -> bool:
    """Whether a finished run blew up: it diverged (NaN/inf), exploded (a finite final loss above
    :data:`EXPLODED_FACTOR` x the memoryless baseline), or has no final loss.

    Parameters
    ----------
    r : mapping
        A result record with ``status`` and ``final_val_loss`` (and ``baseline_loss``).

    Returns
    -------
    bool

    """
    if not isinstance(r, Mapping) or "status" not in r:
        raise ValueError(f"r must be a result record with a 'status', got {type(r).__name__}")
    return r["status"] == "diverged" or _exploded(r) or not _finite(r.get("final_val_loss"))


def _best_setting(final: list[dict]) -> dict | None:
    """The (scale, lr) with the lowest mean final validation loss over seeds, and its mean curve.

    Seeds that blew up (diverged, exploded, or without a final loss) are left out of the mean and the
    curve and counted instead (``n_blown_up``). Settings are ranked first by how many seeds blew up,
    then by the mean over the others: a setting in which every seed trained beats any setting in which
    one blew up, and where every setting lost a seed (a chain on copy at the cpu tier, say) the figure
    still shows the best of what trained, labelled with what it left out. A setting with no seed
    left is never chosen. Curves of seeds that stopped early are held at their last value up to the
    longest run (the paper's early stop means the loss is already below 0.0025).
    """
    groups: dict[tuple, list[dict]] = {}
    for r in final:
        groups.setdefault((r["config"]["init_scale"], r["config"]["lr"]), []).append(r)
    scored = []
    for key, runs in groups.items():
        ok = [r for r in runs if not blown_up(r)]
        if ok:
            scored.append((len(runs) - len(ok), float(np.mean([r["final_val_loss"] for r in ok])), key))
    if not scored:
        return None
    n_blown, loss, key = min(scored)
    runs = sorted((r for r in groups[key] if not blown_up(r)), key=lambda r: r["seed"])
    longest = max(runs, key=lambda r: len(r["history"]["update"]))
    update = np.asarray(longest["history"]["update"], dtype=float)
    curves = np.empty((len(runs), update.size))
    for i, r in enumerate(runs):
        v = np.asarray(r["history"]["val_loss"], dtype=float)
        curves[i, : v.size] = v
        curves[i, v.size :] = v[-1] if v.size else np.nan
    sem = curves.std(axis=0, ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else np.zeros(update.size)
    return {
        "init_scale": key[0], "lr": key[1], "seeds": [r["seed"] for r in runs], "n_blown_up": n_blown,
        "mean_final_val_loss": loss, "n_success": int(sum(bool(r.get("success")) for r in groups[key])),
        "update": update, "val_loss_mean": curves.mean(axis=0), "val_loss_sem": sem,
    }


def summary_table(summary: dict) -> str:
    """A plain-text table of :func:`summarize`'s output (one line per task and model, then the files left out).

    Parameters
    ----------
    summary : dict
        As returned by :func:`summarize`.

    Returns
    -------
    str

    """
    lines = []
    for t, entry in summary.items():
        thr = entry.get("success_threshold")
        head = (f"{t} ({entry.get('tier', '?')} tier, {entry['dataset']}, protocol {entry['protocol']})"
                if "protocol" in entry else t)
        lines.append(f"{head}: success = final validation loss < {thr:.4g}" if _finite(thr) else f"{head}:")
        lines.append(f"  {'model':<11} {'success':>9} {'diverged':>9} {'exploded':>9} {'running':>8}  "
                     "best run (final val loss)")
        for init, row in entry["models"].items():
            b = row["best"]
            best = f"{b['name']} ({b['final_val_loss']:.4g})" if b and _finite(b["final_val_loss"]) else "-"
            lines.append(
                f"  {init:<11} {row['n_success']:>4}/{row['n_runs']:<4} {row['n_diverged']:>9} "
                f"{row.get('n_exploded', 0):>9} {row['n_running']:>8}  {best}"
            )
    problems = getattr(summary, "problems", [])
    if problems:
        lines.append(f"{len(problems)} file(s) left out:")
        lines += [f"  {p.path}: {p.reason}" for p in problems]
    return "\n".join(lines)


__all__ = [
    "EXPLODED_FACTOR",
    "MODEL_ORDER",
    "Problem",
    "REQUIRED_KEYS",
    "Results",
    "Summary",
    "load_results",
    "summarize",
    "summary_table",
]
