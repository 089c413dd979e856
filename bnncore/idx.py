"""Read IDX files (the MNIST / Fashion-MNIST format) with NumPy only.

An IDX file is a 4-byte magic number ``0x00 0x00 <dtype code> <ndim>``, then ``ndim``
big-endian uint32 sizes, then the data in C order. Files may be gzip-compressed
(``.gz``). Every check failure raises ``ValueError`` naming the file.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike, expected_ndim: int | None = None) -> np.ndarray:
    """Read one IDX file (plain or gzip) into an array.

    Parameters
    ----------
    path : str or PathLike
    expected_ndim : int, optional
        Refuse files of another rank (3 for images, 1 for labels).

    Returns
    -------
    numpy.ndarray
        Shape from the header, dtype from the magic number (uint8 for MNIST-style files).

    Raises
    ------
    ValueError
        Bad magic number, unknown dtype, wrong rank, or a size that does not match the
        header (a truncated or padded file).

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> with open(f, "wb") as fh:
    ...     _ = fh.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 2]))
    >>> read_idx(f).tolist()
    [7, 1, 2]
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:          # includes gzip's BadGzipFile
        raise ValueError(f"{path!r} is not a readable IDX file ({exc})") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise ValueError(f"{path!r} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise ValueError(f"{path!r} has {ndim} dimensions, expected {expected_ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path!r} is truncated inside its header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = np.dtype(_DTYPES[raw[2]])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path!r} has {len(raw)} bytes but its header {shape} implies "
                         f"{expected} (truncated or corrupted)")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
