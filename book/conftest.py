"""pytest configuration for the chapters' notebook tests (nbval on ``book/[0-9]*.ipynb``).

The kernels nbval starts inherit this process's environment; ``PYTHONSTARTUP`` makes each of them
run ``tests/notebook_startup.py``, which checks every figure a cell displays (legible on the page,
alt text in the chapter; ``tests/notebook_checks.py``). jupyter-book builds only the files in
``_toc.yml``, so the book never sees this file.
"""

import os
import pathlib

os.environ["PYTHONSTARTUP"] = str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "notebook_startup.py")
