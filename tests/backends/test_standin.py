"""The strict CuPy stand-in refuses what a GPU array cannot do, and otherwise behaves like CuPy."""

from __future__ import annotations

import gc
import pickle

import numpy as np
import pytest

from backends.cuda.standin import _runtime as rt
from backends.cuda.standin import cupyx, xp
from backends.cuda.standin._registry import FALLBACKS, register_fallback


@pytest.fixture
def two_devices():
    prev = rt.get_device_count()
    rt.set_device_count(2)
    yield
    rt.set_device_count(prev)


def test_implicit_conversion_to_numpy_is_refused():
    a = xp.arange(3, dtype=xp.float32)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.array([a, a])
    # explicit copies are the way out, and Python scalars from one element are allowed (CuPy syncs)
    host = a.get()
    assert type(host) is np.ndarray and host.tolist() == [0, 1, 2]
    assert xp.asnumpy(a).tolist() == [0, 1, 2]
    assert float(a[2]) == 2.0 and int(a.sum()) == 3 and a.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "bad",
    [
        lambda a, h: a + h,
        lambda a, h: h * a,
        lambda a, h: xp.where(a > 0, a, h),
        lambda a, h: xp.maximum(a, h),
        lambda a, h: np.add(h, a),
        lambda a, h: a[h.astype(np.int64)],
        lambda a, h: a.__setitem__(slice(None), h),
        lambda a, h: xp.concatenate([a, h]),
        lambda a, h: cupyx.scatter_add(a, h.astype(np.int64), 1.0),
    ],
)
def test_host_arrays_mixed_into_device_ops_are_refused(bad):
    a = xp.ones(3, dtype=xp.float32)
    h = np.ones(3, dtype=np.float32)
    with pytest.raises(TypeError, match="host NumPy array"):
        bad(a, h)


def test_scalars_mix_and_results_stay_on_the_device():
    a = xp.arange(4, dtype=xp.float32)
    for r in (a * 2, 2.0 - a, a + np.float32(1), np.exp(a), np.sum(a), a.max(), a.mean(axis=0), a[1]):
        assert isinstance(r, xp.ndarray), type(r)
    assert a.sum().shape == ()  # a full reduction is a 0-d array, never a NumPy scalar
    assert (a * 2).dtype == np.float32  # Python scalars are weak, as in CuPy/NumPy 2
    v = a[1]
    v[...] = 7  # CuPy's integer indexing gives a 0-d view
    assert a.tolist() == [0, 7, 2, 3]


def test_views_report_their_owner_as_base():
    a = xp.zeros((2, 3))
    v = a.reshape(3, 2)
    w = v.T
    assert a.base is None and v.base is a and w.base is a
    assert a[xp.asarray([0, 1])].base is None  # advanced indexing copies
    assert xp.ascontiguousarray(w).base is None


@pytest.mark.skipif(not xp._api.cupy(), reason="checks against the installed CuPy's API")
def test_what_cupy_lacks_is_refused():
    with pytest.raises(AttributeError, match="CuPy does not"):
        xp.errstate  # noqa: B018
    with pytest.raises(TypeError, match="sparse"):
        xp.indices((2, 3), sparse=True)
    with pytest.raises(TypeError, match="where"):
        xp.ones(3).sum(where=True)
    with pytest.raises(TypeError, match="does not take"):
        xp.add(xp.ones(2), 1, where=True)
    a = xp.ones((2, 2))
    assert a.sum(axis=0, keepdims=True).shape == (1, 2)  # what CuPy accepts still works


def test_numpy_functions_dispatch_to_the_stand_in():
    a = xp.arange(6).reshape(2, 3)
    c = np.concatenate([a, a])
    assert isinstance(c, xp.ndarray) and c.shape == (4, 3)
    assert isinstance(np.transpose(a), xp.ndarray)


def test_devices_and_the_current_device_rule(two_devices):
    with xp.cuda.Device(1):
        b = xp.ones(3)
    a = xp.ones(3)
    assert a.device.id == 0 and b.device.id == 1
    with pytest.raises(ValueError, match="different from the current device"):
        b + 1  # noqa: B018 - a kernel on device 0 cannot read device 1's array
    with pytest.raises(ValueError, match="different from the current device"):
        xp.add(a, b)
    assert b.reshape(3, 1).device.id == 1  # a view runs no kernel
    with xp.cuda.Device(1):
        assert (b + 1).device.id == 1
    with pytest.raises(rt.CUDARuntimeError, match="invalid device ordinal"):
        xp.cuda.Device(2)


def test_memory_pool_accounting():
    pool = xp.get_default_memory_pool()
    gc.collect()
    pool.free_all_blocks()
    used0, total0 = pool.used_bytes(), pool.total_bytes()
    a = xp.zeros(1000, dtype=xp.float32)  # 4000 bytes -> one 4096-byte block
    assert pool.used_bytes() - used0 == 4096
    v = a[10:20]
    assert pool.used_bytes() - used0 == 4096  # a view allocates nothing
    del a
    assert pool.used_bytes() - used0 == 4096  # the view keeps the block alive
    del v
    assert pool.used_bytes() == used0
    assert pool.total_bytes() - total0 == 4096  # the freed block stays cached ...
    b = xp.ones(1000, dtype=xp.float32)
    assert pool.total_bytes() - total0 == 4096  # ... and is reused
    del b
    pool.free_all_blocks()
    assert pool.total_bytes() == pool.used_bytes() == used0


def test_allocator_hook_sees_every_allocation():
    seen = []
    pool = xp.get_default_memory_pool()

    def alloc(n):
        seen.append(n)
        return pool.malloc(n)

    prev = xp.cuda.get_allocator()
    xp.cuda.set_allocator(alloc)
    try:
        x = xp.ones(10) + 1
    finally:
        xp.cuda.set_allocator(prev)
    assert len(seen) == 2 and x.shape == (10,)


def test_elementwise_kernel_checks_and_runs_the_fallback():
    register_fallback("eg_test_axpy", lambda xp_, a, x, y, out: a * x + y)
    k = xp.ElementwiseKernel("T a, T x, raw T y", "T out", "out = a * x + y[i];", "eg_test_axpy")
    try:
        x = xp.arange(3, dtype=xp.float32)
        out = k(2.0, x, x)
        assert out.dtype == np.float32 and out.tolist() == [0, 3, 6]
        o = xp.zeros(3, dtype=xp.float32)
        assert k(1.0, x, x, o) is o and o.tolist() == [0, 2, 4]  # outputs given: written in place
        with pytest.raises(TypeError, match="Type is mismatched"):
            k(1.0, x, x.astype(xp.float64))
        with pytest.raises(TypeError, match="host NumPy array"):
            k(1.0, x, np.zeros(3, np.float32))
        with pytest.raises(ValueError, match="broadcast"):
            k(1.0, x, x, xp.zeros(4, dtype=xp.float32))
        with pytest.raises(ValueError, match="Out shape is mismatched"):
            k(1.0, x, x, xp.zeros(1, dtype=xp.float32))  # an output cannot be broadcast
        with pytest.raises(TypeError, match="Wrong number of arguments"):
            k(1.0, x)
    finally:
        del FALLBACKS["eg_test_axpy"]
    with pytest.raises(LookupError, match="no registered xp fallback"):
        k(1.0, x, x)


def test_an_unwritten_output_shows_up_as_nan():
    register_fallback("eg_test_lazy", lambda xp_, x, y: y)  # "forgets" to compute y
    try:
        y = xp.ElementwiseKernel("T x", "T y", "", "eg_test_lazy")(xp.ones(2))
        assert np.isnan(y.get()).all()
    finally:
        del FALLBACKS["eg_test_lazy"]


_SRC = 'extern "C" __global__ void eg_test_fill(float* y, const long long* idx, int n, double v) { }'


def test_raw_kernel_checks_arguments_against_the_c_signature():
    def fb(xp_, y, idx, n, v):
        y[idx] = v

    register_fallback("eg_test_fill", fb)
    try:
        k = xp.RawKernel(_SRC, "eg_test_fill")
        y = xp.zeros(4, dtype=xp.float32)
        idx = xp.asarray([1, 3])
        k((1,), (32,), (y, idx, np.int32(2), np.float64(5.0)))
        assert y.tolist() == [0, 5, 0, 5]
        with pytest.raises(TypeError, match="numpy int32 scalar"):
            k((1,), (32,), (y, idx, 2, np.float64(5.0)))  # a Python int travels as 64 bits
        with pytest.raises(TypeError, match="needs float32 data"):
            k((1,), (32,), (y.astype(xp.float64), idx, np.int32(2), np.float64(5.0)))
        with pytest.raises(ValueError, match="non-contiguous"):
            k((1,), (32,), (xp.zeros((4, 2), dtype=xp.float32)[:, 0], idx, np.int32(2), np.float64(5.0)))
        with pytest.raises(ValueError, match="exceed"):
            k((1,), (2048,), (y, idx, np.int32(2), np.float64(5.0)))
        with pytest.raises(TypeError, match="host NumPy array"):
            k((1,), (32,), (y, np.asarray([1]), np.int32(2), np.float64(5.0)))
    finally:
        del FALLBACKS["eg_test_fill"]
    with pytest.raises(ValueError, match='extern "C"'):
        xp.RawKernel("__global__ void eg_test_fill(float* y) {}", "eg_test_fill")


def test_random_state_is_seeded_and_bound_to_its_device(two_devices):
    a = xp.random.RandomState(3).standard_normal((4,), dtype=xp.float32)
    b = xp.random.RandomState(3).standard_normal((4,), dtype=xp.float32)
    assert a.dtype == np.float32 and a.tolist() == b.tolist()
    g = xp.random.RandomState(3)
    with xp.cuda.Device(1), pytest.raises(ValueError, match="created on device 0"):
        g.random_sample((2,))
    with pytest.raises(TypeError, match="float32 or float64"):
        g.random_sample((2,), dtype=xp.int32)


def test_scatter_add_accumulates_repeated_indices():
    z = xp.zeros(3, dtype=xp.float32)
    cupyx.scatter_add(z, xp.asarray([0, 0, 2, 0]), xp.ones(4, dtype=xp.float32))
    assert z.tolist() == [3, 0, 1]
    with pytest.raises(TypeError, match="atomicAdd"):
        cupyx.scatter_add(xp.zeros(3, dtype=bool), xp.asarray([0]), True)


def test_pickle_round_trip_keeps_values_and_device():
    a = xp.arange(3, dtype=xp.float32)
    b = pickle.loads(pickle.dumps(a))
    assert isinstance(b, xp.ndarray) and b.tolist() == [0, 1, 2] and b.device.id == 0


def test_docstring_signatures_with_positional_only_and_escaped_star():
    """CuPy ufunc docstrings read 'sinc(x, /, out=None, \\*, casting=...)': '/' and the escaped star parse."""
    import inspect

    from backends.cuda.standin._cupy_api import _parse_doc_signature

    sig = _parse_doc_signature(
        "sinc(x, /, out=None, \\*, casting='same_kind', dtype=None)\n\nElementwise sinc."
    )
    kinds = {n: p.kind for n, p in sig.parameters.items()}
    assert kinds == {
        "x": inspect.Parameter.POSITIONAL_ONLY,
        "out": inspect.Parameter.POSITIONAL_OR_KEYWORD,
        "casting": inspect.Parameter.KEYWORD_ONLY,
        "dtype": inspect.Parameter.KEYWORD_ONLY,
    }
