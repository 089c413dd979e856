"""Parameter: data, gradient, name, quantizer."""

import numpy as np
import pytest

from bnncore import Parameter, quantizers


def test_parameter_basics():
    p = Parameter(np.ones((2, 3), np.float32), name="weight")
    assert p.shape == (2, 3) and p.size == 6 and p.quantizer is None
    assert p.grad.dtype == np.float32 and not p.grad.any()
    p.grad += 2
    p.zero_grad()
    assert not p.grad.any()
    p.astype(np.float64)
    assert p.data.dtype == p.grad.dtype == np.float64
    assert repr(p) == "Parameter(name='weight', shape=(2, 3), dtype=float64)"
    q = Parameter(np.zeros(2), "w", quantizer=quantizers.get("bnn"))
    assert repr(q).endswith("quantizer='bnn')")


@pytest.mark.parametrize("bad", [np.arange(3), np.array([True]), np.array(["a"])])
def test_parameter_needs_float_data(bad):
    with pytest.raises(TypeError, match="Parameter data must be a float array"):
        Parameter(bad)
