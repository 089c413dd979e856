"""Executable theory for bnncore: checkers and experiments that import ``bnncore``.

``bnncore`` never imports ``theory``. Submodules load on first access
(``theory.decomposition``, the PC++ Corollary-1 checker, ...), so ``import theory`` is cheap.
"""

from importlib import import_module


def __getattr__(name: str):
    if name.startswith("_"):
        raise AttributeError(f"module 'theory' has no attribute {name!r}")
    try:
        return import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module 'theory' has no attribute {name!r}") from None
