"""Henrici's departure from normality of trained networks (paper section 2.4, Table 2).

``d(W) = sqrt(||W||_F^2 - sum_i |lambda_i|^2)``, unnormalised as in the paper's
Table 2. :func:`henrici_index` is the very function of
:mod:`nnrnn_edu.connectivity` (robust to torch tensors and float32 weights),
re-exported here; :func:`henrici_indices` maps it over a stack of networks.
Importing this module imports neither torch nor matplotlib. See chapter 4.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import square_matrix
from ..connectivity import henrici_index



def henrici_indices(matrices: Any, normalized: bool = False) -> np.ndarray:
    """:func:`henrici_index` of each matrix of a stack (e.g. an ensemble's recurrent weights).

    Parameters
    ----------
    matrices : array_like or torch Tensor, shape (K, N, N), or an iterable of (N, N) matrices
        For example ``EnsembleRNN.recurrent_weight`` or a list of ``VanillaRNN.recurrent_weight``.
    normalized : bool
        Divide each ``d(W)`` by ``||W||_F`` (scale-free, in [0, 1]); the paper's
        Table 2 is *unnormalised* (``normalized=False``).

    Returns
    -------
    ndarray, shape (K,), float64

    See chapter 4.
    """
    if hasattr(matrices, "detach") and getattr(matrices, "ndim", 0) == 3:
        matrices = list(matrices)
    elif isinstance(matrices, np.ndarray):
        if matrices.ndim != 3:
            raise ValueError(f"matrices must be a stack of shape (K, N, N), got shape {matrices.shape}")
        matrices = list(matrices)
    mats = list(matrices)
    if not mats:
        raise ValueError("matrices must contain at least one matrix")
    # validated here so that an error names the offending entry of the stack
    mats = [square_matrix(W, f"matrices[{k}]") for k, W in enumerate(mats)]
    return np.array([henrici_index(W, normalized=normalized) for W in mats], dtype=np.float64)



__all__ = ["henrici_index", "henrici_indices"]
