"""What trained networks became: non-normality, hidden chains, pseudospectra (chapter 4).

One module per tool; every public name is re-exported here, so
``from nnrnn_edu import analysis as an; an.henrici_index(W)`` works:

- :mod:`~nnrnn_edu.analysis.henrici` - Henrici's departure from normality
  (the paper's Table 2): :func:`henrici_index` (the function of
  :mod:`nnrnn_edu.connectivity`), :func:`henrici_indices` over a stack.
- :mod:`~nnrnn_edu.analysis.hidden_chains` - the peak-time ordering of Rajan et
  al. (2016) and the weight profile of the paper's Figure 5.
- :mod:`~nnrnn_edu.analysis.pseudospectra` - epsilon-pseudospectra
  (Trefethen & Embree; on trained RNNs: Sengupta & Friston), computed from
  :mod:`~nnrnn_edu.analysis.singular_values` (``sigma_min(zI - W)`` on a grid), whose
  structured solves are in :mod:`~nnrnn_edu.analysis.shifted_solves`.

Numerics only: which runs to analyse and the tables of chapter 4 are in
:mod:`nnrnn_edu.chapters.ch04`. Importing this package imports neither torch nor
matplotlib.
"""

from .henrici import henrici_index, henrici_indices
from .hidden_chains import (
    PULSE_STEPS,
    PulseNetwork,
    WeightProfile,
    hidden_chain_profile,
    mean_weight_profile,
    networks_from_rnn,
    peak_time_order,
    peak_times,
    profile_asymmetry,
    pulse_response,
    weight_profile,
)
from .pseudospectra import (
    PSEUDOSPECTRUM_METHODS,
    Pseudospectrum,
    PseudospectrumExplorerData,
    pseudospectral_radius,
    pseudospectrum,
    pseudospectrum_explorer_data,
    sigma_min,
)

__all__ = [
    "PSEUDOSPECTRUM_METHODS",
    "PULSE_STEPS",
    "Pseudospectrum",
    "PseudospectrumExplorerData",
    "PulseNetwork",
    "WeightProfile",
    "henrici_index",
    "henrici_indices",
    "hidden_chain_profile",
    "mean_weight_profile",
    "networks_from_rnn",
    "peak_time_order",
    "peak_times",
    "profile_asymmetry",
    "pseudospectral_radius",
    "pseudospectrum",
    "pseudospectrum_explorer_data",
    "pulse_response",
    "sigma_min",
    "weight_profile",
]
