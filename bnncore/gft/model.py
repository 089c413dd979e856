"""``FullyBinaryMLP``: a network whose only state is ±1 weights (docs/gft.md, "The model").

No latent floats, no gradients: ``weights[l]`` is an ``int8`` ±1 matrix ``W^(l)`` of shape
``(O_l, I_l)``, the optional ``biases[l]`` are ``int32`` thresholds. All integer::

    v^(l) = x^(l-1) W^(l)T + b^(l)       int32 (B, O_l)
    x^(l) = sign(v^(l))                  int8, for l < L (sign(0) = +1)

and the output scores ``v^(L)`` get no activation. ``packed=True`` computes each product
with the XNOR-popcount kernel ``bnncore.kernels.bgemm``, ``packed=False`` with the
``int32`` reference: the same integers exactly. ``model.packed`` (``pack()``/``unpack()``)
is the path used when a call does not say. The weight arrays are **read-only** (a packed
copy of each must never go stale): change them with :meth:`FullyBinaryMLP.flip` (which
XORs the packed bits) or by assigning a new array to ``model.weights[l]`` (validated and
repacked on next use).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_array, check_int, check_pm1, check_rng
from ..kernels import PackedBits, bgemm, pack_bits
from .packed import flip_bits_packed
from .rule import sign

__all__ = ["FullyBinaryMLP", "binarize", "check_binary_input"]

OUTPUTS = ("multiclass", "binary")
_FORMAT = "bnncore-gft-mlp"
_FORMAT_VERSION = 2       # 2 added "packed"; version 1 files still load


def binarize(x: object, threshold: float = 0.5) -> np.ndarray:
    """``+1 where x >= threshold, else -1``, as ``int8``: real data to GFT inputs.

    For ``bnncore.data.load_digits()`` (pixels divided by 16) the standard threshold is
    0.5, i.e. a raw pixel >= 8 (docs/gft.md, "The model").

    Examples
    --------
    >>> binarize([[0.0, 0.5, 0.9]]).tolist()
    [[-1, 1, 1]]
    """
    x = check_array(x, "x", dtype="numeric", allow_empty=True)
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"threshold must be a real number, got {threshold!r}")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold}")
    return np.where(x >= threshold, np.int8(1), np.int8(-1))


def check_binary_input(x: object, n_features: int, name: str = "x") -> np.ndarray:
    """Validate a ±1 batch for a model with ``n_features`` inputs; return it as int8 (B, I).

    Any integer dtype, or floats exactly ±1; a 1-D ``x`` is a batch of one. A 0, a 2, 0.5
    or NaN raises ``ValueError`` naming ``name``, the value and its position; a ``bool``
    array raises ``TypeError`` (use ``2 * b - 1``).

    Examples
    --------
    >>> check_binary_input([1.0, -1.0], 2).tolist()
    [[1, -1]]
    """
    x = check_array(x, name, ndim=(1, 2), dtype="numeric", finite=False)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    if x.shape[1] != n_features:
        raise ValueError(f"{name} has {x.shape[1]} features, the model expects {n_features}")
    if x.dtype != np.int8:
        x = check_pm1(x, name).astype(np.int8)
    else:
        check_pm1(x, name)
    return x


def _check_sizes(sizes: object) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a sequence of ints, got {sizes!r}")
    sizes = tuple(check_int(s, "sizes", minimum=1) for s in sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes must hold at least an input and an output size, got {sizes}")
    return sizes


def _own_readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True, order="C")
    a.flags.writeable = False
    return a


class FullyBinaryMLP:
    """A fully binary MLP: ±1 ``int8`` weights, ``sign`` activations, integer thresholds.

    Parameters
    ----------
    sizes : sequence of int
        ``(I_1, O_1, ..., O_L)``, at least two entries, all >= 1.
    output : {"multiclass", "binary"}
        ``"multiclass"``: ``O_L >= 2`` scores, labels ``0..O_L-1``, prediction ``argmax``
        (a tie goes to the lowest index). ``"binary"``: ``O_L == 1``, labels ±1,
        prediction ``sign(v[:, 0])`` (a score of 0 predicts +1).
    bias : bool
        Add an integer threshold ``b^(l)`` (``int32``, starts at 0) to every layer. The
        paper's "optional integer threshold"; this form is reconstructed.
    rng : None, int or numpy.random.Generator
        ``g = default_rng(rng)``; ``W^(l) = 2 * g.integers(0, 2, (O_l, I_l)) - 1`` for
        ``l = 1..L`` in order. None draws fresh entropy.

    Attributes
    ----------
    sizes : tuple of int
    output : str
    weights : list of numpy.ndarray
        ``W^(l)``, read-only ``int8`` ``(O_l, I_l)``, entries ±1.
    biases : list of numpy.ndarray or None
        ``b^(l)``, read-only ``int32`` ``(O_l,)``; None without ``bias``.
    packed : bool
        The default path of ``forward``/``predict`` (True: XNOR-popcount).

    Examples
    --------
    >>> net = FullyBinaryMLP((4, 3, 2), rng=0)
    >>> [w.shape for w in net.weights], net.weights[0].dtype
    ([(3, 4), (2, 3)], dtype('int8'))
    >>> x = np.array([[1, -1, 1, 1]])
    >>> bool((net.forward(x) == net.forward(x, packed=False)).all())
    True
    >>> net.predict(x).shape
    (1,)
    """

    def __init__(self, sizes, *, output: str = "multiclass", bias: bool = False,
                 rng=None) -> None:
        self.sizes = _check_sizes(sizes)
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if output == "multiclass" and self.sizes[-1] < 2:
            raise ValueError(f"output='multiclass' needs at least 2 outputs, sizes ends with "
                             f"{self.sizes[-1]} (use output='binary' for one)")
        if output == "binary" and self.sizes[-1] != 1:
            raise ValueError(f"output='binary' needs exactly 1 output, sizes ends with "
                             f"{self.sizes[-1]}")
        self.output = output
        g = check_rng(rng)
        self.weights = [
            _own_readonly((2 * g.integers(0, 2, size=(o, i)) - 1).astype(np.int8))
            for i, o in zip(self.sizes[:-1], self.sizes[1:])
        ]
        self.biases = ([_own_readonly(np.zeros(o, np.int32)) for o in self.sizes[1:]]
                       if bias else None)
        self.packed = True
        self._packed: list[tuple[np.ndarray, PackedBits] | None] = [None] * self.n_layers

    # -- structure ---------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        """``L``, the number of weight layers."""
        return len(self.sizes) - 1

    @property
    def bias(self) -> bool:
        """Whether the layers have integer thresholds."""
        return self.biases is not None

    def n_weights(self) -> int:
        """Total number of binary weights ``sum_l O_l * I_l``."""
        return sum(i * o for i, o in zip(self.sizes[:-1], self.sizes[1:]))

    def nbytes(self, packed: bool) -> int:
        """Bytes of the weights (and biases, as int32): 64-bit words if ``packed``, else float32.

        Examples
        --------
        >>> net = FullyBinaryMLP((64, 256, 10), rng=0)
        >>> net.nbytes(True), net.nbytes(False)        # 2.3 KiB packed, 4 B per weight
        (2368, 75776)
        """
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        n = (sum(o * -(-i // 64) * 8 for i, o in pairs) if packed else 4 * self.n_weights())
        return n + (4 * sum(self.sizes[1:]) if self.bias else 0)

    def pack(self) -> FullyBinaryMLP:
        """Make XNOR-popcount the default path (``packed = True``); return self."""
        self.packed = True
        return self

    def unpack(self) -> FullyBinaryMLP:
        """Make the int32 reference the default path (``packed = False``); return self."""
        self.packed = False
        return self

    def binary_weights(self) -> list[tuple[str, np.ndarray]]:
        """``[("weights.0", W^(1)), ...]``: the current ``int8`` arrays (``bnncore.flips``).

        Examples
        --------
        >>> [(n, w.shape) for n, w in FullyBinaryMLP((3, 2, 2), rng=0).binary_weights()]
        [('weights.0', (2, 3)), ('weights.1', (2, 2))]
        """
        return [(f"weights.{layer}", self._weight(layer)) for layer in range(self.n_layers)]

    def __repr__(self) -> str:
        return (f"FullyBinaryMLP(sizes={self.sizes}, output={self.output!r}, "
                f"bias={self.bias}, packed={self.packed})")

    # -- weights and the packed cache --------------------------------------------------
    def _weight(self, layer: int) -> np.ndarray:
        """``weights[layer]``, adopting (validating, copying read-only) a newly assigned array."""
        W = self.weights[layer]
        entry = self._packed[layer]
        if entry is not None and entry[0] is W:
            return W
        shape = (self.sizes[layer + 1], self.sizes[layer])
        W = check_array(W, f"weights[{layer}]", ndim=2, dtype="numeric", finite=False)
        if W.shape != shape:
            raise ValueError(f"weights[{layer}] must have shape {shape}, got {W.shape}")
        W = _own_readonly(check_pm1(W, f"weights[{layer}]").astype(np.int8))
        self.weights[layer] = W
        self._packed[layer] = (W, pack_bits(W, name=f"weights[{layer}]"))
        return W

    def packed_weights(self, layer: int) -> PackedBits:
        """The cached packed rows of ``W^(layer)`` (0-based), built on first use."""
        self._weight(layer)
        return self._packed[layer][1]

    def flip(self, layer: int, flat_idx: np.ndarray) -> None:
        """Negate ``W^(layer)`` (0-based) at C-order flat indices ``o * I + i``, in place.

        The packed cache is updated by XOR (:func:`flip_bits_packed`), not rebuilt.

        Examples
        --------
        >>> net = FullyBinaryMLP((2, 2), rng=0)
        >>> before = net.weights[0].copy()
        >>> net.flip(0, np.array([3]))
        >>> int(net.weights[0][1, 1]) == -int(before[1, 1])
        True
        """
        W = self._weight(layer)
        flat_idx = np.asarray(flat_idx, dtype=np.int64)
        if flat_idx.size == 0:
            return
        flip_bits_packed(self._packed[layer][1], flat_idx, W.shape[1])
        W.flags.writeable = True
        try:
            W.reshape(-1)[flat_idx] *= -1
        finally:
            W.flags.writeable = False

    def add_bias(self, layer: int, index: np.ndarray, delta: np.ndarray) -> None:
        """``b^(layer)[index] += delta`` (0-based layer); the arrays stay read-only."""
        if self.biases is None:
            raise ValueError("the model has no biases (bias=False)")
        b = np.array(self.biases[layer], dtype=np.int32, copy=True)
        np.add.at(b, np.asarray(index, dtype=np.int64), np.asarray(delta, dtype=np.int32))
        self.biases[layer] = _own_readonly(b)

    # -- forward -----------------------------------------------------------------------
    def _product(self, layer: int, x: np.ndarray, packed: bool) -> np.ndarray:
        """``x W^T`` for int8 ±1 ``x`` (B, I): XNOR-popcount, or the int32 reference."""
        W = self._weight(layer)
        if packed:
            return bgemm(pack_bits(x, name="x"), self._packed[layer][1])
        # int8 @ int8 would compute in int8 and overflow silently: cast first.
        return x.astype(np.int32) @ W.T.astype(np.int32)

    def forward_all(self, x: object, *, packed: bool | None = None,
                    validate: bool = True) -> tuple[list, list]:
        """Every layer's input and pre-activation: what one GFT step reads.

        ``x``: ±1, (B, I_1) or (I_1,) (:func:`check_binary_input`). ``packed``: None means
        ``self.packed``. ``validate=False`` skips the input check (the trainer's fast
        path): ``x`` must then already be the ``int8`` (B, I_1) ±1 array that
        :func:`check_binary_input` returns.

        Returns
        -------
        xs : list of numpy.ndarray of int8
            ``[x^(0), ..., x^(L-1)]``, ``x^(l)`` of shape ``(B, I_(l+1))``.
        vs : list of numpy.ndarray of int32
            ``[v^(1), ..., v^(L)]``, ``v^(l)`` of shape ``(B, O_l)``.

        Examples
        --------
        >>> xs, vs = FullyBinaryMLP((3, 2, 2), rng=0).forward_all(np.ones(3))
        >>> [a.dtype.name for a in xs], [a.dtype.name for a in vs]
        (['int8', 'int8'], ['int32', 'int32'])
        """
        packed = self.packed if packed is None else bool(packed)
        xs, vs = [check_binary_input(x, self.sizes[0]) if validate else x], []
        for layer in range(self.n_layers):
            v = self._product(layer, xs[-1], packed)
            if self.biases is not None:
                v += self.biases[layer]
            vs.append(v)
            if layer < self.n_layers - 1:
                xs.append(sign(v))
        return xs, vs

    def forward(self, x: object, training: bool = False, *,
                packed: bool | None = None) -> np.ndarray:
        """Output scores ``v^(L)``, ``int32`` ``(B, O_L)`` (no activation on them).

        ``training`` is accepted and ignored (the model has one mode), so that
        ``bnncore.predict(model, X)`` works; ``packed=None`` means ``self.packed``.
        """
        return self.forward_all(x, packed=packed)[1][-1]

    def predict_scores(self, scores: np.ndarray) -> np.ndarray:
        """Labels from output scores: ``argmax`` (multiclass) or ``sign(v[:, 0])`` (binary)."""
        if self.output == "binary":
            return sign(scores[:, 0]).astype(np.int64)
        return np.argmax(scores, axis=1)

    def predict(self, x: object, *, packed: bool | None = None) -> np.ndarray:
        """Predicted labels, ``int64`` ``(B,)``: classes ``0..O_L-1`` or ±1 (binary).

        Examples
        --------
        >>> net = FullyBinaryMLP((1, 1), output="binary", rng=0)
        >>> net.predict(np.array([[1], [-1]])).tolist()   # scores w and -w, one is 0 or +
        [1, -1]
        """
        return self.predict_scores(self.forward(x, packed=packed))

    # -- copies and serialisation --------------------------------------------------------
    def copy(self) -> FullyBinaryMLP:
        """An independent deep copy (weights, biases, output mode, ``packed``)."""
        return FullyBinaryMLP.from_dict(self.to_dict())

    def to_dict(self) -> dict:
        """Plain arrays for ``np.savez`` (read back with ``allow_pickle=False``).

        Keys: ``format``, ``version``, ``sizes``, ``output``, ``bias``, ``packed``,
        ``W0..W{L-1}`` (int8) and, with biases, ``b0..b{L-1}`` (int32).

        Examples
        --------
        >>> import io
        >>> net = FullyBinaryMLP((5, 3, 2), bias=True, rng=1)
        >>> buf = io.BytesIO(); np.savez(buf, **net.to_dict()); _ = buf.seek(0)
        >>> back = FullyBinaryMLP.from_dict(np.load(buf, allow_pickle=False))
        >>> all((a == b).all() for a, b in zip(back.weights, net.weights))
        True
        """
        d = {"format": np.array(_FORMAT), "version": np.array(_FORMAT_VERSION),
             "sizes": np.array(self.sizes, dtype=np.int64), "output": np.array(self.output),
             "bias": np.array(self.bias), "packed": np.array(self.packed)}
        for layer in range(self.n_layers):
            d[f"W{layer}"] = np.array(self._weight(layer))
            if self.biases is not None:
                d[f"b{layer}"] = np.array(self.biases[layer])
        return d

    @classmethod
    def from_dict(cls, d) -> FullyBinaryMLP:
        """Rebuild a model from :meth:`to_dict` output (a dict or an ``NpzFile``), exactly.

        Raises
        ------
        ValueError
            Naming the field: a missing key, a foreign format or unknown version, a wrong
            dtype (``sizes``, ``W*``, ``b*`` integer; ``bias``, ``packed`` bool; ``format``,
            ``output`` str) or shape, weights not ±1, a bias outside ``[-I_l, I_l]``.
        """
        def get(key: str, kinds: str, shape: tuple | None = ()) -> np.ndarray:
            try:
                a = np.asarray(d[key])
            except KeyError:
                raise ValueError(f"model dictionary lacks key {key!r}") from None
            if a.dtype.kind not in kinds or (shape is not None and a.shape != shape):
                raise ValueError(f"{key} has dtype {a.dtype} and shape {a.shape}; expected "
                                 f"dtype kind {kinds!r} and shape {shape}")
            return a

        if str(get("format", "U")) != _FORMAT:
            raise ValueError(f"format is {str(d['format'])!r}, not {_FORMAT!r}")
        version = int(get("version", "iu"))
        if version not in (1, _FORMAT_VERSION):
            raise ValueError(f"version {version} is not supported (this bnncore reads 1 and "
                             f"{_FORMAT_VERSION})")
        sizes = tuple(int(s) for s in get("sizes", "iu", None).ravel())
        model = cls(sizes, output=str(get("output", "U")), bias=bool(get("bias", "b")), rng=0)
        model.packed = bool(get("packed", "b")) if version >= 2 else True
        for layer in range(model.n_layers):
            W = get(f"W{layer}", "iu", (sizes[layer + 1], sizes[layer]))
            model.weights[layer] = check_pm1(W, f"W{layer}").astype(np.int8)
            model._weight(layer)  # adopt read-only and repack
            if model.biases is not None:
                b = get(f"b{layer}", "iu", (sizes[layer + 1],)).astype(np.int64)
                if np.abs(b).max(initial=0) > sizes[layer]:
                    raise ValueError(f"b{layer} must lie in [-{sizes[layer]}, {sizes[layer]}]")
                model.biases[layer] = _own_readonly(b.astype(np.int32))
        return model
