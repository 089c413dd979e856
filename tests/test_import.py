"""``import bnncore`` is light: no Numba, no scikit-learn until they are needed."""

import importlib.metadata
import subprocess
import sys

import pytest

import bnncore


def _modules_after(code):
    script = f"import sys\n{code}\nprint(','.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    return set(result.stdout.strip().split(","))


def test_import_loads_neither_numba_nor_sklearn():
    modules = _modules_after("import bnncore")
    assert "bnncore" in modules and "bnncore.layers" in modules
    heavy = {m.split(".")[0] for m in modules} & {"numba", "sklearn", "llvmlite"}
    assert not heavy, heavy


def test_load_digits_imports_sklearn_on_demand():
    modules = _modules_after("import bnncore\nbnncore.data.load_digits()")
    assert "sklearn" in {m.split(".")[0] for m in modules}


def test_public_api():
    for name in bnncore.__all__:
        assert hasattr(bnncore, name), name
    assert bnncore.__version__ == importlib.metadata.version("bnncore")
    assert callable(bnncore.fit) and callable(bnncore.evaluate) and callable(bnncore.predict)
    with pytest.raises(AttributeError, match="no attribute 'no_such_attribute'"):
        bnncore.no_such_attribute  # noqa: B018
