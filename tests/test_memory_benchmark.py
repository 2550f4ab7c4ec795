"""benchmarks/bench_memory.py runs and compares the old and the new Fisher-memory code (smoke)."""

import importlib.util
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_memory_benchmark_compares_old_and_new_code():
    spec = importlib.util.spec_from_file_location("bench_memory", ROOT / "benchmarks" / "bench_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    known = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", bench.DEFAULT_REF + "^{commit}"],
                           capture_output=True).returncode == 0
    if not known:
        pytest.skip(f"this checkout's history lacks {bench.DEFAULT_REF} (a shallow clone)")
    res = bench.run(["--sizes", "100", "--repeat", "1", "--threads", "1"])
    assert {r["family"] for r in res["rows"]} == set(bench.families(100))
    assert all(r["new"] > 0 and (r["old"] or 0) > 0 for r in res["rows"])
    table = bench.markdown(res)
    assert "| 100 | chain (1.05) |" in table and "old = " + bench.DEFAULT_REF in table
