"""Fixtures for the browser tests: headless Debian Chromium (Playwright), a throw-away JupyterLab,
and the quick-mode HTML book served over http on 127.0.0.1.

Everything here is started by the fixtures and stopped in their teardown, failure or not:
JupyterLab runs in its own process group (its kernels are its children) and the group is
terminated, then killed. No browser is ever downloaded: Playwright drives the system Chromium
(``/usr/bin/chromium``, or ``$NNRNN_EDU_CHROMIUM``). Without it, or without the ``playwright``
package, every browser test is *skipped* with the reason.

Artifacts (screenshots, the Lab log) go to ``build/browser/`` for CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "browser"
CHROMIUM = os.environ.get("NNRNN_EDU_CHROMIUM", "/usr/bin/chromium")
# The quick-mode book the tests build (``make browser-book``), unless NNRNN_EDU_BOOK_HTML names
# an already built one (e.g. ``NNRNN_EDU_BOOK_HTML=book/_build/html`` after ``make book``).
BOOK_OUT = ROOT / "build" / "browser" / "book"
BOOK_SOURCES = ["book/*.md", "book/*.yml", "book/*.bib", "jupyter_book_config.yml", "nnrnn_edu/**/*.py",
                "vendor/*.py", "vendor/*.js"]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts() -> pathlib.Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium driven by Playwright (never a downloaded browser)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium; "
                    "or set NNRNN_EDU_CHROMIUM); `make browser` installs it when run as root")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


# --------------------------------------------------------------------------- JupyterLab


class Lab:
    def __init__(self, url: str, token: str, notebooks: pathlib.Path, log: pathlib.Path):
        self.url, self.token, self.notebooks, self.log = url, token, notebooks, log

    def tree_url(self, name: str) -> str:
        return f"{self.url}lab/tree/{name}?token={self.token}&reset"


def _stop_group(proc: subprocess.Popen) -> None:
    """Terminate the process group we started (Lab and its kernels), then kill what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # stray kernels left in the group
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def lab(tmp_path_factory, artifacts, browser):
    """JupyterLab on 127.0.0.1 with a random token, in temporary config/runtime/settings dirs.

    The chapters' paired ``.ipynb`` are *copied* into a temporary root, and autosave is off, so
    running them can never write outputs into the repository (the pair test forbids outputs).
    """
    tmp = tmp_path_factory.mktemp("lab")
    notebooks = tmp / "notebooks"
    notebooks.mkdir()
    for nb in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy(nb, notebooks / nb.name)
    settings = tmp / "settings"
    for plugin, values in {
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        f = settings / f"{plugin}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    env.setdefault("NNRNN_EDU_QUICK", "1")  # the kernels inherit it: chapters in quick mode
    token = secrets.token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={free_port()}",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
        "--LabApp.expose_app_in_browser=True", "--ServerApp.open_browser=False",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = artifacts / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=notebooks, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = _wait_for_lab(proc, tmp / "runtime", token, log)
        yield Lab(url, token, notebooks, log)
    finally:
        _stop_group(proc)


def _wait_for_lab(proc, runtime: pathlib.Path, token: str, log: pathlib.Path, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        for info in runtime.glob("jpserver-*.json"):
            with contextlib.suppress(ValueError, OSError):
                url = json.loads(info.read_text())["url"]
                with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        return url
        time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


# --------------------------------------------------------------------------- the built book


BOOK_BUILD_TIMEOUT = int(os.environ.get("NNRNN_EDU_BOOK_BUILD_TIMEOUT", "400"))


def _build_book(stamp: pathlib.Path) -> None:
    """``make browser-book``, bounded: nbclient can hang for good on a cell that displays widgets
    (jupyter/nbclient#312; seen here once, with the kernel idle), and the book's own execution
    timeout is 30 min per cell. After BOOK_BUILD_TIMEOUT s the build's process group is killed
    and the build is tried once more."""
    log = ""
    for attempt in (1, 2):
        t0 = time.monotonic()
        proc = subprocess.Popen(["make", "-s", "--no-print-directory", "browser-book"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, start_new_session=True)
        try:
            log, _ = proc.communicate(timeout=BOOK_BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            _stop_group(proc)  # the kernel follows: ipykernel exits when its parent does
            with contextlib.suppress(subprocess.TimeoutExpired, ValueError):
                log = proc.communicate(timeout=15)[0] or ""
            log += f"\n[timed out after {BOOK_BUILD_TIMEOUT} s]"
            print(f"`make browser-book` attempt {attempt} timed out after {BOOK_BUILD_TIMEOUT} s")
            continue
        if proc.returncode != 0:
            pytest.fail(f"`make browser-book` failed ({proc.returncode}):\n{log[-5000:]}")
        stamp.touch()
        print(f"built the quick-mode book in {time.monotonic() - t0:.0f} s (attempt {attempt})")
        return
    pytest.fail(f"`make browser-book` hung twice:\n{log[-5000:]}")


def _newest_source() -> float:
    return max(p.stat().st_mtime for pattern in BOOK_SOURCES for p in ROOT.glob(pattern))


@pytest.fixture(scope="session")
def book_html() -> pathlib.Path:
    """The built HTML book. Builds the quick-mode book with ``make browser-book`` (the `book`
    target's jupyter-book command, NNRNN_EDU_QUICK=1, ``--all``, into build/browser/book) when it
    is missing or older than any source; ``$NNRNN_EDU_BOOK_HTML`` uses a given build instead."""
    given = os.environ.get("NNRNN_EDU_BOOK_HTML")
    if given:
        html = (ROOT / given).resolve()
        if not (html / "index.html").exists():
            pytest.fail(f"NNRNN_EDU_BOOK_HTML={given}: no index.html there")
        return html
    html = BOOK_OUT / "_build" / "html"
    stamp = html / ".nnrnn_edu-built"
    if not stamp.exists() or stamp.stat().st_mtime < _newest_source():
        _build_book(stamp)
    return html


@pytest.fixture(scope="session")
def book_server(book_html, artifacts):
    """``python -m http.server`` on 127.0.0.1 and a free port, serving the built book; stopped by its pid."""
    port = free_port()
    log = open(artifacts / "http-server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(book_html)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"http.server exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("http.server did not answer within 30 s")
                time.sleep(0.2)
        yield url
    finally:
        _stop_group(proc)
        log.close()
