"""Reference architectures: the binary MLP and CNN every experiment and tutorial uses.

Binary models keep the customary float first and last layers; the hidden layers compute
with binarized weights and ``Sign`` activations. ``method="float"`` builds the same shape
with float weights and ReLU, the full-precision reference.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._validation import check_int, check_rng
from .layers import (
    BatchNorm1d,
    BatchNorm2d,
    BinaryConv2d,
    BinaryDense,
    Conv2d,
    Dense,
    Flatten,
    MaxPool2d,
    ReLU,
    Sequential,
    Sign,
)


def mlp(method: str = "ste", in_features: int = 64, hidden: Sequence[int] = (256, 256),
        n_classes: int = 10, channel_scale: bool = False, activation: str = "clipped_ste",
        packed_training: bool = True, rng=None) -> Sequential:
    """Binary MLP of widths ``in_features``, ``*hidden``, ``n_classes``: float ends, binary inside.

    Parameters
    ----------
    method : str
        ``"float"`` for the full-precision reference, else a weight quantizer name for the
        hidden ``BinaryDense`` layers (``"ste"``, ``"clipped_ste"``, ...).
    in_features, n_classes : int
    hidden : sequence of int
        Hidden widths; at least two for a binary hidden layer to exist.
    channel_scale : bool
        Per-output-channel scale ``mean|w|`` in the binary layers.
    activation : str
        The ``Sign`` layers' quantizer pair.
    packed_training : bool
        Binary layers compute ±1 training forwards on packed words (bit for bit the
        float results); False keeps the float products.
    rng : None, int or Generator

    Examples
    --------
    >>> model = mlp("ste", rng=0)
    >>> [type(l).__name__ for l in model][:4]
    ['Dense', 'BatchNorm1d', 'Sign', 'BinaryDense']
    """
    g = check_rng(rng)
    sizes = [check_int(in_features, "in_features", minimum=1)]
    sizes += [check_int(h, "hidden", minimum=1) for h in hidden]
    sizes.append(check_int(n_classes, "n_classes", minimum=2))
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        if method == "float" or i == 0 or last:
            layers.append(Dense(a, b, rng=g))
        else:
            layers.append(BinaryDense(a, b, weight_quantizer=method,
                                      channel_scale=channel_scale,
                                      packed_training=packed_training, rng=g))
        if not last:
            layers.append(BatchNorm1d(b))
            layers.append(ReLU() if method == "float" else Sign(activation))
    return Sequential(*layers)


def cnn(method: str = "ste", in_channels: int = 1, image_size: int = 8, n_classes: int = 10,
        channels: tuple[int, int] = (32, 64), channel_scale: bool = False,
        activation: str = "clipped_ste", packed_training: bool = True,
        rng=None) -> Sequential:
    """``Conv(3x3) -> BN -> act -> [Binary]Conv(3x3) -> BN -> act -> MaxPool(2) -> Dense``.

    The first convolution and the classifier are float; the second convolution is binary
    unless ``method="float"``.

    Examples
    --------
    >>> import numpy as np
    >>> model = cnn("ste", rng=0)
    >>> model.forward(np.zeros((2, 1, 8, 8), np.float32)).shape
    (2, 10)
    """
    g = check_rng(rng)
    c1, c2 = (check_int(c, "channels", minimum=1) for c in channels)
    image_size = check_int(image_size, "image_size", minimum=2)
    binary = method != "float"

    def act():
        return Sign(activation) if binary else ReLU()

    conv2 = (BinaryConv2d(c1, c2, 3, padding=1, weight_quantizer=method,
                          channel_scale=channel_scale, packed_training=packed_training,
                          rng=g)
             if binary else Conv2d(c1, c2, 3, padding=1, rng=g))
    side = image_size // 2
    return Sequential(
        Conv2d(check_int(in_channels, "in_channels", minimum=1), c1, 3, padding=1, rng=g),
        BatchNorm2d(c1), act(),
        conv2, BatchNorm2d(c2), act(),
        MaxPool2d(2), Flatten(),
        Dense(c2 * side * side, check_int(n_classes, "n_classes", minimum=2), rng=g),
    )


__all__ = ["cnn", "mlp"]
