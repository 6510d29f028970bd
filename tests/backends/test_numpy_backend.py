"""NumPy backend kernels that take a different path from the generic ones: the same values, and where the
rounding differs (BLAS axpy is one fused multiply-add), exactly torch's."""

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


def _fused32(target, x, alpha):
    """float32 ``target + alpha * x`` as a fused multiply-add rounds it: the product is exact in float64."""
    return (target.astype(np.float64) + float(np.float32(alpha)) * x.astype(np.float64)).astype(np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(BIG,), (3, BIG // 3), (100,), (7,)])
def test_add_scaled_fast_path(dtype, shape):
    rng = np.random.default_rng(0)
    target = rng.standard_normal(shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    start, x_before = target.copy(), x.copy()
    CPU._add_scaled_(target, x, -0.01, False)
    assert target.dtype == dtype
    np.testing.assert_array_equal(x, x_before)  # the caller's array (a .grad) is never written
    generic = _generic(start, x, -0.01)
    if dtype == np.float32:
        # each element is p + alpha * x rounded once (BLAS axpy) or twice (the blockwise fallback without SciPy)
        assert np.all((target == _fused32(start, x, -0.01)) | (target == generic))
    # the two roundings of the generic kernel and the single one here differ by at most an ulp of the terms
    bound = 2 * np.finfo(dtype).eps * (np.abs(start) + np.abs(0.01 * x))
    assert np.all(np.abs(target - generic) <= bound)
    if dtype == np.float32 and shape == (BIG,):
        torch = pytest.importorskip("torch")
        t = torch.tensor(start)
        t.add_(torch.tensor(x), alpha=-0.01)  # torch.optim.SGD's update
        np.testing.assert_array_equal(target, t.numpy())


def test_add_scaled_read_only_target_is_not_written():
    target = np.ones(BIG, dtype=np.float32)
    target.flags.writeable = False
    with pytest.raises(ValueError):
        CPU._add_scaled_(target, np.ones(BIG, dtype=np.float32), -0.5, False)
    assert np.all(target == 1)


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


@pytest.mark.parametrize("shape", [(8, 512, 64), (128, 784, 512), (64, 256, 120), (0, 600, 40)])  # (N, K, O)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_kernel_layouts(shape, bias):
    # the transposed-GEMM layout (out_features >= 4 * batch) and the plain one: same values, C-contiguous
    n, k, o = shape
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, k)).astype(np.float32)
    w = rng.standard_normal((o, k)).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32) if bias else None
    out = CPU.linear(x, w, b)
    want = x.astype(np.float64) @ w.T.astype(np.float64) + (0 if b is None else b)
    assert out.shape == (n, o) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("shape", [(5,), (4, 6), (3, 4, 5), (2, 3, 2, 4)])
def test_scatter_add_and_take_along_axis_by_flat_positions(shape):
    # keys of in-bounds index arrays go through flat positions: bit for bit what np.add.at and
    # np.take_along_axis give (same elements, same accumulation order), with repeated indices, broadcast
    # index arrays and broadcast values; other keys take NumPy's own path, errors included
    rng = np.random.default_rng(len(shape))
    nd = len(shape)
    for axis in range(nd):
        idx_shape = shape[:axis] + (7,) + shape[axis + 1 :]
        index = rng.integers(0, shape[axis], idx_shape)
        arr = rng.standard_normal(shape).astype(np.float32)
        np.testing.assert_array_equal(
            CPU.take_along_axis(arr, index, axis), np.take_along_axis(arr, index, axis)
        )
        key = CPU._along_axis(index, axis)  # gather's backward key: aranges broadcast against the index
        for values in (rng.standard_normal(idx_shape).astype(np.float32), np.float32(0.1)):
            got, want = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
            CPU.scatter_add(got, key, values)
            np.add.at(want, key, values)
            np.testing.assert_array_equal(got, want)
    target = np.zeros(shape, np.float64)
    neg = tuple(np.array([-1, 0, -1]) for _ in shape)  # negative indices wrap, as in np.add.at
    CPU.scatter_add(target, neg, 1.0)
    assert target[(-1,) * nd] == 2.0 and target[(0,) * nd] == 1.0
    with pytest.raises(IndexError):
        CPU.scatter_add(target, tuple(np.array([n]) for n in shape), 1.0)
    strided = np.zeros((shape[0], 2 * max(shape)), np.float32)[:, ::2]  # not C-contiguous: np.add.at itself
    CPU.scatter_add(strided, (np.array([0, 0]), np.array([1, 1])), np.float32(1.5))
    assert strided[0, 1] == 3.0
