"""Operation counts and an energy **proxy** (docs/gft.md, "Operation counts and energy").

The counts are exact: the trainer adds up, per step, the operations the GFT step performs
(the forward counted as packed XNOR-popcount words), and
:func:`ste_step_ops` counts one float training step of a latent-weight STE network of the
same shape. The joules are **a model, not a measurement**: each count is
multiplied by a per-operation energy from Horowitz (ISSCC 2014, 45 nm), several of them
assumed. **Memory traffic is excluded**, which flatters the binary side (its operands are
bits, the STE side moves float32 weights, gradients and Adam moments); that is why the
ratio this proxy gives lies far above the paper's "up to 3x".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from types import MappingProxyType

__all__ = ["ENERGY_PJ", "OpCounts", "gft_layer_ops", "ste_step_ops"]

ENERGY_PJ: Mapping[str, float] = MappingProxyType({
    "bin_word_ops": 0.3,   # ASSUMED: 64-bit XOR + popcount + accumulate, ~3 int32 adds
    "int_add": 0.1,        # Horowitz, int32 add
    "int_cmp": 0.1,        # ASSUMED = int_add
    "int_mul": 3.1,        # Horowitz, int32 mult
    "fp_mac": 4.6,         # fp_add + fp_mul
    "fp_add": 0.9,         # Horowitz, fp32 add
    "fp_mul": 3.7,         # Horowitz, fp32 mult
    "fp_cmp": 0.9,         # ASSUMED = fp_add
    "rng_draws": 0.5,      # ASSUMED
    "param_writes": 0.0,   # memory traffic excluded
})
"""pJ per operation (45 nm). A model: see the module docstring for what it leaves out."""


@dataclass
class OpCounts:
    """Counts of operations by kind (all ints); added fieldwise with ``+``.

    Attributes
    ----------
    bin_word_ops : int
        One 64-bit XOR + popcount + accumulate.
    int_add, int_cmp, int_mul : int
    fp_mac, fp_add, fp_mul, fp_cmp : int
    rng_draws : int
        Random integers drawn (permutation entries count one each).
    param_writes : int
        Parameters written by the update (GFT: accepted flips and bias changes; STE:
        every latent weight, every step).

    Examples
    --------
    >>> a = OpCounts(int_add=10, fp_mac=1) + OpCounts(int_add=5)
    >>> a.int_add, a.energy_pj()
    (15, 6.1)
    """

    bin_word_ops: int = 0
    int_add: int = 0
    int_cmp: int = 0
    int_mul: int = 0
    fp_mac: int = 0
    fp_add: int = 0
    fp_mul: int = 0
    fp_cmp: int = 0
    rng_draws: int = 0
    param_writes: int = 0

    def __add__(self, other: OpCounts) -> OpCounts:
        if not isinstance(other, OpCounts):
            return NotImplemented
        return OpCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                           for f in fields(self)})

    def scaled(self, factor: int) -> OpCounts:
        """Every count times the integer ``factor`` (e.g. one STE step times the steps)."""
        return OpCounts(**{f.name: getattr(self, f.name) * int(factor) for f in fields(self)})

    def energy_pj(self, table: Mapping[str, float] = ENERGY_PJ) -> float:
        """``sum_kind count * table[kind]`` in picojoules: an estimate, not a measurement.

        Raises
        ------
        ValueError
            If ``table`` lacks a kind.
        """
        missing = [f.name for f in fields(self) if f.name not in table]
        if missing:
            raise ValueError(f"table lacks energies for {missing}")
        return math.fsum(getattr(self, f.name) * float(table[f.name]) for f in fields(self))

    def as_dict(self) -> dict:
        """Plain ``{kind: int}``."""
        return {k: int(v) for k, v in asdict(self).items()}


def _selection(n_c: int, n_sel: int) -> tuple[int, int]:
    """(int_cmp, rng_draws) of one top-k + acceptance; nothing when nothing is selected
    (``select_flips`` draws no random number then)."""
    if n_sel == 0:
        return 0, 0
    return n_c + n_sel, n_c + n_sel


def gft_layer_ops(*, batch: int, fan_in: int, fan_out: int, first: bool, last: bool,
                  bias: bool, gate: str, n_error: int, selection: tuple[int, int, int],
                  bias_selection: tuple[int, int, int] = (0, 0, 0)) -> OpCounts:
    """Operations of one GFT step in one layer.

    With ``B = batch``, ``I = fan_in``, ``O = fan_out``, ``nw = ceil(I / 64)`` and
    ``z = n_error = nnz(D^(l))``:

    - forward: ``bin_word_ops += B*O*nw``, ``int_add += B*O*(1 + bias)``, and unless
      ``last`` ``int_cmp += B*O`` (the sign);
    - output error (``last``): ``int_cmp += 2*B*O``;
    - propagation (unless ``first``): ``int_add += z*I``, ``int_cmp += B*I`` (tsign), plus
      ``B*I`` if ``gate != "none"``;
    - vote ``int_add += z*I``, scores ``int_add += O*I``, candidates ``int_cmp += O*I``;
    - selection ``int_cmp += n_c + n_sel`` and ``rng_draws += n_c + n_sel`` (0 if
      ``n_sel == 0``: nothing is drawn); flips ``param_writes += n_acc``;
    - bias (if on): ``int_add += z``, ``int_cmp += O``, the selection terms over the bias
      candidates, and ``param_writes`` += accepted bias changes.

    Parameters
    ----------
    selection, bias_selection : tuple of int
        ``(n_c, n_sel, n_acc)`` of the weights and of the bias.

    Examples
    --------
    >>> ops = gft_layer_ops(batch=2, fan_in=3, fan_out=2, first=True, last=False,
    ...                     bias=False, gate="none", n_error=1, selection=(2, 1, 1))
    >>> ops.bin_word_ops, ops.int_add, ops.int_cmp, ops.rng_draws, ops.param_writes
    (4, 13, 13, 3, 1)
    """
    B, I, O, z = int(batch), int(fan_in), int(fan_out), int(n_error)
    ops = OpCounts(bin_word_ops=B * O * (-(-I // 64)), int_add=B * O * (1 + bool(bias)))
    if not last:
        ops.int_cmp += B * O
    else:
        ops.int_cmp += 2 * B * O
    if not first:
        ops.int_add += z * I
        ops.int_cmp += B * I * (2 if gate != "none" else 1)
    ops.int_add += z * I + O * I
    ops.int_cmp += O * I
    n_c, n_sel, n_acc = selection
    cmp_, draws = _selection(n_c, n_sel)
    ops.int_cmp += cmp_
    ops.rng_draws += draws
    ops.param_writes += int(n_acc)
    if bias:
        n_c, n_sel, n_acc = bias_selection
        cmp_, draws = _selection(n_c, n_sel)
        ops.int_add += z
        ops.int_cmp += O + cmp_
        ops.rng_draws += draws
        ops.param_writes += int(n_acc)
    return ops


def ste_step_ops(sizes: Sequence[int], batch: int, n_classes: int) -> OpCounts:
    """One float training step of a latent-weight STE network of shape ``sizes`` (7.2).

    Per layer (``O x I``): ``fp_mac += 2*B*O*I`` (forward, weight gradient), plus
    ``B*O*I`` after the first layer (input gradient); ``fp_cmp += B*O`` (STE gate)
    ``+ O*I`` (latent clip/sign); Adam ``fp_mul += 6*O*I``, ``fp_add += 4*O*I`` (an
    assumed decomposition); ``param_writes += O*I``. Loss: ``fp_mul += 3*B*C``,
    ``fp_add += 3*B*C``.

    Examples
    --------
    >>> ops = ste_step_ops((3, 2, 2), 2, 2)
    >>> ops.fp_mac, ops.fp_cmp, ops.fp_mul, ops.fp_add, ops.param_writes
    (48, 18, 72, 52, 10)
    """
    B, C = int(batch), int(n_classes)
    ops = OpCounts()
    for layer, (I, O) in enumerate(zip(sizes[:-1], sizes[1:])):
        ops.fp_mac += 2 * B * O * I + (B * O * I if layer else 0)
        ops.fp_cmp += B * O + O * I
        ops.fp_mul += 6 * O * I
        ops.fp_add += 4 * O * I
        ops.param_writes += O * I
    ops.fp_mul += 3 * B * C
    ops.fp_add += 3 * B * C
    return ops
