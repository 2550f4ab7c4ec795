"""The four recurrent initialisers of Orhan & Pitkow (2020), their input matrices,
exact spectra and the Henrici index of non-normality.

Convention (the paper's, column vectors): ``h_t = f(W h_{t-1} + V x_t + b)``.
The chain therefore sits on the *sub*-diagonal, ``W[i, i-1] = alpha``: a signal
that enters unit 0 moves one unit down the chain per step and reaches unit N-1
after N-1 steps. (The authors' torch helpers put it on the super-diagonal, which
with ``W @ h`` sends the signal away from the input unit.)

Eigenvalues of non-normal matrices are numerically treacherous: for the chain
with feedback ``numpy.linalg.eigvals`` returns a spectral radius of 0.74 where
the exact value is 0.40 (N = 100, beta = 0.04). :func:`eigenvalues` therefore
uses exact structure where it exists (triangular, tridiagonal) and the Schur
form only for dense matrices. Chapter 1 explains all of this; chapter 4 uses
:func:`henrici_index` on trained networks.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._validate import finite_float, positive_int, seed_or_generator, square_matrix

KINDS = ("identity", "orthogonal", "chain", "fbchain")
"""Names of the four initialisers, as used throughout the library."""

INPUT_GAIN = 0.9
"""The paper's input scale: ``0.9 I`` for chains, ``N(0, (0.9/sqrt N)^2)`` entries otherwise."""

FBCHAIN_FORWARD = 0.99
"""Forward gain alpha of the paper's chain-with-feedback *initialiser* (section 2.3.1)."""

FBCHAIN_FEEDBACK = 0.04
"""Default feedback beta of the chain with feedback (the paper's Table 2 setting; its search grid is 0.01-0.07)."""


# --------------------------------------------------------------------------- matrices


def chain(n: int, alpha: float = 1.0) -> np.ndarray:
    """Feed-forward chain ``W[i, i-1] = alpha`` (paper: ``W_ij = alpha delta_{j,i-1}``).

    Parameters
    ----------
    n : int
        Number of units N >= 1.
    alpha : float
        Feed-forward gain per step.

    Returns
    -------
    ndarray, shape (n, n), float64
        Nilpotent (all eigenvalues 0); Henrici index ``|alpha| sqrt(N-1)``.

    See chapter 1, section 1.
    """
    n = positive_int(n, "n")
    alpha = finite_float(alpha, "alpha")
    W = np.zeros((n, n))
    idx = np.arange(1, n)
    W[idx, idx - 1] = alpha
    return W


def chain_with_feedback(n: int, alpha: float = FBCHAIN_FORWARD, beta: float = FBCHAIN_FEEDBACK) -> np.ndarray:
    """Chain with feedback ``W[i, i-1] = alpha``, ``W[i, i+1] = beta``.

    Paper: ``W_ij = alpha delta_{j,i-1} + beta delta_{j,i+1}``; as an initialiser
    the paper fixes ``alpha = 0.99`` and searches over ``beta``.

    Parameters
    ----------
    n : int
        Number of units N >= 1.
    alpha : float
        Forward gain (default :data:`FBCHAIN_FORWARD`).
    beta : float
        Feedback weight (default :data:`FBCHAIN_FEEDBACK`).

    Returns
    -------
    ndarray, shape (n, n), float64
        Spectrum ``2 sqrt(alpha beta) cos(k pi/(N+1))`` (k = 1..N) when alpha beta > 0;
        Henrici index ``|alpha - beta| sqrt(N-1)``.

    See chapter 1, section 1.
    """
    n = positive_int(n, "n")
    alpha = finite_float(alpha, "alpha")
    beta = finite_float(beta, "beta")
    W = np.zeros((n, n))
    idx = np.arange(1, n)
    W[idx, idx - 1] = alpha
    W[idx - 1, idx] = beta
    return W


def scaled_identity(n: int, lam: float = 1.0) -> np.ndarray:
    """Scaled identity ``W = lam I`` (normal; Le et al. 2015 use lam = 1).

    Parameters
    ----------
    n : int
        Number of units N >= 1.
    lam : float
        Scale.

    Returns
    -------
    ndarray, shape (n, n), float64

    See chapter 1, section 1.
    """
    n = positive_int(n, "n")
    lam = finite_float(lam, "lam")
    return lam * np.eye(n)


def random_orthogonal(
    n: int, lam: float = 1.0, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Scaled Haar-random orthogonal matrix ``W = lam Q``.

    ``Q`` comes from the QR decomposition of a standard Gaussian matrix with
    the signs of R's diagonal absorbed, which makes it exactly Haar distributed.

    Parameters
    ----------
    n : int
        Number of units N >= 1.
    lam : float
        Scale (all eigenvalues have modulus ``|lam|``).
    seed : int, numpy Generator or None
        Same integer seed, same matrix.

    Returns
    -------
    ndarray, shape (n, n), float64

    See chapter 1, section 1.
    """
    n = positive_int(n, "n")
    lam = finite_float(lam, "lam")
    rng = seed_or_generator(seed)
    A = rng.standard_normal((n, n))
    Q, R = np.linalg.qr(A)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)  # sign fix: Haar measure
    return lam * Q


def recurrent_matrix(
    kind: str,
    n: int,
    scale: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Any of the four initialisers by name, with the paper's parameterisation.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
        Which initialiser.
    n : int
        Number of units.
    scale : float or None
        The kind's single hyper-parameter, as in the paper's search grid: the scale
        lambda of ``"identity"`` and ``"orthogonal"``, the forward gain alpha of
        ``"chain"``, the feedback beta of ``"fbchain"`` (whose forward gain alpha is
        fixed at :data:`FBCHAIN_FORWARD`). ``None`` gives 1.0 for lambda and alpha,
        :data:`FBCHAIN_FEEDBACK` for beta. (:func:`memory_network` takes alpha, beta
        and lambda by name instead.)
    seed : int, Generator or None
        Only used by ``"orthogonal"``.

    Returns
    -------
    ndarray, shape (n, n), float64

    See chapter 1, section 1 (and chapter 3, where these initialise trained RNNs).
    """
    kind = _check_kind(kind)
    if kind == "chain":
        return chain(n, 1.0 if scale is None else scale)
    if kind == "fbchain":
        return chain_with_feedback(n, FBCHAIN_FORWARD, FBCHAIN_FEEDBACK if scale is None else scale)
    if kind == "identity":
        return scaled_identity(n, 1.0 if scale is None else scale)
    return random_orthogonal(n, 1.0 if scale is None else scale, seed=seed)


def chain_input(n: int, d: int = 1) -> np.ndarray:
    """Input matrix of the chain initialisers: ``0.9 I_{N x d}`` (input i feeds unit i).

    Parameters
    ----------
    n : int
        Number of recurrent units N.
    d : int
        Number of input channels, ``d <= n``.

    Returns
    -------
    ndarray, shape (n, d), float64

    See chapter 3 (the paper's initialisers).
    """
    n = positive_int(n, "n")
    d = positive_int(d, "d")
    if d > n:
        raise ValueError(f"d={d} input channels cannot each feed their own unit of an N={n} chain")
    return INPUT_GAIN * np.eye(n, d)


def gaussian_input(n: int, d: int = 1, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Input matrix of the normal initialisers: entries ``N(0, (0.9/sqrt N)^2)``.

    The paper writes ``N(0, 0.9/sqrt N)`` with the second argument a standard
    deviation (the convention of its Keras code).

    Returns
    -------
    ndarray, shape (n, d), float64

    See chapter 3 (the paper's initialisers).
    """
    n = positive_int(n, "n")
    d = positive_int(d, "d")
    rng = seed_or_generator(seed)
    return rng.normal(0.0, INPUT_GAIN / np.sqrt(n), size=(n, d))


def input_matrix(
    kind: str, n: int, d: int = 1, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """The paper's input matrix for an initialiser kind.

    ``0.9 I_{N x d}`` (:func:`chain_input`) for ``"chain"``/``"fbchain"``, Gaussian
    entries (:func:`gaussian_input`) for ``"identity"``/``"orthogonal"``.

    Returns
    -------
    ndarray, shape (n, d), float64

    See chapter 3.
    """
    kind = _check_kind(kind)
    if kind in ("chain", "fbchain"):
        return chain_input(n, d)
    return gaussian_input(n, d, seed=seed)


def memory_network(
    kind: str,
    n: int,
    *,
    alpha: float = 1.0,
    beta: float = FBCHAIN_FEEDBACK,
    lam: float = 1.0,
    seed: int | np.random.Generator | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A recurrent matrix and a *unit* input vector for the linear memory analysis.

    Chains get the source-neuron input ``v = e_1`` (Ganguli et al. 2008);
    normal networks get a random unit vector (for normal W every unit vector gives
    the same total memory). Every parameter is named, with one meaning for every
    kind: ``alpha`` is the forward gain of both chains, ``beta`` the feedback of
    ``"fbchain"``, ``lam`` the scale of the normal networks; the others are ignored.

    Parameters
    ----------
    kind : {"identity", "orthogonal", "chain", "fbchain"}
    n : int
        Number of units N >= 1.
    alpha : float
        Forward gain of ``"chain"`` and ``"fbchain"`` (1.0 by default here, for both;
        the paper's fbchain initialiser uses :data:`FBCHAIN_FORWARD`).
    beta : float
        Feedback of ``"fbchain"``.
    lam : float
        Scale of ``"identity"`` and ``"orthogonal"``.
    seed : int, Generator or None
        Seed of the random orthogonal matrix and of the normal networks' input vector.

    Returns
    -------
    W : ndarray, shape (n, n)
    v : ndarray, shape (n,), unit norm

    See chapter 1.
    """
    kind = _check_kind(kind)
    n = positive_int(n, "n")
    rng = seed_or_generator(seed)
    if kind == "chain":
        W = chain(n, alpha)
    elif kind == "fbchain":
        W = chain_with_feedback(n, alpha, beta)
    elif kind == "identity":
        W = scaled_identity(n, lam)
    else:
        W = random_orthogonal(n, lam, seed=rng)
    if kind in ("chain", "fbchain"):
        v = np.zeros(n)
        v[0] = 1.0
    else:
        v = rng.standard_normal(n)
        v /= np.linalg.norm(v)
    return W, v


def _check_kind(kind: object) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return str(kind)


# --------------------------------------------------------------------------- spectra


def _tridiagonal_parts(W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(diag, sub, super) if W is tridiagonal, else None."""
    n = W.shape[0]
    if n < 3:
        sub, sup = np.diag(W, -1), np.diag(W, 1)
        return np.diag(W).copy(), sub.copy(), sup.copy()
    band = np.triu(np.tril(W, 1), -1)
    if np.array_equal(band, W):
        return np.diag(W).copy(), np.diag(W, -1).copy(), np.diag(W, 1).copy()
    return None


def _tridiagonal_eigenvalues(diag: np.ndarray, sub: np.ndarray, sup: np.ndarray) -> np.ndarray | None:
    """Eigenvalues of a tridiagonal matrix whose off-diagonal products are all >= 0.

    Where a product ``sub[i] * sup[i]`` is 0 the matrix is block triangular and
    its spectrum is the union of the blocks' spectra; inside a block all
    products are positive and the diagonal similarity ``D W D^{-1}`` makes it
    symmetric with off-diagonals ``sqrt(sub * sup)``, whose eigenvalues LAPACK
    computes to full accuracy. Returns None if some product is negative.
    """
    prod = sub * sup
    if np.any(prod < 0):
        return None
    cuts = np.flatnonzero(prod == 0) + 1  # block boundaries
    out = []
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, diag.size]):
        if hi - lo == 1:
            out.append(diag[lo : lo + 1])
        else:
            out.append(
                scipy.linalg.eigvalsh_tridiagonal(diag[lo:hi], np.sqrt(prod[lo : hi - 1]))
            )
    return np.concatenate(out).astype(np.complex128)


def _is_triangular(W: np.ndarray) -> bool:
    """Whether W is upper or lower triangular (its eigenvalues are its diagonal)."""
    return bool(np.array_equal(np.tril(W), W) or np.array_equal(np.triu(W), W))


def eigenvalues(W: np.ndarray) -> np.ndarray:
    """Eigenvalues of W, exact where the structure allows.

    - triangular W (chains, nnRNN's lower-triangular matrices): the diagonal;
    - tridiagonal W with non-negative off-diagonal products (chain with
      feedback): via the symmetrising similarity and ``eigvalsh_tridiagonal``;
    - anything else: the diagonal of the complex Schur form.

    Parameters
    ----------
    W : array_like, shape (N, N)

    Returns
    -------
    ndarray, shape (N,), complex128

    See chapter 1 (why ``numpy.linalg.eigvals`` misleads on non-normal matrices).
    """
    W = square_matrix(W, "W")
    if _is_triangular(W):
        return np.diag(W).astype(np.complex128)
    parts = _tridiagonal_parts(W)
    if parts is not None:
        lam = _tridiagonal_eigenvalues(*parts)
        if lam is not None:
            return lam
    T, _ = scipy.linalg.schur(W, output="complex")
    return np.diag(T).copy()


def spectral_radius(W: np.ndarray) -> float:
    """Largest eigenvalue modulus of W, computed by :func:`eigenvalues`.

    Parameters
    ----------
    W : array_like, shape (N, N)

    Returns
    -------
    float
        Exact for chains (0) and the chain with feedback
        (``2 sqrt(alpha beta) cos(pi/(N+1))``).

    See chapter 1.
    """
    return float(np.max(np.abs(eigenvalues(W))))


def _henrici_sq_dense(W: np.ndarray) -> float:
    """d(W)^2 by the structure-exact paths, else the complex Schur form."""
    if _is_triangular(W):
        off = W - np.diag(np.diag(W))
        return float(np.sum(off * off))
    parts = _tridiagonal_parts(W)
    if parts is not None and np.all(parts[1] * parts[2] >= 0):
        return float(np.sum((parts[1] - parts[2]) ** 2))
    T, _ = scipy.linalg.schur(W, output="complex")
    return float(np.sum(np.abs(np.triu(T, 1)) ** 2))


def _strong_components(W: np.ndarray) -> list[np.ndarray] | None:
    """Index sets of the strongly connected components of W's graph, or None if only one.

    A permutation puts W in block-triangular form with these diagonal blocks, so
    the spectrum of W is the union of the blocks' spectra.
    """
    if np.count_nonzero(W) == W.size:  # dense: one component
        return None
    # lazy: scipy.sparse.csgraph costs 0.3 s to import (-X importtime) and only sparse W need it
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n_comp, labels = connected_components(csr_matrix(W != 0), directed=True, connection="strong")
    if n_comp == 1:
        return None
    return [np.flatnonzero(labels == c) for c in range(n_comp)]


def henrici_index(W: np.ndarray, normalized: bool = False) -> float:
    """Henrici's departure from normality ``d(W) = sqrt(||W||_F^2 - sum_i |lambda_i|^2)``.

    Unnormalised by default, as in the paper (section 2.4, Table 2). Works on
    trained weights: torch tensors (any device, with or without grad) and float32
    arrays are converted to float64. Computed without the cancellation-prone
    subtraction where possible:

    - triangular W: the Frobenius norm of the off-diagonal part (W is its own Schur form);
    - tridiagonal W with non-negative off-diagonal products:
      ``sqrt(sum_i (W[i+1,i] - W[i,i+1])^2)``, exact, because the spectrum is real
      and ``sum lambda^2 = trace(W^2)``;
    - W whose graph splits into strongly connected components (e.g. a chain with its
      units shuffled, the "hidden chain" of chapter 4): W is block triangular up to a
      permutation, so ``d^2 = ||off-block part||_F^2 + sum_blocks d(block)^2``, each
      block (in W's own index order) by these rules;
    - dense W: the Frobenius norm of the strictly upper part of the complex Schur
      form ``W = Z T Z^H`` (0 to rounding, ~1e-14, for normal W). This is exact for
      ``W + E`` with ``||E|| ~ 1e-16 ||W||``; where W is close to a highly non-normal
      structured matrix, d itself is ill-conditioned (eigenvalues move by ~ (1e-16)^(1/N))
      and the dense value can be low by up to ~20 % (chapter 1).

    Parameters
    ----------
    W : array_like or torch Tensor, shape (N, N)
        Real square matrix.
    normalized : bool
        Return ``d(W) / ||W||_F`` instead (scale-free, in [0, 1]; 0 for W = 0),
        handy for comparing networks of different sizes or gains. The paper's
        numbers are the unnormalised ``d(W)``.

    Returns
    -------
    float
        ``alpha sqrt(N-1)`` for the chain, ``|alpha - beta| sqrt(N-1)`` for the
        chain with feedback, 0 for normal matrices.

    See chapter 1 and chapter 4.
    """
    W = square_matrix(W, "W")
    blocks = None if _is_triangular(W) or _tridiagonal_parts(W) is not None else _strong_components(W)
    if blocks is None:
        d2 = _henrici_sq_dense(W)
    else:
        d2 = float(np.sum(W * W))
        for idx in blocks:
            B = W[np.ix_(idx, idx)]
            d2 += _henrici_sq_dense(B) - float(np.sum(B * B))
    d = float(np.sqrt(max(d2, 0.0)))
    if normalized:
        fro = float(np.linalg.norm(W))
        return d / fro if fro > 0 else 0.0
    return d


__all__ = [
    "FBCHAIN_FEEDBACK",
    "FBCHAIN_FORWARD",
    "INPUT_GAIN",
    "KINDS",
    "chain",
    "chain_input",
    "chain_with_feedback",
    "eigenvalues",
    "gaussian_input",
    "henrici_index",
    "input_matrix",
    "memory_network",
    "random_orthogonal",
    "recurrent_matrix",
    "scaled_identity",
    "spectral_radius",
]
