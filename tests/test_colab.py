"""Colab: every chapter's paired .ipynb starts with the setup cell, and that cell's install branch works.

The install test simulates Colab without network access or touching .venv:

* a wheel of the package is built locally (``pip wheel --no-deps --no-build-isolation``, from a
  copy of the sources so the work tree gets no build/ or egg-info droppings);
* a *child venv* plays Colab's Python. Colab comes with torch and numpy preinstalled; here the child
  sees every distribution of .venv (torch, numpy, ipykernel, ...) through a ``.pth`` file that
  ``site.addsitedir``-s a symlinked view of .venv's site-packages **without nnrnn_edu**, so the
  package is genuinely missing until the setup cell installs it (``--system-site-packages`` would
  expose the base interpreter, not .venv);
* a Jupyter kernel of that child runs the whole chapter (quick mode) with a fake ``google.colab``
  module in ``sys.modules``, ``NNRNN_EDU_SOURCE`` = the wheel's file URL and ``PIP_NO_INDEX=1``
  (so pip can only use what is local: an attempt to upgrade torch or numpy would fail).

It then checks that (1) the branch ran pip with the local wheel as the source and pip succeeded,
(2) torch and numpy are the same versions, still imported from the preinstalled view (nothing was
reinstalled into the child), and (3) every cell of the chapter ran, importing the installed package.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
COLAB_BRANCH = '"google.colab" in sys.modules'


def _code_cells(path: pathlib.Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_there_are_chapter_notebooks():
    assert NOTEBOOKS, "no paired chapter .ipynb in book/"


@pytest.mark.parametrize("ipynb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_colab_setup_cell(ipynb):
    code = _code_cells(ipynb)
    assert code, f"{ipynb.name} has no code cell"
    setup = code[0]
    assert COLAB_BRANCH in setup, f"{ipynb.name}: the first code cell must be the Colab setup cell"
    branch = setup[setup.index(COLAB_BRANCH):]
    assert "%pip install" in branch and "NNRNN_EDU_SOURCE" in branch
    assert all(COLAB_BRANCH not in c for c in code[1:]), "only the first code cell installs"
    # every chapter installs exactly the same way, so executing one chapter below proves all of them
    first = _code_cells(NOTEBOOKS[0])[0]
    block = lambda text: text[text.index(COLAB_BRANCH):text.index("%pip install")]  # noqa: E731
    assert block(setup) == block(first), f"{ipynb.name}: the Colab install branch differs from chapter 1's"


# --------------------------------------------------------------------------- the install branch


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    """A wheel of nnrnn_edu, built offline from a copy of the sources."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "nnrnn_edu", src / "nnrnn_edu", ignore=shutil.ignore_patterns("__pycache__"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(tmp / "dist"), str(src)])
    (whl,) = (tmp / "dist").glob("nnrnn_edu-*.whl")
    return whl


PROBE = ("import json, torch, numpy\n"
         "try:\n    import nnrnn_edu; pkg = nnrnn_edu.__file__\nexcept ImportError:\n    pkg = None\n"
         "print(json.dumps({'torch': torch.__version__, 'torch_file': torch.__file__,"
         " 'numpy': numpy.__version__, 'numpy_file': numpy.__file__, 'nnrnn_edu': pkg}))")


def _probe(python: pathlib.Path, cwd: pathlib.Path) -> dict:
    return json.loads(_run([str(python), "-c", PROBE], cwd=cwd).stdout.strip().splitlines()[-1])


def _colab_like_venv(tmp: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    """A child venv that sees .venv's packages as preinstalled, except nnrnn_edu."""
    child = tmp / "colab-venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(child)])
    python = child / "bin" / "python"
    child_site = pathlib.Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                              .stdout.strip())
    view = tmp / "preinstalled"
    view.mkdir()
    for entry in pathlib.Path(sysconfig.get_paths()["purelib"]).iterdir():
        if "nnrnn_edu" not in entry.name.lower().replace("-", "_"):
            (view / entry.name).symlink_to(entry)
    (child_site / "colab_preinstalled.pth").write_text(f"import site; site.addsitedir({str(view)!r})\n")
    return python, child_site, view


# One chapter executed end to end (the first, the fastest): the install branch is the same in every
# chapter (checked above) and nbval executes every chapter in the development environment.
@pytest.mark.slow
@pytest.mark.parametrize("ipynb", NOTEBOOKS[:1], ids=lambda p: p.name)
def test_setup_cell_installs_local_wheel_on_fake_colab(ipynb, wheel, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    python, child_site, view = _colab_like_venv(tmp_path)
    work = tmp_path / "work"  # the kernel's cwd: not the repository, so `import nnrnn_edu` can't cheat
    work.mkdir()
    before = _probe(python, work)
    assert before["nnrnn_edu"] is None, f"nnrnn_edu importable before the install: {before['nnrnn_edu']}"
    assert pathlib.Path(before["torch_file"]).is_relative_to(view)

    kernels = tmp_path / "jupyter" / "kernels" / "fake-colab"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fake Colab", "language": "python",
        "env": {"NNRNN_EDU_SOURCE": wheel.as_uri(), "PIP_NO_INDEX": "1", "NNRNN_EDU_QUICK": "1",
                "PYTHONNOUSERSITE": "1", "MPLBACKEND": "agg"},
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))

    nb = nbformat.read(ipynb, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    fake_colab = nbformat.v4.new_code_cell(
        "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')")
    check = nbformat.v4.new_code_cell(textwrap.dedent("""\
        import importlib.metadata, json, sys
        _dist = importlib.metadata.distribution("nnrnn_edu")
        print("COLAB-CHECK " + json.dumps({
            "pip_exit": _exit_code,
            "location": str(_dist.locate_file("")),
            "direct_url": json.loads(_dist.read_text("direct_url.json") or "{}").get("url"),
            "imported_from": sys.modules["nnrnn_edu"].__file__}))
        """))
    nb.cells[first + 1:first + 1] = [check]
    nb.cells.insert(first, fake_colab)
    NotebookClient(nb, kernel_name="fake-colab", timeout=900, resources={"metadata": {"path": str(work)}}).execute()

    out = "".join(o.get("text", "") for o in nb.cells[first + 2].outputs if o.output_type == "stream")
    facts = json.loads(out.split("COLAB-CHECK ", 1)[1].splitlines()[0])
    # (1) the branch ran pip with the local wheel, and pip succeeded
    assert facts["pip_exit"] == 0
    assert facts["direct_url"] == wheel.as_uri()
    assert pathlib.Path(facts["location"]).resolve() == child_site.resolve()
    assert pathlib.Path(facts["imported_from"]).is_relative_to(child_site)
    # (2) torch and numpy unchanged: same versions, still the preinstalled ones, nothing added to the child
    after = _probe(python, work)
    for name in ("torch", "numpy"):
        assert after[name] == before[name], f"{name} changed: {before[name]} -> {after[name]}"
        assert after[f"{name}_file"] == before[f"{name}_file"]
    installed = sorted(p.name for p in child_site.iterdir() if p.name != "__pycache__")
    print(f"\n{ipynb.name}: pip exit {facts['pip_exit']}, installed {facts['direct_url']} into the child venv "
          f"({installed}); torch {after['torch']}, numpy {after['numpy']} unchanged")
    assert installed == ["colab_preinstalled.pth", "nnrnn_edu", f"nnrnn_edu-{wheel.name.split('-')[1]}.dist-info"], (
        f"the setup cell installed more than nnrnn_edu: {installed}")
    # (3) every cell of the chapter ran (NotebookClient raises on an error) and used the installed package
    assert pathlib.Path(after["nnrnn_edu"]).is_relative_to(child_site)
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
