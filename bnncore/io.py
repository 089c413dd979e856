"""Save and load every model bnncore trains, as ``.npz`` files: JSON header + arrays.

Two kinds of model are stored (the header's ``kind``):

- ``"layers"``: a ``Layer`` model (``Sequential`` of float, binary or packed layers; what
  ``fit`` and ``FSGTrainer`` train): the architecture as JSON, parameters and buffers as
  arrays named ``"<path>/<attribute>"``; a packed layer also stores its words, which are
  re-derived from the latent weights on load and compared.
- ``"fully_binary_mlp"``: GFT's ``FullyBinaryMLP`` (``int8`` weights, integer biases), the
  arrays of its ``to_dict()``.

Files are read with ``allow_pickle=False``: loading a model never executes code. A file
that is truncated, corrupted, not a bnncore model, of another kind than ``expected``, or
written by a newer format version raises ``ValueError`` naming it.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from . import layers as _layers
from . import quantizers
from .layers.base import Layer
from .params import Parameter

FORMAT_VERSION = 2          # 2 adds "kind"; version-1 files (layer models) still load
_MAGIC = "bnncore-model"
KINDS = ("layers", "fully_binary_mlp")


def _children(layer: Layer) -> list[Layer]:
    return list(layer.layers) if isinstance(layer, _layers.Sequential) else []


def _describe(layer: Layer) -> dict:
    node = {"type": type(layer).__name__, "config": layer.get_config(),
            "packed": bool(getattr(layer, "packed", False))}
    kids = _children(layer)
    if kids:
        node["layers"] = [_describe(k) for k in kids]
    return node


def _arrays(layer: Layer, prefix: str, out: dict) -> None:
    """Collect parameters and buffers under keys ``"<path>/<attribute>"``."""
    for attr, value in vars(layer).items():
        if isinstance(value, Parameter):
            out[f"{prefix}/{attr}"] = value.data
    for name, value in layer.buffers().items():
        out[f"{prefix}/{name}"] = value
    packed = getattr(layer, "_packed", None)
    if packed is not None:      # a packed binary layer: its uint64 words and true length
        out[f"{prefix}/packed_words"] = packed.bits.words
        out[f"{prefix}/packed_n"] = np.array(packed.bits.n, dtype=np.int64)
    for i, kid in enumerate(_children(layer)):
        _arrays(kid, f"{prefix}.{i}" if prefix else str(i), out)


def _kind_of(model) -> str:
    if isinstance(model, Layer):
        return "layers"
    if type(model).__name__ == "FullyBinaryMLP":
        from .gft.model import FullyBinaryMLP  # GFT's package loads on demand

        if isinstance(model, FullyBinaryMLP):
            return "fully_binary_mlp"
    raise TypeError(f"model must be a bnncore Layer or a FullyBinaryMLP, got "
                    f"{type(model).__name__}")


def save(model, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` (an ``.npz`` file, written exactly at ``path``).

    Parameters
    ----------
    model : Layer or FullyBinaryMLP
        Any model bnncore trains: a ``Sequential`` (float, binary or packed) or GFT's
        ``FullyBinaryMLP``.
    path : str or os.PathLike

    Examples
    --------
    >>> import tempfile, os
    >>> from bnncore.layers import Sequential, Dense
    >>> m = Sequential(Dense(3, 2, rng=0))
    >>> f = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> save(m, f)
    >>> bool((load(f)[0].weight.data == m[0].weight.data).all())
    True
    """
    kind = _kind_of(model)
    header = {"magic": _MAGIC, "version": FORMAT_VERSION, "kind": kind}
    if kind == "layers":
        arrays: dict[str, np.ndarray] = {}
        _arrays(model, "", arrays)
        header["architecture"] = _describe(model)
    else:
        arrays = {key: np.asarray(value) for key, value in model.to_dict().items()}
    with open(path, "wb") as fh:
        np.savez(fh, __header__=np.array(json.dumps(header)), **arrays)


def _build(node: dict, where: str) -> Layer:
    if not isinstance(node, dict):
        raise ValueError(f"layer description at {where or 'root'} is not an object")
    cls = getattr(_layers, str(node.get("type", "")), None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"unknown layer type {node.get('type')!r} at {where or 'root'}")
    if "layers" in node:
        return cls(*[_build(k, f"{where}.{i}" if where else str(i))
                     for i, k in enumerate(node["layers"])])
    config = dict(node["config"])
    params = config.pop("quantizer_params", {})
    for key in ("weight_quantizer", "quantizer"):
        if key in config:
            config[key] = quantizers.get(config[key], **params)
    return cls(**config)


def load(path: str | os.PathLike, expected: type | None = None):
    """Read a model written by ``save``.

    Parameters
    ----------
    path : str or os.PathLike
    expected : type, optional
        The class the caller expects (e.g. ``Sequential`` or ``FullyBinaryMLP``); a file
        holding another kind of model is refused.

    Returns
    -------
    Layer or FullyBinaryMLP
        Predictions equal those of the saved model.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a readable bnncore model (truncated, corrupted, foreign, of a
        newer or unknown format version, or not an ``expected`` model); the message names
        the file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, NotImplementedError,
            RuntimeError) as exc:
        raise ValueError(f"{path!r} is not a readable bnncore model file ({exc})") from exc
    try:
        header = json.loads(str(arrays.pop("__header__")))
        if not isinstance(header, dict) or header.get("magic") != _MAGIC:
            raise ValueError("missing bnncore header")
        version = header.get("version")
        if isinstance(version, int) and not isinstance(version, bool) and \
                version > FORMAT_VERSION:
            raise ValueError(f"it was written by a newer bnncore (format version {version}); "
                             f"this bnncore reads versions 1 to {FORMAT_VERSION}: upgrade it")
        if version not in (1, FORMAT_VERSION):
            raise ValueError(f"format version {version!r} is not supported "
                             f"(this bnncore reads versions 1 to {FORMAT_VERSION})")
        kind = header.get("kind", "layers")
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind!r} (known: {', '.join(KINDS)})")
        if kind == "fully_binary_mlp":
            model = _load_fully_binary_mlp(arrays)
        else:
            model = _load_layers(header["architecture"], arrays)
        if expected is not None and not isinstance(model, expected):
            raise ValueError(f"it holds a {type(model).__name__} ({kind!r} model), "
                             f"not a {expected.__name__}")
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path!r} is not a valid bnncore model file: {exc}") from exc
    return model


def _load_layers(architecture: dict, arrays: dict) -> Layer:
    model = _build(architecture, "")
    _restore(model, "", arrays)
    _repack(model, architecture)   # re-derives packed words from the latents
    stored: dict[str, np.ndarray] = {}
    _arrays(model, "", stored)
    if set(stored) != set(arrays):
        missing, extra = set(stored) - set(arrays), set(arrays) - set(stored)
        raise ValueError(f"arrays do not match the architecture (missing {sorted(missing)}, "
                         f"unexpected {sorted(extra)})")
    for key in stored:
        if key.endswith(("/packed_words", "/packed_n")) and not np.array_equal(
                stored[key], arrays[key]):
            raise ValueError(f"packed array {key} does not match the stored weights")
    return model


def _load_fully_binary_mlp(arrays: dict):
    from .gft.model import FullyBinaryMLP

    return FullyBinaryMLP.from_dict(arrays)


def _repack(layer: Layer, node: dict) -> None:
    if node.get("packed"):
        layer.pack()
        return
    for kid, kid_node in zip(_children(layer), node.get("layers", [])):
        _repack(kid, kid_node)


def _restore(layer: Layer, prefix: str, arrays: dict) -> None:
    for attr, value in vars(layer).items():
        if isinstance(value, Parameter):
            key = f"{prefix}/{attr}"
            if key not in arrays:
                raise ValueError(f"array {key} is missing")
            new = arrays[key]
            if new.shape != value.data.shape or new.dtype.kind != "f":
                raise ValueError(f"array {prefix}/{attr} has shape {new.shape} and dtype "
                                 f"{new.dtype}, expected {value.data.shape} float")
            value.data = new.copy()
            value.grad = np.zeros_like(value.data)
    for name, value in layer.buffers().items():
        key = f"{prefix}/{name}"
        if key not in arrays:
            raise ValueError(f"array {key} is missing")
        new = arrays[key]
        if new.shape != value.shape:
            raise ValueError(f"array {prefix}/{name} has shape {new.shape}, expected {value.shape}")
        layer.set_buffer(name, new.copy())
    for i, kid in enumerate(_children(layer)):
        _restore(kid, f"{prefix}.{i}" if prefix else str(i), arrays)


__all__ = ["FORMAT_VERSION", "KINDS", "load", "save"]
