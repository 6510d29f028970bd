"""Real CuPy against the CPU backend: ops, a training run, the memory pool, transfers.

Each check is a plain function of a CUDA device name. The ``gpu``-marked tests run them on real
CuPy (even where the stand-in is switched on) and are skipped without a GPU; the unmarked twins
run the same checks on whatever 'cuda' is here, so the checks themselves are exercised everywhere
(the training run's twin is tests/backends/test_cuda_training.py).
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
from devices import device_params
from test_cuda_training import test_memory_pool_stays_flat as _memory_flat
from test_cuda_training import train

import autograd as A
import nn
from backends import cuda as bcuda

F = nn.functional


@pytest.fixture
def cuda() -> str:
    if "cuda" not in device_params():
        pytest.skip("EMBERGRAD_TEST_DEVICES leaves 'cuda' out")
    return "cuda"


@pytest.fixture
def real_cuda(monkeypatch) -> str:
    """'cuda' on real CuPy for the duration of the test (the stand-in switched off)."""
    monkeypatch.setitem(bcuda._state, "standin", False)
    assert bcuda.has_gpu()
    return "cuda"


def _idx(*shape: int, high: int) -> np.ndarray:
    return np.random.default_rng(9).integers(0, high, size=shape)


# name -> (input shapes or int arrays, fn); floats get gradients, int arrays are indices
OPS = {
    "arith": ([(3, 4), (4,)], lambda a, b: (a * b + a / (b.abs() + 1) - b) ** 2),
    "unary": (
        [(3, 5)],
        lambda a: a.exp() + (a.abs() + 0.1).log() + a.sin() + a.tanh() + a.sigmoid() + a.erf(),
    ),
    "softplus_relu": ([(3, 5)], lambda a: A.softplus(a) + a.relu() + a.clamp(-0.5, 0.5)),
    "reductions": ([(3, 4, 5)], lambda a: a.sum(1) + a.mean(2).unsqueeze(1).sum(2) + a.amax(1).sum(0)),
    "max_dim": ([(4, 6)], lambda a: a.max(1)[0] * 2 + a.logsumexp(1) + a.var(1) + a.cumsum(1)[:, -1]),
    "matmul": ([(2, 3, 4), (4, 5)], lambda a, b: a @ b),
    "bmm": ([(2, 3, 4), (2, 4, 2)], lambda a, b: A.bmm(a, b)),
    "gather": ([(4, 5), _idx(4, 3, high=5)], lambda a, i: a.gather(1, i)),
    "getitem_repeat": ([(5, 3), _idx(8, high=5)], lambda a, i: a[i] * 2),
    "index_select": ([(5, 3), _idx(4, high=5)], lambda a, i: a.index_select(0, i)),
    "shape": (
        [(2, 3, 4)],
        lambda a: A.cat([a.permute(2, 0, 1).flip(0).reshape(4, 6), a.reshape(4, 6)], 0).t(),
    ),
    "where_masked": ([(3, 4), (3, 4)], lambda a, b: A.where(a > b, a, b).masked_fill(a < -1, 0.0)),
    "softmax": ([(3, 7)], lambda a: F.softmax(a, dim=1) * F.log_softmax(a, dim=0)),
    "cross_entropy": (
        [(6, 5), _idx(6, high=5)],
        lambda a, t: F.cross_entropy(a, t, label_smoothing=0.1) + F.nll_loss(F.log_softmax(a, 1), t),
    ),
    "conv_pool": (
        [(2, 3, 8, 8), (4, 3, 3, 3), (4,)],
        lambda x, w, b: (
            F.max_pool2d(F.conv2d(x, w, b, padding=1), 2)
            + F.avg_pool2d(F.conv2d(x, w, stride=2, padding=1), 1)
        ),
    ),
    "norms": ([(4, 6)], lambda a: F.layer_norm(a, (6,)) + F.gelu(a) + F.silu(a)),
    "losses": (
        [(4, 3), (4, 3)],
        lambda a, b: F.mse_loss(a, b) + F.binary_cross_entropy_with_logits(a, b.sigmoid()),
    ),
    "embedding": ([(7, 3), _idx(2, 4, high=7)], lambda w, i: F.embedding(i, w) * 3),
    # added later: views and in-place writes through them, the extra math/index/reduce ops, 3-d conv
    "view_writes": ([(3, 4), (2, 2)], lambda a, b: _view_writes(a, b)),
    "math_extra": (
        [(3, 4), (3, 4)],
        lambda a, b: A.atan2(a, b) + A.hypot(a, b) + A.logaddexp(a, b) + a.sinc() + (a.sigmoid()).logit(),
    ),
    "index_extra": (
        [(5, 3), (4, 3), _idx(4, high=5)],
        lambda a, s, i: a.index_add(0, i, s) + a.scatter_reduce(0, i[:, None].expand(4, 3), s, "amax"),
    ),
    "reduce_extra": (
        [(4, 6)],
        lambda a: a.median(1)[0] + a.logcumsumexp(1)[:, -1] + a.cummax(1)[0].sum(1) + a.quantile(0.3, 1),
    ),
    "strided_views": ([(2, 8)], lambda a: a.unfold(1, 3, 2).sum(-1) * 2 + a.diagonal(0, 0, 1).sum()),
    "conv3d_pool3d": (
        [(1, 2, 4, 5, 5), (3, 2, 2, 3, 3)],
        lambda x, w: F.max_pool3d(F.conv3d(x, w, padding=1), 2) + F.avg_pool3d(F.conv3d(x, w), 1).mean(),
    ),
    "embedding_bag": ([(7, 3), _idx(2, 4, high=7)], lambda w, i: F.embedding_bag(i, w, mode="max") * 2),
}


def _view_writes(a, b):
    y = a * 1
    y[1:3, ::2].mul_(b)
    v = y.t()[1]
    y.add_(1)
    return y * v.sum()


def ops_match_cpu(device: str, name: str) -> None:
    """Forward values and input gradients of OPS[name] on ``device`` equal the CPU's (float64)."""
    shapes, fn = OPS[name]
    rng = np.random.default_rng(0)
    arrays = [s if isinstance(s, np.ndarray) else rng.standard_normal(s) for s in shapes]
    results = {}
    for dev in ("cpu", device):
        xs = [
            A.tensor(a, dtype=A.float64, device=dev, requires_grad=True)
            if a.dtype.kind == "f"
            else A.tensor(a, device=dev)
            for a in arrays
        ]
        out = fn(*xs)
        assert out.device.type == ("cpu" if dev == "cpu" else "cuda"), f"{name}: output on {out.device}"
        out.backward(A.ones_like(out))
        results[dev] = (out.detach().cpu().numpy(), [x.grad.cpu().numpy() for x in xs if x.requires_grad])
    (oc, gc_), (og, gg) = results["cpu"], results[device]
    np.testing.assert_allclose(og, oc, rtol=1e-9, atol=1e-11, err_msg=f"{name}: forward")
    for i, (a, b) in enumerate(zip(gg, gc_)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=f"{name}: grad of input {i}")


def training_matches_cpu(device: str) -> None:
    # SGD, not Adam: Adam turns the rounding noise of an exactly-zero gradient (the conv bias before
    # BatchNorm) into full-size steps, so GPU and CPU weights would differ there by design
    lc, wc, _ = train("cpu", "cnn", "sgd", 10)
    lg, wg, _ = train(device, "cnn", "sgd", 10)
    np.testing.assert_allclose(lg, lc, rtol=2e-4, atol=2e-5)
    for k, v in wc["final"].items():
        np.testing.assert_allclose(wg["final"][k], v, rtol=1e-3, atol=1e-4, err_msg=k)


def transfers_round_trip(device: str) -> None:
    rng = np.random.default_rng(1)
    for dt in (A.float32, A.float64, A.float16, A.int64, A.int32, A.uint8, A.bool):
        host = np.abs(rng.standard_normal((33, 17)) * 10).astype(dt.np)
        t = A.tensor(host).to(device)
        assert t.dtype == dt and t.device.type == "cuda"
        assert np.array_equal(t.cpu().numpy(), host), dt
        assert np.array_equal(t[:, ::3].t().cpu().numpy(), host[:, ::3].T), f"strided {dt}"
    big = A.randn(1024, 1024)
    assert np.array_equal(big.to(device).cpu().numpy(), big.numpy())
    x = A.randn(3, 4, requires_grad=True)
    (x.to(device) * 2).cpu().sum().backward()
    assert x.grad.device == "cpu" and np.allclose(x.grad.numpy(), 2)


def rng_statistics(device: str) -> None:
    A.manual_seed(0)
    z = A.randn(200_000, device=device).cpu().numpy()
    u = A.rand(200_000, device=device).cpu().numpy()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.01


# ---- on whatever 'cuda' is here (the stand-in without a GPU) ------------------------------------------


@pytest.mark.parametrize("name", sorted(OPS))
def test_ops_match_cpu(cuda, name):
    ops_match_cpu(cuda, name)


def test_transfers_round_trip(cuda):
    transfers_round_trip(cuda)


def test_rng_statistics(cuda):
    rng_statistics(cuda)


# ---- on real CuPy ------------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("name", sorted(OPS))
def test_gpu_ops_match_cpu(real_cuda, name):
    ops_match_cpu(real_cuda, name)


@pytest.mark.gpu
def test_gpu_training_matches_cpu(real_cuda):
    training_matches_cpu(real_cuda)


@pytest.mark.gpu
def test_gpu_memory_pool_stays_flat(real_cuda):
    _memory_flat(real_cuda)
    gc.collect()
    A.cuda.empty_cache()


@pytest.mark.gpu
def test_gpu_transfers(real_cuda):
    transfers_round_trip(real_cuda)


@pytest.mark.gpu
def test_gpu_rng_statistics(real_cuda):
    rng_statistics(real_cuda)


@pytest.mark.gpu
def test_gpu_arrays_are_cupy(real_cuda):
    import cupy

    x = A.ones(3, device=real_cuda)
    assert type(x._data) is cupy.ndarray and x.backend.is_standin is False
    A.cuda.synchronize()
