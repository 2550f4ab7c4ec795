"""Thin ipywidgets wrappers: the explorers of chapters 1, 2 and 4.

A widget here owns controls, one matplotlib figure and an ``Output`` area. When
a control moves it calls its callback with the control values and ``fig=`` its
own figure (cleared and redrawn in place) and re-shows that figure in the same
output area. A callback is one library function that computes
(``*_explorer_data``) and draws (``plotting.plot_*_explorer``):
:func:`draw_memory_explorer`, :func:`draw_decoding_explorer`,
:func:`draw_pseudospectrum_explorer`, each tested without a browser; the classes
only wire controls to arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
from IPython.display import display
from matplotlib.figure import Figure

from .analysis.pseudospectra import pseudospectrum_explorer_data
from .chapters.ch01 import memory_explorer_data
from .chapters.ch02 import decoding_explorer_data
from .connectivity import FBCHAIN_FEEDBACK, KINDS
from .nonlinearities import NONLINEARITIES
from .plotting import KIND_LABELS, plot_decoding_explorer, plot_memory_explorer, plot_pseudospectrum_explorer

_STYLE = {"description_width": "90px"}
_LAYOUT = w.Layout(width="340px")


def draw_memory_explorer(fig: Figure | None = None, **params: Any) -> Figure:
    """:class:`MemoryExplorer`'s callback: compute, then draw into ``fig``.

    Parameters
    ----------
    fig : Figure or None
        The figure to redraw in place; ``None`` makes one.
    **params :
        ``kind``, ``n``, ``alpha``, ``beta``, ``lam`` (and ``k_max``, ``seed``) of
        :func:`nnrnn_edu.chapters.ch01.memory_explorer_data`.

    Returns
    -------
    Figure
        :func:`nnrnn_edu.plotting.plot_memory_explorer` of the computed data.

    See chapter 1, section 5.
    """
    return plot_memory_explorer(memory_explorer_data(**params), fig=fig)


def draw_decoding_explorer(fig: Figure | None = None, **params: Any) -> Figure:
    """:class:`DecodingExplorer`'s callback: compute, then draw into ``fig``.

    Parameters
    ----------
    fig : Figure or None
        The figure to redraw in place; ``None`` makes one.
    **params :
        ``noise_std``, ``input_scale``, ``alpha``, ``lam``, ``nonlinearity``, ``seq_len``,
        ``n`` (and ``quick``) of :func:`nnrnn_edu.chapters.ch02.decoding_explorer_data`.

    Returns
    -------
    Figure
        :func:`nnrnn_edu.plotting.plot_decoding_explorer` of the computed data.

    See chapter 2, section 4.
    """
    return plot_decoding_explorer(decoding_explorer_data(**params), fig=fig)


def draw_pseudospectrum_explorer(fig: Figure | None = None, **params: Any) -> Figure:
    """:class:`PseudospectrumExplorer`'s callback: compute, then draw into ``fig``.

    Parameters
    ----------
    fig : Figure or None
        The figure to redraw in place; ``None`` makes one.
    **params :
        ``kind``, ``n``, ``alpha``, ``beta``, ``lam``, ``eps`` (and ``n_grid``, ``seed``) of
        :func:`nnrnn_edu.analysis.pseudospectrum_explorer_data`.

    Returns
    -------
    Figure
        :func:`nnrnn_edu.plotting.plot_pseudospectrum_explorer` of the computed data.

    See chapter 4.
    """
    return plot_pseudospectrum_explorer(pseudospectrum_explorer_data(**params), fig=fig)


def _slider(cls: type, value: float, lo: float, hi: float, step: float, description: str) -> w.Widget:
    return cls(value=value, min=lo, max=hi, step=step, description=description, style=_STYLE,
               layout=_LAYOUT, continuous_update=False)


class _Explorer:
    """Controls + one figure + an Output area, redrawn by a ``draw_*_explorer`` callback."""

    _callback: Callable[..., Figure]
    _columns: tuple[tuple[str, ...], ...]

    def __init__(self, controls: dict[str, Any]) -> None:
        self.controls: dict[str, Any] = controls
        self._enable_relevant()
        self.figure: Figure = type(self)._callback(**self.values())
        self.output = w.Output()
        with self.output:
            display(self.figure)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        columns = [w.VBox([self.controls[name] for name in column]) for column in self._columns]
        self.widget = w.VBox([w.HBox(columns), self.output])

    def values(self) -> dict[str, Any]:
        """Current control values as keyword arguments of the callback."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **changes: Any) -> Figure:
        """Set controls (e.g. ``update(alpha=2.0)``); the figure redraws in place and is returned."""
        unknown = set(changes) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; choose from {sorted(self.controls)}")
        for name, value in changes.items():
            self.controls[name].value = value
        return self.figure

    def _on_change(self, _change: dict) -> None:
        self._enable_relevant()
        type(self)._callback(**self.values(), fig=self.figure)
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)

    def _enable_relevant(self) -> None:
        """Grey out controls that do not affect the current figure (subclasses override)."""

    def _ipython_display_(self) -> None:
        display(self.widget)


class MemoryExplorer(_Explorer):
    """Chapter 1 explorer: network kind, N, alpha, beta, lambda -> J(k) and ``||W^k v||^2``.

    Parameters
    ----------
    kind, n, alpha, beta, lam :
        Initial values, passed to :func:`draw_memory_explorer`.

    Attributes
    ----------
    controls : dict of str -> ipywidgets.Widget
        ``"kind"``, ``"n"``, ``"alpha"``, ``"beta"``, ``"lam"``.
    figure : matplotlib Figure
        The one figure, redrawn in place on every change.
    widget : ipywidgets.VBox
        What the notebook displays.

    See chapter 1, section 5.
    """

    _callback = staticmethod(draw_memory_explorer)
    _columns = (("kind", "n"), ("alpha", "beta", "lam"))

    def __init__(
        self,
        kind: str = "chain",
        n: int = 100,
        alpha: float = 1.5,
        beta: float = 0.05,
        lam: float = 0.99,
    ) -> None:
        super().__init__({
            "kind": w.Dropdown(options=[(KIND_LABELS[k], k) for k in KINDS], value=kind,
                               description="network", style=_STYLE),
            "n": _slider(w.IntSlider, n, 10, 400, 10, "N"),
            "alpha": _slider(w.FloatSlider, alpha, 0.5, 3.0, 0.01, "alpha"),
            "beta": _slider(w.FloatSlider, beta, 0.0, 0.5, 0.01, "beta"),
            "lam": _slider(w.FloatSlider, lam, 0.0, 1.05, 0.01, "lambda"),
        })

    def _enable_relevant(self) -> None:
        kind = self.controls["kind"].value
        self.controls["alpha"].disabled = kind not in ("chain", "fbchain")
        self.controls["beta"].disabled = kind != "fbchain"
        self.controls["lam"].disabled = kind not in ("identity", "orthogonal")


class DecodingExplorer(_Explorer):
    """Chapter 2 explorer: noise, input scale, chain alpha, orthogonal lambda, f, L -> R^2(k).

    Parameters
    ----------
    noise_std, input_scale, alpha, lam, nonlinearity, seq_len, n :
        Initial values, passed to :func:`draw_decoding_explorer`.

    Attributes
    ----------
    controls : dict of str -> ipywidgets.Widget
        ``"noise_std"``, ``"input_scale"``, ``"alpha"``, ``"lam"``, ``"nonlinearity"``,
        ``"seq_len"``, ``"n"``.
    figure : matplotlib Figure
        The one figure, redrawn in place on every change.
    widget : ipywidgets.VBox
        What the notebook displays.

    See chapter 2, section 4.
    """

    _callback = staticmethod(draw_decoding_explorer)
    _columns = (("nonlinearity", "noise_std", "input_scale"), ("alpha", "lam", "seq_len", "n"))

    def __init__(
        self,
        noise_std: float = 0.1,
        input_scale: float = 1.0,
        alpha: float = 1.0,
        lam: float = 1.0,
        nonlinearity: str = "elu",
        seq_len: int = 100,
        n: int = 100,
    ) -> None:
        super().__init__({
            "noise_std": _slider(w.FloatSlider, noise_std, 0.0, 1.0, 0.01, "noise σ"),
            "input_scale": _slider(w.FloatLogSlider, input_scale, -1.0, 1.0, 0.05, "input scale"),
            "alpha": _slider(w.FloatSlider, alpha, 0.5, 1.2, 0.01, "chain α"),
            "lam": _slider(w.FloatSlider, lam, 0.5, 1.2, 0.01, "orthogonal λ"),
            "nonlinearity": w.Dropdown(options=list(NONLINEARITIES), value=nonlinearity, description="f", style=_STYLE),
            "seq_len": _slider(w.IntSlider, seq_len, 10, 200, 10, "L"),
            "n": _slider(w.IntSlider, n, 20, 200, 10, "N"),
        })


class PseudospectrumExplorer(_Explorer):
    """Chapter 4 explorer: network kind, N, alpha, beta, lambda, epsilon -> eigenvalues and pseudospectra.

    Parameters
    ----------
    kind, n, alpha, beta, lam, eps :
        Initial values, passed to :func:`draw_pseudospectrum_explorer`.

    Attributes
    ----------
    controls : dict of str -> ipywidgets.Widget
        ``"kind"``, ``"n"``, ``"alpha"``, ``"beta"``, ``"lam"``, ``"eps"`` (log slider).
    figure : matplotlib Figure
        The one figure, redrawn in place on every change.
    widget : ipywidgets.VBox
        What the notebook displays.

    See chapter 4.
    """

    _callback = staticmethod(draw_pseudospectrum_explorer)
    _columns = (("kind", "n", "eps"), ("alpha", "beta", "lam"))

    def __init__(
        self,
        kind: str = "chain",
        n: int = 100,
        alpha: float = 1.0,
        beta: float = FBCHAIN_FEEDBACK,
        lam: float = 1.0,
        eps: float = 1e-2,
    ) -> None:
        super().__init__({
            "kind": w.Dropdown(options=[(KIND_LABELS[k], k) for k in KINDS], value=kind,
                               description="network", style=_STYLE),
            "n": _slider(w.IntSlider, n, 10, 200, 10, "N"),
            "alpha": _slider(w.FloatSlider, alpha, 0.1, 2.0, 0.01, "α"),
            "beta": _slider(w.FloatSlider, beta, 0.0, 1.0, 0.01, "β"),
            "lam": _slider(w.FloatSlider, lam, 0.0, 1.2, 0.01, "λ"),
            "eps": _slider(w.FloatLogSlider, eps, -8.0, -0.5, 0.25, "ε"),
        })

    def _enable_relevant(self) -> None:
        kind = self.controls["kind"].value
        self.controls["alpha"].disabled = kind not in ("chain", "fbchain")
        self.controls["beta"].disabled = kind != "fbchain"
        self.controls["lam"].disabled = kind not in ("identity", "orthogonal")


__all__ = [
    "DecodingExplorer",
    "MemoryExplorer",
    "PseudospectrumExplorer",
    "draw_decoding_explorer",
    "draw_memory_explorer",
    "draw_pseudospectrum_explorer",
]
