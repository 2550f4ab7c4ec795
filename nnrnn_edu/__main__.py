"""``python -m nnrnn_edu {train,sweep,summarize} ...``: see :mod:`nnrnn_edu.cli` and chapter 3."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
