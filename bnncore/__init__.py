"""bnncore: Binary Neural Networks, optimized by hand.

An autograd-free NumPy + Numba engine: every layer writes its own backward pass, so you
can read exactly where the gradient of ``sign`` is replaced, and by what.

>>> import bnncore as bc
>>> Xtr, ytr, Xte, yte = bc.data.load_digits()
>>> model = bc.models.mlp("ste", rng=0)
>>> opt = bc.optim.Adam(model.parameters(), lr=1e-2)
>>> history = bc.fit(model, bc.losses.SoftmaxCrossEntropy(), opt, (Xtr, ytr),
...                  epochs=1, progress=False)
>>> 0.0 <= bc.evaluate(model, (Xte, yte))["accuracy"] <= 1.0
True

Importing bnncore compiles nothing: the Numba kernels (``bnncore.kernels``) are imported
on first use and compiled (then cached on disk) on first call.
"""

from importlib import import_module

from . import data, diagnostics, flips, io, layers, losses, models, optim, quantizers, testing
from .history import History
from .params import Parameter
from .train import GradientTrainer, Trainer, evaluate, fit, predict

__version__ = "0.1.0"

_LAZY = {"kernels", "gft", "fsg", "compare"}
_LAZY_NAMES = {"GFTTrainer": "gft", "FullyBinaryMLP": "gft", "FSGTrainer": "fsg"}


def __getattr__(name):
    # Numba-backed subpackages load on first access, keeping `import bnncore` fast.
    if name in _LAZY:
        return import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        return getattr(import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    raise AttributeError(f"module 'bnncore' has no attribute {name!r}")


__all__ = ["GradientTrainer", "History", "Parameter", "Trainer", "data", "diagnostics",
           "evaluate", "fit", "flips", "io", "layers", "losses", "models", "optim", "predict",
           "quantizers", "testing", "__version__"]
