"""NumPy backend kernels that take a different path from the generic ones: same results, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

import backends

CPU = backends.get("cpu")
BIG = 2 * CPU._SCALED_CHUNK + 1234  # above the blockwise threshold, with a ragged last block


def _generic(target, x, alpha):
    out = target.copy()
    out += np.multiply(x, alpha)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(BIG,), (3, BIG // 3), (100,)])
def test_add_scaled_blockwise_matches_generic(dtype, shape):
    rng = np.random.default_rng(0)
    target = rng.standard_normal(shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    want = _generic(target, x, -0.01)
    x_before = x.copy()
    CPU._add_scaled_(target, x, -0.01, False)
    assert target.dtype == dtype
    np.testing.assert_array_equal(target, want)
    np.testing.assert_array_equal(x, x_before)  # the caller's array (a .grad) is never written


def test_add_scaled_fallbacks_match_generic():
    rng = np.random.default_rng(1)
    # non-contiguous source (a transposed grad)
    target = rng.standard_normal((400, 500)).astype(np.float32)
    xt = rng.standard_normal((500, 400)).astype(np.float32).T
    want = _generic(target, xt, 0.5)
    CPU._add_scaled_(target, xt, 0.5, False)
    np.testing.assert_array_equal(target, want)
    # source aliasing the target
    a = rng.standard_normal(BIG).astype(np.float32)
    want = a + np.multiply(a, -0.25)
    CPU._add_scaled_(a, a, -0.25, False)
    np.testing.assert_array_equal(a, want)
    # a NumPy scalar alpha keeps NumPy's own promotion
    target = rng.standard_normal(BIG).astype(np.float32)
    x = rng.standard_normal(BIG).astype(np.float32)
    want = _generic(target, x, np.float64(1e-3))
    CPU._add_scaled_(target, x, np.float64(1e-3), False)
    np.testing.assert_array_equal(target, want)
    # an owned source may be scaled in place
    target = rng.standard_normal(BIG).astype(np.float32)
    x = rng.standard_normal(BIG).astype(np.float32)
    want = _generic(target, x, 2.0)
    CPU._add_scaled_(target, x, 2.0, True)
    np.testing.assert_array_equal(target, want)
