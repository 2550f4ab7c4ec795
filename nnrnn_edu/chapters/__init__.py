"""One module per chapter: its presets, "committed results, else train now", its tables and the data of its explorers.

The numerics live in the library's flat modules (:mod:`nnrnn_edu.memory`,
:mod:`nnrnn_edu.decoding`, :mod:`nnrnn_edu.analysis`, ...); a chapter module
decides what the chapter computes with them. See each chapter.
"""
