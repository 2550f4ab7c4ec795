"""``python -m nnrnn_edu``: help texts, a tiny train run, a tiny sweep shard, summarize (subprocess smoke tests)."""

import json
import os
import subprocess
import sys
import time

import pytest

from nnrnn_edu import cli, training

TINY = ["--quick", "--max-updates", "20", "--eval-every", "10", "--seq-len", "30", "--hidden-size", "12",
        "--val-size", "32", "--no-progress"]


def _run(*args, cwd):
    env = dict(os.environ)
    env.pop("NNRNN_EDU_QUICK", None)
    return subprocess.run([sys.executable, "-m", "nnrnn_edu", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize(
    "command, words",
    [
        ([], ["train", "sweep", "summarize", "sbatch --array"]),
        (["train"], ["--task", "--model", "lstm", "torch-rnn", "--nonlinearity", "--init", "--init-scale", "--lr", "--seed", "--max-updates", "--max-epochs",
                     "--out", "--device", "--quick", "--full", "--no-resume", "--threads"]),
        (["sweep"], ["--model", "--shard", "--ensemble-size", "--inits", "--scales", "--lrs", "--seeds", "--list",
                     "SLURM_ARRAY_TASK_ID", "--out", "--device", "--no-resume"]),
        (["summarize"], ["paths", "--task", "--json"]),
    ],
)
def test_help_explains_every_option(tmp_path, command, words):
    proc = _run(*command, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for w in words:
        assert w in proc.stdout, w


def test_train_writes_result_file(tmp_path):
    proc = _run("train", "--task", "addition", "--init", "fbchain", "--lr", "1e-3",  # default beta 0.04
                "--seed", "2", "--out", "res", *TINY, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    path, = (tmp_path / "res").glob("addition-vanilla-T30-*/addition_fbchain_0.04_0.001_2.json")
    res = json.loads(path.read_text())
    assert res["status"] == "completed" and res["updates"] == 20 and res["config"]["seed"] == 2
    assert res["config"]["init"] == "fbchain" and res["config"]["seq_len"] == 30
    assert "completed" in proc.stdout and str(path.relative_to(tmp_path)) in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("model, cls", [("lstm", "LSTM"), ("torch-rnn", "TorchRNN")])
def test_train_and_sweep_other_models(tmp_path, model, cls):
    proc = _run("train", "--task", "copy", "--model", model, "--lr", "1e-3", "--out", "res", *TINY, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    path, = (tmp_path / "res").glob(f"copy-{model}-T30-*/copy_{model}_chain_1.0_0.001_1.json")
    res = json.loads(path.read_text())
    assert res["status"] == "completed" and res["config"]["model"] == model and res["model"]["name"] == model
    sw = _run("sweep", "--task", "copy", "--model", model, "--inits", "chain", "identity", "--lrs", "1e-3",
              "--out", "sw", *TINY, cwd=tmp_path)
    assert sw.returncode == 0, sw.stderr
    files = sorted(p.name for p in (tmp_path / "sw").glob("*/*.json"))
    assert files == [f"copy_{model}_chain_1.02_0.001_1.json", f"copy_{model}_identity_1.0_0.001_1.json"]
    loaded = training.load_results(str(tmp_path / "sw"))
    assert [type(training.load_model(r)).__name__ for r in loaded] == [cls, cls]


@pytest.mark.slow
def test_sweep_shard_list_and_summarize(tmp_path):
    grid = ["sweep", "--task", "copy", "--inits", "chain", "identity", "--lrs", "1e-3", "--seeds", "1", "2",
            "--out", "res", *TINY]
    listed = _run(*grid, "--shard", "1/2", "--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = listed.stdout.split()
    assert len(names) == 2 and "2 without a final result" in listed.stderr
    proc = _run(*grid, "--shard", "1/2", "--ensemble-size", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.stem for p in (tmp_path / "res").glob("*/*.json")) == sorted(names)
    summ = _run("summarize", "res", "--json", "summary.json", cwd=tmp_path)
    assert summ.returncode == 0, summ.stderr
    assert "copy" in summ.stdout and "chain" in summ.stdout
    text = (tmp_path / "summary.json").read_text()
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"summary JSON holds {c}"))  # strict JSON
    assert sum(row["n_runs"] for row in data["copy"]["models"].values()) == 2
    # a truncated result is reported by path, and the exit status says so
    victim = next((tmp_path / "res").glob("*/*.json"))
    victim.write_text(victim.read_text()[:100])
    bad = _run("summarize", "res", cwd=tmp_path)
    assert bad.returncode == 1 and f"{victim}: unreadable" in bad.stdout and "could not be used" in bad.stderr
    # `summarize | head`: the reader leaves early, no traceback
    piped = subprocess.run(f"{sys.executable} -m nnrnn_edu summarize res | head -c 1", shell=True, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert "Traceback" not in piped.stderr and "BrokenPipe" not in piped.stderr


@pytest.mark.parametrize(
    "argv, word",
    [
        (["sweep", "--task", "copy", "--quick", "--shard", "3/2", "--list"], "shard"),
        (["train", "--task", "copy", "--quick", "--lr", "-1", "--out", "unused"], "lr"),
        (["sweep", "--task", "copy", "--quick", "--scales", "chain:1.0"], "INIT=V1"),
        (["train", "--task", "copy", "--quick", "--model", "lstm", "--nonlinearity", "elu", "--out", "u"],
         "nonlinearity"),
        (["train", "--task", "copy", "--quick", "--max-epochs", "inf", "--out", "u"], "max_epochs"),
        (["sweep", "--task", "copy", "--quick", "--shard", "-1/4", "--list"], "0 <= i < n"),
    ],
)
def test_bad_arguments_exit_2_with_message(argv, word, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2 and word in capsys.readouterr().err


def test_output_paths_checked_before_any_training(tmp_path):
    (tmp_path / "afile").write_text("not a directory")
    t0 = time.perf_counter()
    for out in ("afile", "afile/sub"):
        proc = _run("train", "--task", "copy", "--out", out, *TINY, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "out_dir" in proc.stderr and "afile" in proc.stderr
    assert time.perf_counter() - t0 < 30  # failed at once, not after training
