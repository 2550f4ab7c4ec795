"""Thin ipywidgets wrappers over the ``plot_*_explorer`` callbacks in :mod:`nnrnn_edu.plotting`.

A widget here owns controls, one matplotlib figure and an ``Output`` area. When
a control moves it calls the library's plotting function with ``fig=`` its own
figure (cleared and redrawn in place) and re-shows that figure in the same
output area. All the logic lives in the plotting function, which is tested
without a browser; these classes only wire controls to arguments.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
from IPython.display import display
from matplotlib.figure import Figure

from .connectivity import KINDS
from .plotting import KIND_LABELS, plot_memory_explorer


class MemoryExplorer:
    """Chapter 1 explorer: network kind, N, alpha, beta, lambda -> J(k) and ``||W^k v||^2``.

    Parameters
    ----------
    kind, n, alpha, beta, lam :
        Initial values, passed to :func:`nnrnn_edu.plotting.plot_memory_explorer`.

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

    def __init__(
        self,
        kind: str = "chain",
        n: int = 100,
        alpha: float = 1.5,
        beta: float = 0.05,
        lam: float = 0.99,
    ) -> None:
        style = {"description_width": "70px"}
        layout = w.Layout(width="330px")
        self.controls: dict[str, Any] = {
            "kind": w.Dropdown(
                options=[(KIND_LABELS[k], k) for k in KINDS], value=kind, description="network", style=style
            ),
            "n": w.IntSlider(value=n, min=10, max=400, step=10, description="N", style=style, layout=layout),
            "alpha": w.FloatSlider(
                value=alpha, min=0.5, max=3.0, step=0.01, description="alpha", style=style, layout=layout
            ),
            "beta": w.FloatSlider(
                value=beta, min=0.0, max=0.5, step=0.01, description="beta", style=style, layout=layout
            ),
            "lam": w.FloatSlider(
                value=lam, min=0.0, max=1.05, step=0.01, description="lambda", style=style, layout=layout
            ),
        }
        self.figure: Figure = plot_memory_explorer(**self.values())
        self.output = w.Output()
        with self.output:
            display(self.figure)
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self._enable_relevant()
        left = w.VBox([self.controls["kind"], self.controls["n"]])
        right = w.VBox([self.controls["alpha"], self.controls["beta"], self.controls["lam"]])
        self.widget = w.VBox([w.HBox([left, right]), self.output])

    def values(self) -> dict[str, Any]:
        """Current control values as keyword arguments of the plotting callback."""
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
        plot_memory_explorer(**self.values(), fig=self.figure)
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)

    def _enable_relevant(self) -> None:
        kind = self.controls["kind"].value
        self.controls["alpha"].disabled = kind not in ("chain", "fbchain")
        self.controls["beta"].disabled = kind != "fbchain"
        self.controls["lam"].disabled = kind not in ("identity", "orthogonal")

    def _ipython_display_(self) -> None:
        display(self.widget)


__all__ = ["MemoryExplorer"]
