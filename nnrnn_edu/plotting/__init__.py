"""Plotting: data in, :class:`matplotlib.figure.Figure` out; one module per chapter.

- :mod:`~nnrnn_edu.plotting.style` - the colour and label of each network kind, task labels, the page width
- :mod:`~nnrnn_edu.plotting.legibility` - is a figure readable at the book's page width?
- :mod:`~nnrnn_edu.plotting.ch01` - connectivity, memory curves, J_tot against N, memory explorer
- :mod:`~nnrnn_edu.plotting.ch02` - decoding curves, Figure 2, decoding explorer
- :mod:`~nnrnn_edu.plotting.ch03` - task examples, Figure 3 (curves, success counts), training histories
- :mod:`~nnrnn_edu.plotting.ch04` - pseudospectra, pseudospectrum explorer, weight profiles (Figure 5), Henrici bars (Table 2)

Every ``plot_*`` function only draws; the numbers come from the library (the
explorers' from ``*_explorer_data`` functions). Given ``fig=`` (or ``ax=``) a
function draws into it (cleared first), which is how widgets redraw in place.
Everything is re-exported here: ``from nnrnn_edu import plotting; plotting.plot_figure3_curves(...)``.
"""

from .ch01 import (plot_connectivity, plot_memory_curves, plot_memory_explorer, plot_network_graphs,
                   plot_total_memory_scaling)
from .ch02 import PANEL_TITLES, plot_decoding_curves, plot_decoding_explorer, plot_decoding_figure, plot_input_scales
from .ch03 import plot_figure3_counts, plot_figure3_curves, plot_task_examples, plot_training_history
from .ch04 import (
    PSEUDOSPECTRUM_LEVELS,
    plot_figure5,
    plot_henrici_before_after,
    plot_henrici_table,
    plot_pseudospectra,
    plot_pseudospectrum,
    plot_pseudospectrum_explorer,
    plot_weight_profile,
)
from .legibility import legibility_problems, legibility_report
from .style import KIND_COLORS, KIND_LABELS, PAGE_WIDTH_IN, TASK_LABELS

__all__ = [
    "KIND_COLORS",
    "KIND_LABELS",
    "PAGE_WIDTH_IN",
    "PANEL_TITLES",
    "PSEUDOSPECTRUM_LEVELS",
    "TASK_LABELS",
    "legibility_problems",
    "legibility_report",
    "plot_connectivity",
    "plot_network_graphs",
    "plot_decoding_curves",
    "plot_decoding_explorer",
    "plot_decoding_figure",
    "plot_figure3_counts",
    "plot_figure3_curves",
    "plot_figure5",
    "plot_henrici_before_after",
    "plot_henrici_table",
    "plot_input_scales",
    "plot_memory_curves",
    "plot_memory_explorer",
    "plot_pseudospectra",
    "plot_pseudospectrum",
    "plot_pseudospectrum_explorer",
    "plot_task_examples",
    "plot_total_memory_scaling",
    "plot_training_history",
    "plot_weight_profile",
]
