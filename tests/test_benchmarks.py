"""The benchmark scripts run (quick smoke runs of benchmarks/)."""

import importlib.util
import pathlib


ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_benchmark_quick_smoke(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_training", ROOT / "benchmarks" / "bench_training.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    res = bench.run(["--quick", "--rounds", "1", "--warmup", "0", "--ks", "1,2", "--json", str(tmp_path / "b.json")])
    table = bench.markdown(res)
    assert "| naive loop |" in table and "| engine |" in table and "nn.RNN(relu)" in table
    assert "QUICK" in table and (tmp_path / "b.json").exists()
    assert set(res["ensemble"]["copy"]) == {1, 2}

