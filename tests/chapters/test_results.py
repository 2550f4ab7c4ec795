"""Committed results outside a checkout (nnrnn_edu.chapters.results): fetched once from the repository's archive."""

import io
import json
import os
import tarfile

import pytest

from nnrnn_edu import config
from nnrnn_edu.chapters import results


def _archive(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            if payload is None:  # a symbolic link
                info = tarfile.TarInfo(name)
                info.type = tarfile.SYMTYPE
                info.linkname = "/etc/passwd"
                tar.addfile(info)
                continue
            data = payload.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return "file://" + str(path)


@pytest.fixture
def not_a_checkout(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "committed_results_dir", lambda: None)
    monkeypatch.setenv(config.DATA_DIR_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.delenv(config.RESULTS_DIR_ENV_VAR, raising=False)
    return tmp_path


def test_checkout_uses_its_own_results(monkeypatch):
    monkeypatch.delenv(config.RESULTS_DIR_ENV_VAR, raising=False)
    assert results.committed_results_dir() == config.committed_results_dir() is not None
    assert results.tier_results_dir("cpu") == config.committed_results_dir()


def test_fetched_once_and_only_result_files(not_a_checkout, monkeypatch):
    tmp = not_a_checkout
    url = _archive(tmp / "repo.tar.gz", {
        "nnrnn_edu-main/results/cpu/pilot/p/a.json": json.dumps({"x": 1}),
        "nnrnn_edu-main/results/cpu/copy/p/a.weights.pt": "w",
        "nnrnn_edu-main/results/cpu/copy/p/notes.txt": "ignored",
        "nnrnn_edu-main/README.md": "ignored",
    })
    monkeypatch.setenv(results.ARCHIVE_ENV_VAR, url)
    assert not os.path.exists(results.committed_results_dir(download=False))
    got = results.committed_results_dir()
    assert got == str(tmp / "cache" / "committed-results" / "results")
    files = sorted(os.path.relpath(os.path.join(d, f), got) for d, _, fs in os.walk(got) for f in fs)
    assert files == ["cpu/copy/p/a.weights.pt", "cpu/pilot/p/a.json"]
    os.remove(tmp / "repo.tar.gz")  # a second call does not fetch again
    assert results.committed_results_dir() == got
    assert results.tier_results_dir("cpu") == got
    assert results.tier_results_dir("quick") == config.results_dir()
    monkeypatch.setenv(config.RESULTS_DIR_ENV_VAR, str(tmp / "mine"))
    assert results.tier_results_dir("cpu") == str(tmp / "mine")  # the user's own directory wins
    with pytest.raises(ValueError, match="tier"):
        results.tier_results_dir("big")


@pytest.mark.parametrize("members, match", [
    ({"top/results/../../evil.json": "{}"}, "unsafe"),
    ({"top/results/cpu/x.json": None}, "regular file"),
    ({"top/README.md": "no results"}, "no results/ folder"),
])
def test_bad_archives_are_refused(not_a_checkout, monkeypatch, members, match):
    monkeypatch.setenv(results.ARCHIVE_ENV_VAR, _archive(not_a_checkout / "bad.tar.gz", members))
    with pytest.raises(ValueError, match=match):
        results.committed_results_dir()
    assert not os.path.exists(results.committed_results_dir(download=False))  # nothing half-written kept


def test_unreachable_archive_says_what_to_do(not_a_checkout, monkeypatch):
    monkeypatch.setenv(results.ARCHIVE_ENV_VAR, "file://" + str(not_a_checkout / "missing.tar.gz"))
    with pytest.raises(ValueError, match="Clone the repository"):
        results.committed_results_dir()
