"""The benchmark scripts run (quick smoke runs of benchmarks/)."""

import importlib.util
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


@pytest.mark.slow
def test_benchmark_quick_smoke(tmp_path):
    bench = _load("bench_training")
    res = bench.run(["--quick", "--rounds", "1", "--warmup", "0", "--ks", "1,2", "--json", str(tmp_path / "b.json")])
    table = bench.markdown(res)
    assert "| naive loop |" in table and "| engine |" in table and "nn.RNN(relu)" in table
    assert "QUICK" in table and (tmp_path / "b.json").exists()
    assert set(res["ensemble"]["copy"]) == {1, 2}


def test_generic_ensemble_benchmark_smoke():
    bench = _load("bench_generic_ensemble")
    res = bench.run(["--quick", "--k", "2"])
    table = bench.markdown(res)
    assert "| nn.RNN |" in table and "| nn.LSTM |" in table and "QUICK" in res["header"]
    assert all(r["vmap"] > 0 and r["loop"] > 0 for r in res["rows"].values())


def test_loop_benchmark_compares_old_and_new_code():
    bench = _load("bench_loop")
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", bench.DEFAULT_REF + "^{commit}"],
                           capture_output=True).returncode == 0
    if not known:
        pytest.skip(f"this checkout's history lacks {bench.DEFAULT_REF} (a shallow clone)")
    res = bench.run(["--quick", "--tasks", "addition"])
    assert set(res["rows"]) == {"addition"} and res["ref"] == bench.DEFAULT_REF
    row = res["rows"]["addition"]
    assert row["old"] > 0 and row["new"] > 0 and "| addition |" in bench.markdown(res)


@pytest.mark.slow
def test_explorer_benchmark_times_every_explorer_old_and_new():
    bench = _load("bench_explorers")
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", bench.DEFAULT_REF + "^{commit}"],
                           capture_output=True).returncode == 0
    if not known:
        pytest.skip(f"this checkout's history lacks {bench.DEFAULT_REF} (a shallow clone)")
    res = bench.run(["--quick"])
    from nnrnn_edu import widgets

    explorers = {name for name in widgets.__all__ if name.endswith("Explorer")}
    assert {row[0] for row in bench.EXPLORERS.values()} == explorers  # every explorer is benchmarked
    for row in res["rows"].values():
        for v in ("old", "new"):
            assert all(row[v][part] > 0 for part in ("compute", "draw", "png", "move", "cpu", "update"))
    table = bench.markdown(res)
    assert "QUICK" in table and "old = " + bench.DEFAULT_REF in table and table.count("| new |") == len(bench.EXPLORERS)
