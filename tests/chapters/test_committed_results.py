"""The committed cpu-tier results (results/cpu): provenance complete, and summarize = the chapter's tables."""

import glob
import json
import os
import subprocess

import pytest

from nnrnn_edu import config, training
from nnrnn_edu.chapters import ch03
from nnrnn_edu.training import identity, sweep

ROOT = config.committed_results_dir()
TASK_DIRS = sorted(d for d in glob.glob(os.path.join(ROOT, "cpu", "*")) if os.path.basename(d) != "pilot")


def _tracked(path):
    """Whether git tracks ``path`` (what a clone has); a sweep running here leaves unfinished files beside."""
    out = subprocess.run(["git", "ls-files", "--error-unmatch", path], cwd=ROOT, capture_output=True)
    return out.returncode == 0


def _records(task_dir):
    return [json.load(open(f)) for f in sorted(glob.glob(os.path.join(task_dir, "*", "*.json"))) if _tracked(f)]


def test_copy_is_committed():
    assert os.path.join(ROOT, "cpu", "copy") in TASK_DIRS and _records(os.path.join(ROOT, "cpu", "copy"))


@pytest.mark.parametrize("task_dir", TASK_DIRS, ids=os.path.basename)
def test_every_committed_run_says_where_it_comes_from(task_dir):
    task = os.path.basename(task_dir)
    keys = {identity.run_key(identity.resolve(c.replace(data_source=s) if task == "psmnist" else c))
            for c in sweep.grid(task, tier="cpu").configs() for s in ("mnist", "fashion")}
    for r in _records(task_dir):
        assert r["status"] in ("completed", "early_stopped", "diverged"), f"{r['name']}: unfinished run committed"
        assert r["tier"] == identity.result_tier(r) == "cpu"
        assert identity.of_result(r)[0] in keys, f"{r['name']} is not a run of the cpu tier's grid"
        cfg, prov = r["config"], r["provenance"]
        assert cfg["max_updates"] == 20_000 and r["dataset"]["seq_len"] in (500, 750, 784)
        assert prov["git_commit"] and not prov["git_commit"].endswith("-dirty"), "computed from uncommitted code"
        assert prov["machine"] and prov["threads"] == 1
        if r["status"] != "diverged":
            weights = os.path.join(os.path.dirname(glob.glob(os.path.join(task_dir, "*", r["name"] + ".json"))[0]),
                                   r["weights_file"])
            assert os.path.isfile(weights), f"{r['name']}: weights missing (chapter 4 needs them)"


def test_summarize_reproduces_the_chapter():
    summary, sources = ch03.figure3_results(ROOT, tier="cpu")
    for task_dir in TASK_DIRS:
        task = os.path.basename(task_dir)
        finished = [r for r in training.load_results(task_dir) if r["status"] != "running"]
        if not finished:  # a sweep has started the task here, nothing finished yet
            assert task not in summary and sources[task].n_runs == 0
            continue
        cli = training.summarize(finished)
        assert {i: (m["n_success"], m["n_runs"]) for i, m in cli[task]["models"].items()} == \
               {i: (m["n_success"], m["n_runs"]) for i, m in summary[task]["models"].items()}
        assert sources[task].n_runs == sum(m["n_runs"] for m in cli[task]["models"].values())


def test_committed_results_stay_small():
    size = sum(os.path.getsize(f) for f in glob.glob(os.path.join(ROOT, "cpu", "**", "*"), recursive=True)
               if os.path.isfile(f) and "/checkpoints/" not in f)
    assert size < 30 * 2**20


def _readme_table_now() -> str:
    """The README's cpu-tier table as ch03.results_markdown makes it from the committed (tracked) runs."""
    _, sources = ch03.figure3_results(ROOT, tier="cpu")
    runs = {os.path.basename(d): [r for r in _records(d) if r["status"] != "running"] for d in TASK_DIRS}
    summary = training.summarize([r for rs in runs.values() for r in rs])
    order = [t for t in ("copy", "addition", "psmnist") if t in summary]
    return ch03.results_markdown({t: summary[t] for t in order}, sources,
                                 hours={t: ch03.sweep_hours(runs[t]) for t in order})


def test_the_readme_table_is_the_committed_results():
    readme = open(os.path.join(os.path.dirname(ROOT), "README.md")).read()
    table = _readme_table_now()
    assert table in readme, "README's cpu-tier table is stale; replace it by:\n" + table
    total = sum(ch03.sweep_hours([r for r in _records(d) if r["status"] != "running"]) for d in TASK_DIRS)
    assert f"took {total:.1f} core-hours, about {total / 2:.1f} hours\non two cores" in readme


def test_results_markdown_and_sweep_hours():
    runs = [{"name": "a", "timing": {"ensemble_id": "e1", "wall_time_s": 3600.0}},
            {"name": "b", "timing": {"ensemble_id": "e1", "wall_time_s": 3600.0}},
            {"name": "c", "timing": {"ensemble_id": "e2", "wall_time_s": 1800.0}}, {"name": "d"}]
    assert ch03.sweep_hours(runs) == 1.5  # one ensemble counts once
    with pytest.raises(ValueError, match="summary"):
        ch03.results_markdown({}, None)
