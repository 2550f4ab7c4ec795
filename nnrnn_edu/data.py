"""Permuted sequential MNIST (psMNIST) and its offline stand-in, psDigits.

psMNIST feeds the 784 pixels of an MNIST digit, scaled to [0, 1], one per time
step (T = 784), after a fixed random permutation that destroys the spatial
structure. The permutation comes from its own seed (:func:`pixel_permutation`)
and is stored with every result.

MNIST is downloaded once into :func:`nnrnn_edu.config.data_dir` (set
``NNRNN_EDU_DATA`` to move it), its MD5 checksums are verified, and the IDX
files are parsed here with numpy (no torchvision). Machines without internet,
CI and the quick tier use **psDigits** instead: the 1 797 8x8 handwritten digits
that scikit-learn ships (T = 64). Offline machines with Debian's
``dataset-fashion-mnist`` get **psFashion-MNIST** at psMNIST's real length
(T = 784), permuted the same way. Every dataset carries its ``name`` so that
outputs can never pass a stand-in off as psMNIST.

See chapter 3.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch

from . import config
from ._validate import positive_int, seed_or_generator
from .tasks import make_generator


MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
"""Base URLs tried in order for the MNIST files."""

MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
"""The four MNIST files and their MD5 checksums (the values torchvision uses)."""

_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

FASHION_FILES = {
    "train-images-idx3-ubyte.gz": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "cf8536b0aa1a6ac5fa3f23001093305c"),
    "train-labels-idx1-ubyte.gz": ("25c81989df183df01b3e8a0aad5dffbe", "10bea18fdb374794d4bb42e356e600c9"),
    "t10k-images-idx3-ubyte.gz": ("bef4ecab320f06d8554ea6380940ec79", "f78720b4224f21cce2f2ccf2d7a94c9a"),
    "t10k-labels-idx1-ubyte.gz": ("bb300cfdad3c16e7a12a480ee83cd310", "0d30e22e447f3c33dab9ed536400ac01"),
}
"""The four Fashion-MNIST files (the MNIST format: 60 000 + 10 000 images of 28x28) and the MD5 checksums
accepted for each: Zalando's release, and Debian's package ``dataset-fashion-mnist`` (0.0~git20200523, the
same images recompressed)."""

FASHION_DIRS = ("/usr/share/datasets/fashion-mnist",)
"""Where Debian's ``dataset-fashion-mnist`` puts the files (searched after the data directory)."""

PERMUTATION_SEED = 1
"""Default seed of the pixel permutation (the authors drew it from the run seed, 1..6)."""

DIGITS_TEST_SIZE = 297
"""psDigits: images held out for validation (of 1 797), by a fixed shuffle."""
_DIGITS_SPLIT_SEED = 0


class DataUnavailableError(RuntimeError):
    """MNIST is neither cached nor downloadable; the message says what to do.

    See chapter 3.
    """


# --------------------------------------------------------------------------- IDX files


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (the MNIST format), gzipped or not.

    Parameters
    ----------
    path : str or path-like
        File name; a ``.gz`` suffix means gzip.

    Returns
    -------
    ndarray
        Shape from the header (``(n, 28, 28)`` for images, ``(n,)`` for labels),
        dtype from the header (uint8 for MNIST).

    See chapter 3.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"path={str(path)!r} is not an IDX file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    code, ndim = raw[2], raw[3]
    if code not in dtypes:
        raise ValueError(f"path={str(path)!r} has unknown IDX data type 0x{code:02x}")
    header = 4 + 4 * ndim
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(dtypes[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(
            f"path={str(path)!r} is truncated or padded: header says {expected} data bytes, file has {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (gzipped if the name ends in ``.gz``); used by tests.

    See chapter 3.
    """
    arr = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(header + arr.tobytes())


def _md5(path: str) -> str:
    h = hashlib.md5()  # noqa: S324 - checksums published for MNIST are MD5
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(name: str, dest: str) -> None:
    """Fetch one MNIST file from the first mirror that answers, verify, move into place."""
    errors = []
    for base in MNIST_MIRRORS:
        url = base + name
        fd, tmp = tempfile.mkstemp(prefix=name, suffix=".part", dir=os.path.dirname(dest))
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310
                for block in iter(lambda: resp.read(1 << 20), b""):
                    out.write(block)
            got = _md5(tmp)
            if got != MNIST_FILES[name]:
                errors.append(f"{url}: checksum {got} != {MNIST_FILES[name]}")
                continue
            os.replace(tmp, dest)
            return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise DataUnavailableError(
        f"MNIST file {name} is not cached in {os.path.dirname(dest)} and could not be downloaded:\n  "
        + "\n  ".join(errors)
        + f"\nTo fix: copy the four files {sorted(MNIST_FILES)} (from any MNIST mirror) into "
        f"{os.path.dirname(dest)}, or set {config.DATA_DIR_ENV_VAR} to a directory that holds them, "
        "or use source='digits' (psDigits, the 8x8 scikit-learn digits) for an offline stand-in."
    )


def mnist_path(name: str, root: str | None = None, download: bool = True) -> str:
    """Path of a verified MNIST file, downloading it into the cache first if needed.

    Parameters
    ----------
    name : str
        One of :data:`MNIST_FILES`.
    root : str or None
        Cache directory (None: ``data_dir()/mnist``).
    download : bool
        Whether a missing file may be downloaded.

    Returns
    -------
    str
        Path of the file, whose MD5 checksum has been verified.

    Raises
    ------
    DataUnavailableError
        If the file is missing and cannot be downloaded (with instructions).
    ValueError
        If a cached file is corrupt (wrong checksum).

    See chapter 3.
    """
    if name not in MNIST_FILES:
        raise ValueError(f"name must be one of {sorted(MNIST_FILES)}, got {name!r}")
    root = os.path.join(config.data_dir(), "mnist") if root is None else str(root)
    path = os.path.join(root, name)
    if not os.path.exists(path):
        if not download:
            raise DataUnavailableError(
                f"MNIST file {name} is not cached in {root} and download=False. Copy the MNIST files "
                f"there, set {config.DATA_DIR_ENV_VAR}, or use source='digits'."
            )
        os.makedirs(root, exist_ok=True)
        _download(name, path)
    got = _md5(path)
    if got != MNIST_FILES[name]:
        raise ValueError(
            f"cached MNIST file {path} is corrupt (MD5 {got}, expected {MNIST_FILES[name]}); delete it and retry"
        )
    return path


def load_mnist(
    split: str = "train", root: str | None = None, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images and labels, downloaded and verified on first use.

    Parameters
    ----------
    split : {"train", "test"}
        60 000 training or 10 000 test images.
    root : str or None
        Cache directory (None: ``data_dir()/mnist``).
    download : bool
        Whether missing files may be downloaded.

    Returns
    -------
    images : ndarray, shape (n, 28, 28), uint8
    labels : ndarray, shape (n,), int64

    See chapter 3.
    """
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    img_name, lab_name = _SPLIT_FILES[split]
    images = read_idx(mnist_path(img_name, root, download))
    labels = read_idx(mnist_path(lab_name, root, download)).astype(np.int64)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"MNIST {split} files disagree: images {images.shape}, labels {labels.shape}")
    return images, labels


def fashion_path(name: str, root: str | None = None) -> str:
    """Path of a verified Fashion-MNIST file: in ``root`` (default ``data_dir()/fashion-mnist``), else
    where Debian's ``dataset-fashion-mnist`` installs it.

    Parameters
    ----------
    name : str
        One of :data:`FASHION_FILES`.
    root : str or None

    Returns
    -------
    str
        Path of the file, whose MD5 checksum is one of the accepted ones.

    Raises
    ------
    DataUnavailableError
        If no copy is found (with instructions).
    ValueError
        If a copy is corrupt (wrong checksum).
    """
    if name not in FASHION_FILES:
        raise ValueError(f"name must be one of {sorted(FASHION_FILES)}, got {name!r}")
    root = os.path.join(config.data_dir(), "fashion-mnist") if root is None else str(root)
    for directory in (root, *FASHION_DIRS):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            got = _md5(path)
            if got not in FASHION_FILES[name]:
                raise ValueError(f"Fashion-MNIST file {path} is corrupt (MD5 {got}, expected one of "
                                 f"{FASHION_FILES[name]}); delete or replace it")
            return path
    raise DataUnavailableError(
        f"Fashion-MNIST file {name} is neither in {root} nor in {', '.join(FASHION_DIRS)}. To fix: "
        "`apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or copy the four files "
        f"{sorted(FASHION_FILES)} into {root}."
    )


def load_fashion(split: str = "train", root: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images and labels (same format and sizes as MNIST), verified.

    Parameters
    ----------
    split : {"train", "test"}
    root : str or None
        See :func:`fashion_path`.

    Returns
    -------
    images : ndarray, shape (n, 28, 28), uint8
    labels : ndarray, shape (n,), int64
    """
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    img_name, lab_name = _SPLIT_FILES[split]
    images = read_idx(fashion_path(img_name, root))
    labels = read_idx(fashion_path(lab_name, root)).astype(np.int64)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"Fashion-MNIST {split} files disagree: images {images.shape}, labels {labels.shape}")
    return images, labels


def load_digits_split(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 scikit-learn digits, split by a fixed shuffle (:data:`DIGITS_TEST_SIZE` held out).

    Returns
    -------
    images : ndarray, shape (n, 8, 8), float64 in [0, 16]
    labels : ndarray, shape (n,), int64

    See chapter 3.
    """
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    try:
        from sklearn.datasets import load_digits  # lazy: 0.9 s to import (-X importtime), needed offline only
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DataUnavailableError(
            "psDigits needs scikit-learn (pip install scikit-learn), which ships the 8x8 digits"
        ) from exc
    d = load_digits()
    order = np.random.default_rng(_DIGITS_SPLIT_SEED).permutation(len(d.target))
    idx = order[DIGITS_TEST_SIZE:] if split == "train" else order[:DIGITS_TEST_SIZE]
    return d.images[idx], d.target[idx].astype(np.int64)


# --------------------------------------------------------------------------- datasets


def pixel_permutation(n_pixels: int, seed: int | np.random.Generator = PERMUTATION_SEED) -> np.ndarray:
    """The fixed pixel order of a permuted sequential task.

    Parameters
    ----------
    n_pixels : int
        T (784 for MNIST, 64 for the 8x8 digits).
    seed : int or Generator
        The permutation's own seed (not the run's training seed).

    Returns
    -------
    ndarray, shape (n_pixels,), int64
        Pixel ``perm[t]`` of the flattened image is fed at step t.

    See chapter 3.
    """
    n_pixels = positive_int(n_pixels, "n_pixels")
    return seed_or_generator(seed).permutation(n_pixels).astype(np.int64)


@dataclass
class SequenceDataset:
    """A permuted sequential classification set held in memory.

    Attributes
    ----------
    name : str
        ``"psMNIST"`` or ``"psDigits"`` (say which in every output).
    split : str
        ``"train"`` or ``"test"``.
    inputs : Tensor, shape (n, T, 1), float32
        Pixels in [0, 1], already permuted.
    labels : Tensor, shape (n,), int64
    permutation : ndarray, shape (T,)
        The pixel order used (store it with results).
    permutation_seed : int or None
    note : str
        Why this dataset was chosen (e.g. the offline fallback), empty otherwise.

    See chapter 3.
    """

    name: str
    split: str
    inputs: "torch.Tensor"
    labels: "torch.Tensor"
    permutation: np.ndarray
    permutation_seed: int | None = None
    note: str = field(default="")

    @property
    def seq_len(self) -> int:
        """Sequence length T."""
        return int(self.inputs.shape[1])

    @property
    def task(self) -> str:
        """Task name for :func:`nnrnn_edu.tasks.task_spec` (``"psmnist"`` or ``"psdigits"``)."""
        return "psmnist" if self.name == "psMNIST" else "psdigits"

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batches(
        self,
        batch_size: int,
        generator: "torch.Generator | int | None" = None,
        *,
        shuffle: bool = True,
        drop_last: bool = False,
    ) -> Iterator[tuple["torch.Tensor", "torch.Tensor"]]:
        """One epoch of ``(inputs (B, T, 1), labels (B,))`` batches.

        Parameters
        ----------
        batch_size : int
        generator : torch.Generator, int or None
            Shuffling randomness (ignored when ``shuffle=False``).
        shuffle : bool
        drop_last : bool
            Skip a final incomplete batch.
        """
        batch_size = positive_int(batch_size, "batch_size")
        n = len(self)
        order = torch.randperm(n, generator=make_generator(generator)) if shuffle else torch.arange(n)
        stop = n - n % batch_size if drop_last else n
        for lo in range(0, stop, batch_size):
            idx = order[lo : lo + batch_size]
            yield self.inputs[idx], self.labels[idx]

    def to(self, device: str | torch.device) -> "SequenceDataset":
        """A copy whose tensors live on ``device``."""
        return SequenceDataset(
            self.name, self.split, self.inputs.to(device), self.labels.to(device),
            self.permutation, self.permutation_seed, self.note,
        )


def _make_dataset(name, split, images, labels, scale, permutation_seed, note):
    flat = images.reshape(images.shape[0], -1)
    perm = pixel_permutation(flat.shape[1], permutation_seed)
    x = torch.from_numpy((flat[:, perm] / scale).astype(np.float32)).unsqueeze(-1)  # (n, T, 1)
    y = torch.from_numpy(labels.astype(np.int64))
    seed = permutation_seed if isinstance(permutation_seed, (int, np.integer)) else None
    return SequenceDataset(name, split, x, y, perm, seed, note)


SOURCES = ("auto", "mnist", "fashion", "digits")
"""psMNIST sources: ``"auto"`` (the best available), ``"mnist"``, ``"fashion"`` (psFashion-MNIST) or
``"digits"`` (psDigits)."""

DATASET_NAMES = {"mnist": "psMNIST", "fashion": "psFashion-MNIST", "digits": "psDigits"}
"""The data set each resolved source stands for, as results and figures name it."""


def resolve_source(source: str = "auto", *, root: str | None = None, download: bool = True) -> str:
    """Which data set a psMNIST run with ``data_source=source`` uses, decided before it trains.

    ``"auto"`` means psDigits at the quick tier; otherwise MNIST when it is cached or can be downloaded (it
    is then cached), else Fashion-MNIST when its files are on the machine (psFashion-MNIST, the same
    length and format), else psDigits with a warning. A run's identity names the resolved data set, so
    results of different data sets are never mistaken for each other, and a run that fell back offline
    is trained again on MNIST once MNIST is available.

    Parameters
    ----------
    source : {"auto", "mnist", "fashion", "digits"}
    root, download
        As for :func:`mnist_path`.

    Returns
    -------
    {"mnist", "fashion", "digits"}
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    if source != "auto":
        return source
    if config.quick_mode():
        return "digits"
    try:
        for name in sorted(MNIST_FILES):
            mnist_path(name, root, download)
        return "mnist"
    except DataUnavailableError as mnist_error:
        try:
            for name in sorted(FASHION_FILES):
                fashion_path(name)
            return "fashion"
        except DataUnavailableError as fashion_error:
            warnings.warn(f"neither MNIST nor Fashion-MNIST is available, psDigits (8x8, T=64) stands in for "
                          f"psMNIST: {mnist_error} / {fashion_error}", RuntimeWarning, stacklevel=2)
            return "digits"


def psmnist(
    split: str = "train",
    permutation_seed: int = PERMUTATION_SEED,
    source: str = "auto",
    *,
    root: str | None = None,
    download: bool = True,
) -> SequenceDataset:
    """psMNIST (T = 784), psFashion-MNIST (T = 784) offline, or psDigits (T = 64) at the quick tier.

    Parameters
    ----------
    split : {"train", "test"}
    permutation_seed : int
        Seed of the pixel permutation (:func:`pixel_permutation`).
    source : {"auto", "mnist", "fashion", "digits"}
        ``"mnist"`` insists on real MNIST (raises :class:`DataUnavailableError`
        when it is neither cached nor downloadable); ``"fashion"`` on Fashion-MNIST
        (:func:`fashion_path`); ``"digits"`` always uses the 8x8 digits; ``"auto"``
        takes the first available in that order, psDigits only at the quick tier or
        (with a warning and ``note``) when neither MNIST nor Fashion-MNIST is there
        (:func:`resolve_source`).
    root, download
        Passed to :func:`load_mnist`.

    Returns
    -------
    SequenceDataset
        ``name`` is ``"psMNIST"``, ``"psFashion-MNIST"`` or ``"psDigits"``.

    See chapter 3.
    """
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    note = ""
    if source == "auto":
        source = resolve_source("auto", root=root, download=download)
        if source == "digits":
            note = ("quick tier: psDigits (8x8 scikit-learn digits, T=64) stands in for psMNIST" if config.quick_mode()
                    else "MNIST and Fashion-MNIST unavailable: psDigits (8x8 scikit-learn digits, T=64) stands in")
    if source == "mnist":
        images, labels = load_mnist(split, root, download)
        return _make_dataset("psMNIST", split, images, labels, 255.0, permutation_seed, "")
    if source == "fashion":
        images, labels = load_fashion(split)
        return _make_dataset("psFashion-MNIST", split, images, labels, 255.0, permutation_seed,
                             "Fashion-MNIST stands in for MNIST (same length and format)")
    images, labels = load_digits_split(split)
    return _make_dataset("psDigits", split, images, labels, 16.0, permutation_seed, note)


__all__ = [
    "DATASET_NAMES",
    "DIGITS_TEST_SIZE",
    "FASHION_DIRS",
    "FASHION_FILES",
    "MNIST_FILES",
    "MNIST_MIRRORS",
    "PERMUTATION_SEED",
    "DataUnavailableError",
    "SequenceDataset",
    "fashion_path",
    "load_digits_split",
    "load_fashion",
    "load_mnist",
    "mnist_path",
    "pixel_permutation",
    "psmnist",
    "read_idx",
    "resolve_source",
    "write_idx",
    "SOURCES",
]
