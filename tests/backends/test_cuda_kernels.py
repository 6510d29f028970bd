"""The CUDA backend's fused kernels against the CPU backend's xp implementations, and kernel vs fallback.

On the stand-in the kernels run their xp fallbacks, so these tests pin the fallbacks to the CPU
semantics; on a GPU the same tests check the compiled kernels, and ``test_kernel_matches_fallback``
(GPU only) checks every kernel against its fallback on real CuPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from devices import device_params

import backends
from backends.cuda import kernels as K

CPU = backends.cpu


@pytest.fixture
def gpu_backend():
    if "cuda" not in device_params():
        pytest.skip("EMBERGRAD_TEST_DEVICES leaves 'cuda' out")
    return backends.get("cuda")


def _up(b, a):
    return b.from_host(np.asarray(a), backends.Device("cuda", 0))


def _down(b, a):
    return b.to_host(a)


def _close(got, want, dtype, what, tight=False):
    tol = (1e-6, 1e-5) if np.dtype(dtype) == np.float32 else (1e-12, 1e-11)
    if tight:
        tol = (tol[0] / 10, tol[1] / 10)
    np.testing.assert_allclose(got, want, atol=tol[0], rtol=tol[1], err_msg=what)


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "softplus", "erf"])
def test_activation_kernels(gpu_backend, name, dtype):
    x = np.concatenate([np.linspace(-30, 30, 61), [-1e4, 1e4, 0.0, -0.0]]).astype(dtype).reshape(5, 13)
    got = getattr(gpu_backend, name)(_up(gpu_backend, x))
    want = getattr(CPU, name)(x)
    assert got.dtype == dtype and got.shape == x.shape
    atol = 2e-7 if name == "erf" else 0  # the stand-in's erf fallback is a 1e-7 approximation
    np.testing.assert_allclose(
        _down(gpu_backend, got), want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=atol
    )
    s = gpu_backend.sigmoid(_up(gpu_backend, x[:, ::2]))  # strided input
    _close(_down(gpu_backend, s), CPU.sigmoid(x[:, ::2]), dtype, "strided sigmoid")


SHAPES = [((4, 7), -1), ((4, 7), 0), ((2, 3, 5), 1), ((3, 1), -1), ((2, 300), 1), ((1, 1030), -1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", SHAPES, ids=str)
def test_softmax_family(gpu_backend, shape, axis, dtype):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    x.flat[0] = 80  # large logits stay finite
    g = rng.standard_normal(shape).astype(dtype)
    b = gpu_backend
    xd, gd = _up(b, x), _up(b, g)
    for name in ("softmax", "log_softmax"):
        y = getattr(b, name)(xd, axis)
        want = getattr(CPU, name)(x, axis)
        assert y.shape == x.shape and y.dtype == dtype
        _close(_down(b, y), want, dtype, name)
        gx = getattr(b, name + "_backward")(gd, y, axis)
        _close(_down(b, gx), getattr(CPU, name + "_backward")(g, want, axis), dtype, name + " backward")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_gradient_kernels(gpu_backend, name, dtype):
    rng = np.random.default_rng(6)
    z = rng.standard_normal((3, 7))
    y = {"sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z), "relu": np.maximum(z, 0)}[name].astype(dtype)
    g = rng.standard_normal((3, 7)).astype(dtype)
    g[0, 0] = np.nan  # NaN gradients propagate as on the CPU
    b = gpu_backend
    got = _down(b, getattr(b, name + "_backward")(_up(b, g), _up(b, y)))
    want = getattr(CPU, name + "_backward")(g, y)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-6, equal_nan=True)


def test_softmax_of_nan_and_inf_rows(gpu_backend):
    x = np.array([[np.nan, 1.0, 2.0], [-np.inf, 0.0, 1.0], [np.inf, 0.0, 1.0]], dtype=np.float32)
    got = _down(gpu_backend, gpu_backend.softmax(_up(gpu_backend, x), 1))
    with np.errstate(all="ignore"):
        want = CPU.softmax(x, 1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(want), rtol=1e-6)


XENT = [
    dict(shape=(6, 5), weight=False, ls=0.0),
    dict(shape=(6, 5), weight=True, ls=0.0),
    dict(shape=(6, 5), weight=False, ls=0.2),
    dict(shape=(6, 5), weight=True, ls=0.1),
    dict(shape=(2, 4, 3, 3), weight=True, ls=0.0),
    dict(shape=(2, 4, 3), weight=False, ls=0.3),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", XENT, ids=lambda c: f"{c['shape']}-w{int(c['weight'])}-ls{c['ls']}")
def test_cross_entropy(gpu_backend, case, dtype):
    rng = np.random.default_rng(2)
    shape = case["shape"]
    c = shape[1]
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    tshape = shape[:1] + shape[2:]
    t = rng.integers(0, c, size=tshape).astype(np.int64)
    t.flat[1] = -100  # ignored
    w = rng.uniform(0.5, 2, size=c).astype(dtype) if case["weight"] else None
    b = gpu_backend
    wd = None if w is None else _up(b, w)
    loss, logp, wt = b.cross_entropy_forward(_up(b, x), _up(b, t), wd, -100, case["ls"])
    l0, p0, w0 = CPU.cross_entropy_forward(x, t, w, -100, case["ls"])
    for got, want, what in ((loss, l0, "loss"), (logp, p0, "logp"), (wt, w0, "weight")):
        assert got.shape == want.shape and got.dtype == want.dtype, what
        _close(_down(b, got), want, dtype, what)
    for g in (np.asarray(0.7, dtype=dtype), rng.standard_normal(tshape).astype(dtype)):
        gx = b.cross_entropy_backward(logp, _up(b, t), wd, wt, -100, case["ls"], _up(b, g))
        want = CPU.cross_entropy_backward(p0, t, w, w0, -100, case["ls"], g)
        assert gx.shape == x.shape
        _close(_down(b, gx), want, dtype, f"grad (upstream shape {g.shape})")


SGD = [
    dict(momentum=0.0),
    dict(momentum=0.0, weight_decay=0.1, maximize=True),
    dict(momentum=0.9),
    dict(momentum=0.9, nesterov=True, weight_decay=0.01),
    dict(momentum=0.8, dampening=0.3, maximize=True),
]


def _state(rng, dtype, n=37):
    return [rng.standard_normal(n).astype(dtype) for _ in range(4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", SGD, ids=str)
def test_sgd_step(gpu_backend, kw, dtype):
    rng = np.random.default_rng(3)
    p, g, buf, _ = _state(rng, dtype)
    b = gpu_backend
    pd, bd = _up(b, p), _up(b, buf)
    for first in (True, False, False):
        gd = _up(b, g)
        mom = kw.get("momentum", 0.0)
        b.sgd_step(pd, gd, bd if mom else None, 0.1, first_step=first, **kw)
        CPU.sgd_step(p, g, buf if mom else None, 0.1, first_step=first, **kw)
        _close(_down(b, pd), p, dtype, "param", tight=True)
        _close(_down(b, bd), buf, dtype, "momentum buffer", tight=True)
        assert np.array_equal(_down(b, gd), g)  # the gradient is never written
        g = rng.standard_normal(g.shape).astype(dtype)


ADAM = [
    dict(),
    dict(weight_decay=0.1),
    dict(weight_decay=0.1, decoupled_weight_decay=True),
    dict(amsgrad=True, maximize=True),
    dict(amsgrad=True, weight_decay=0.05, decoupled_weight_decay=True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", ADAM, ids=str)
@pytest.mark.parametrize("beta1", [0.9, 0.2])  # both branches of lerp_
def test_adam_step(gpu_backend, kw, beta1, dtype):
    rng = np.random.default_rng(4)
    p, g, m, v = _state(rng, dtype)
    v = np.abs(v)
    vmax = v.copy()
    b = gpu_backend
    pd, md, vd, vmd = (_up(b, a) for a in (p, m, v, vmax))
    for step in (1, 2, 3):
        b.adam_step(pd, _up(b, g), md, vd, vmd, step, 1e-2, beta1, 0.999, 1e-8, **kw)
        CPU.adam_step(p, g, m, v, vmax, step, 1e-2, beta1, 0.999, 1e-8, **kw)
        for got, want, what in (
            (pd, p, "param"),
            (md, m, "exp_avg"),
            (vd, v, "exp_avg_sq"),
            (vmd, vmax, "max"),
        ):
            _close(_down(b, got), want, dtype, f"{what} at step {step}", tight=True)
        g = rng.standard_normal(g.shape).astype(dtype)


def test_fused_paths_fall_back_for_other_dtypes(gpu_backend):
    """float16 / non-matching shapes take the generic xp path instead of a kernel."""
    b = gpu_backend
    x = np.linspace(-3, 3, 7).astype(np.float16)
    np.testing.assert_allclose(_down(b, b.sigmoid(_up(b, x))), CPU.sigmoid(x), rtol=1e-3)
    np.testing.assert_allclose(_down(b, b.softmax(_up(b, x), 0)), CPU.softmax(x, 0), rtol=1e-3)
    ix = np.arange(4)
    assert _down(b, b.erf(_up(b, ix))).dtype == ix.dtype


def test_scatter_add_accumulates(gpu_backend):
    b = gpu_backend
    z = _up(b, np.zeros((3, 2), dtype=np.float32))
    b.scatter_add(z, (_up(b, np.array([0, 2, 0, 0])),), _up(b, np.ones((4, 2), dtype=np.float64)))
    assert _down(b, z).tolist() == [[3, 3], [0, 0], [1, 1]]
    m = _up(b, np.zeros(3, dtype=bool))
    b.scatter_add(m, (_up(b, np.array([1, 1])),), True)
    assert _down(b, m).tolist() == [False, True, False]


# ---- every kernel against its own fallback -----------------------------------------------------------


def _args(name: str, xp, dtype):
    """Arguments for kernel ``name`` (inputs, then outputs) on ``xp``, and a raw kernel's grid size (rows)."""
    rng = np.random.default_rng(5)
    sc = np.dtype(dtype).type

    def arr(*shape, positive=False):
        a = rng.standard_normal(shape).astype(dtype)
        return xp.asarray(np.abs(a) if positive else a)

    n = 33
    if name in ("eg_sigmoid", "eg_softplus", "eg_erf"):
        return (arr(4, 9), xp.zeros((4, 9), dtype=dtype)), None
    if name in ("eg_sigmoid_bwd", "eg_tanh_bwd", "eg_relu_bwd"):
        return (arr(4, 9), arr(4, 9), xp.zeros((4, 9), dtype=dtype)), None
    if name == "eg_sgd":
        return (arr(n), -0.1, 0.01, 0, arr(n)), None
    if name == "eg_sgd_momentum":
        return (arr(n), 0.9, 0.7, -0.1, 0.01, 1, 0, 1, 1, arr(n), arr(n)), None
    if name.startswith("eg_adam"):
        scal = (0.99, 0.01, 0.1, 0.9, 1, 0.999, 0.001, 0.05, 1e-8, -0.02, 0, 0)
        outs = (arr(n), arr(n), arr(n, positive=True)) + (
            (arr(n, positive=True),) if "amsgrad" in name else ()
        )
        return (arr(n), *scal, *outs), None
    if name == "eg_xent_bwd":
        r, c = 6, 5
        logp = xp.asarray(np.log(rng.dirichlet(np.ones(c), size=r)).astype(dtype))
        t = xp.asarray(np.array([0, 4, -100, 2, 1, 3]))
        wsum = xp.asarray(np.asarray(2.5, dtype))
        return (
            logp,
            t,
            arr(r),
            arr(r),
            arr(c, positive=True),
            wsum,
            c,
            -100,
            2,
            xp.zeros((r, c), dtype=dtype),
        ), None
    r, c = 5, 300
    s32 = np.int32
    if name.startswith("eg_softmax_bwd"):
        return (arr(r, c), arr(r, c), xp.zeros((r, c), dtype=dtype), s32(r), s32(c), s32(1)), r
    if name.startswith("eg_softmax"):
        return (arr(r, c), xp.zeros((r, c), dtype=dtype), s32(r), s32(c), s32(0)), r
    if name.startswith("eg_xent"):
        t = xp.asarray(np.array([0, 299, -100, 7, 150], dtype=np.int64))
        outs = (xp.zeros((r, c), dtype=dtype), xp.zeros(r, dtype=dtype), xp.zeros(r, dtype=dtype))
        scal = (s32(r), s32(c), np.int64(-100), sc(0.9), sc(0.1 / c), s32(1))
        return (arr(r, c), t, arr(c, positive=True), *outs, *scal), r
    raise KeyError(name)


def _dtype_of(name: str):
    if name.endswith("_f64"):
        return [np.float64]
    if name.endswith("_f32"):
        return [np.float32]
    return DTYPES


_CASES = [(n, d) for n in K.SPECS for d in _dtype_of(n)]


def _run_both(xp, name, dtype):
    spec = K.SPECS[name]
    args, rows = _args(name, xp, dtype)
    if isinstance(spec, K.Raw):
        a1 = tuple(a.copy() if isinstance(a, xp.ndarray) else a for a in args)
        K.get(xp, name)((rows,), (K.BLOCK,), a1)
        a2 = tuple(a.copy() if isinstance(a, xp.ndarray) else a for a in args)
        spec.fallback(xp, *a2)
        return [a for a in a1 if isinstance(a, xp.ndarray)], [a for a in a2 if isinstance(a, xp.ndarray)]
    k_args = tuple(a.copy() if isinstance(a, xp.ndarray) else a for a in args)
    got = K.get(xp, name)(*k_args)
    got = list(got) if isinstance(got, tuple) else [got]
    want = spec.fallback(xp, *args)
    want = list(want) if isinstance(want, tuple) else [want]
    return got, want


def _check_kernel_vs_fallback(xp, name, dtype):
    got, want = _run_both(xp, name, dtype)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = xp.asnumpy(g), xp.asnumpy(w)
        if g.dtype.kind == "f":
            _close(g, w.astype(g.dtype), dtype, name)
        else:
            assert np.array_equal(g, w), name


@pytest.mark.parametrize("name,dtype", _CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_kernel_call_conventions_on_the_standin(name, dtype):
    """Each kernel's arguments pass the stand-in's launch checks, and the stand-in runs its fallback."""
    from backends.cuda.standin import xp

    _check_kernel_vs_fallback(xp, name, dtype)


@pytest.mark.gpu
@pytest.mark.parametrize("name,dtype", _CASES, ids=lambda v: getattr(v, "__name__", str(v)))
def test_kernel_matches_fallback(name, dtype):
    """On a GPU: the compiled kernel and its xp fallback (run on CuPy) agree."""
    import cupy

    _check_kernel_vs_fallback(cupy, name, dtype)
