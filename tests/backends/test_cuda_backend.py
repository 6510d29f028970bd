"""The CUDA backend's device API: availability, transfers, device errors, RNG, memory statistics.

Runs on a real GPU where there is one, else on the strict CuPy stand-in.
"""

from __future__ import annotations

import gc
import os
import sys

import numpy as np
import pytest
from devices import device_params

import autograd as A
import backends
import nn
from backends import cuda as bcuda


@pytest.fixture
def cuda() -> str:
    if "cuda" not in device_params():
        pytest.skip("EMBERGRAD_TEST_DEVICES leaves 'cuda' out")
    return "cuda"


@pytest.fixture
def two_devices(cuda):
    """Two CUDA devices: a second simulated GPU on the stand-in (or two real ones)."""
    if bcuda.standin_enabled():
        from backends.cuda.standin import _runtime

        prev = _runtime.get_device_count()
        _runtime.set_device_count(2)
        yield
        _runtime.set_device_count(prev)
    elif bcuda.device_count() >= 2:
        yield
    else:
        pytest.skip("needs two CUDA devices")


def test_available_and_placed(cuda):
    assert A.cuda.is_available() and A.cuda.device_count() >= 1
    assert A.cuda.unavailable_reason() is None
    x = A.ones(2, 3, device=cuda)
    assert x.is_cuda and x.device == "cuda:0" and str(x.device) == "cuda:0"
    assert backends.of(x._data) is x.backend is backends.get("cuda")
    assert x.backend.name == "cuda" and isinstance(x._data, x.backend.xp.ndarray)
    assert "device='cuda:0'" in repr(x)


def test_unavailable_cuda_says_why(monkeypatch):
    monkeypatch.setitem(bcuda._state, "standin", False)
    monkeypatch.setitem(
        bcuda._state, "probe", (0, "CuPy is installed but cannot reach a CUDA GPU: no driver")
    )
    assert not A.cuda.is_available() and A.cuda.device_count() == 0
    with pytest.raises(
        RuntimeError, match="CUDA backend is not available: CuPy is installed but cannot reach"
    ):
        A.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="not available"):
        A.tensor([1.0]).to("cuda")
    assert A.cuda.memory_allocated() == 0  # statistics stay harmless without a GPU


def test_missing_cupy_says_how_to_install(monkeypatch):
    monkeypatch.setitem(bcuda._state, "standin", False)
    monkeypatch.setitem(bcuda._state, "probe", None)
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    assert not A.cuda.is_available()
    assert "CuPy is not installed" in A.cuda.unavailable_reason()
    with pytest.raises(RuntimeError, match=r"embergrad\[cuda\]"):
        A.randn(3, device="cuda:0")


def test_invalid_ordinal(cuda):
    n = A.cuda.device_count()
    with pytest.raises(RuntimeError, match=f"{n} CUDA device"):
        A.zeros(2, device=f"cuda:{n}")


def test_transfers_round_trip_and_are_differentiable(cuda):
    host = np.arange(12, dtype=np.float64).reshape(3, 4)
    x = A.tensor(host, requires_grad=True)
    y = x.to(cuda)
    assert y.device == "cuda:0" and y.dtype == A.float64 and y.grad_fn is not None
    z = (y * 3).t()  # a strided result comes back intact
    back = z.cpu()
    assert back.device == "cpu" and np.array_equal(back.detach().numpy(), host.T * 3)
    back.sum().backward()
    assert x.grad.device == "cpu" and np.array_equal(x.grad.numpy(), np.full((3, 4), 3.0))
    assert A.tensor(2.5, device=cuda).shape == ()  # 0-d stays 0-d
    assert x.cuda().device == "cuda:0" and x.to(cuda, A.float32).dtype == A.float32


def test_numpy_on_a_cuda_tensor_says_to_call_cpu(cuda):
    x = A.ones(3, device=cuda)
    with pytest.raises(TypeError, match=r"Tensor\.cpu\(\)"):
        x.numpy()
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        np.asarray(x)
    assert x.cpu().numpy().tolist() == [1, 1, 1] and x.tolist() == [1, 1, 1] and x.sum().item() == 3


def test_mixing_devices_names_both(cuda):
    a, b = A.ones(3, device=cuda), A.ones(3)
    for op in (
        lambda: a + b,
        lambda: b * a,
        lambda: a @ b,
        lambda: A.cat([a, b]),
        lambda: A.where(a > 0, a, b),
    ):
        with pytest.raises(RuntimeError, match=r"(cuda:0 and cpu|cpu and cuda:0)"):
            op()
    assert (a + A.tensor(2.0)).tolist() == [3, 3, 3]  # a CPU 0-d tensor acts as a scalar, as in PyTorch


def test_second_device(two_devices):
    a = A.ones(3, device="cuda:1")
    assert a.device == "cuda:1" and a.to("cuda:0").device == "cuda:0" and a.cpu().tolist() == [1, 1, 1]
    with pytest.raises(RuntimeError, match="cuda:1 and cuda:0"):
        a + A.ones(3, device="cuda:0")  # noqa: B018
    with A.cuda.device(1):
        assert (a * 2).device == "cuda:1" and A.cuda.current_device() == 1
    assert A.cuda.current_device() == 0


def test_module_to_and_load_map_location(cuda, tmp_path):
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    ref = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    m.to(cuda)
    assert all(p.device == "cuda:0" for p in m.parameters())
    assert all(b.device == "cuda:0" for b in m.buffers())
    out = m(A.randn(5, 3, device=cuda))
    assert out.device == "cuda:0"
    path = os.fspath(tmp_path / "m.npz")
    nn.save(m.state_dict(), path)
    on_cpu = nn.load(path, map_location="cpu")
    assert all(v.device == "cpu" for v in on_cpu.values())
    on_gpu = nn.load(path, map_location=cuda)
    assert all(v.device == "cuda:0" for v in on_gpu.values())
    m2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    m2.load_state_dict(on_cpu)
    for k, v in m2.state_dict().items():
        assert v.shape == ref[k].shape, k
    m.cpu()
    assert all(p.device == "cpu" for p in m.parameters())


def test_seeded_runs_are_reproducible_on_the_device(cuda):
    A.manual_seed(7)
    a = (A.randn(4, 5, device=cuda), A.rand(3, device=cuda), A.randint(0, 10, (6,), device=cuda))
    p = A.randperm(8, device=cuda)
    d = nn.functional.dropout(A.ones(50, device=cuda), 0.5)
    A.manual_seed(7)
    b = (A.randn(4, 5, device=cuda), A.rand(3, device=cuda), A.randint(0, 10, (6,), device=cuda))
    assert A.randperm(8, device=cuda).tolist() == p.tolist() and sorted(p.tolist()) == list(range(8))
    assert nn.functional.dropout(A.ones(50, device=cuda), 0.5).tolist() == d.tolist()
    for u, v in zip(a, b):
        assert u.device == "cuda:0" and u.tolist() == v.tolist()
    assert a[0].dtype == A.float32 and a[2].dtype == A.int64
    r = a[1].cpu().numpy()
    assert ((r >= 0) & (r < 1)).all()
    A.manual_seed(8)
    assert A.randn(4, 5, device=cuda).tolist() != a[0].tolist()
    A.cuda.manual_seed(7)  # the current device only, as torch.cuda.manual_seed
    assert A.randn(4, 5, device=cuda).tolist() == a[0].tolist()


def test_memory_statistics_follow_the_pool(cuda):
    gc.collect()
    A.cuda.synchronize()
    base = A.cuda.memory_allocated()
    A.cuda.reset_peak_memory_stats()
    x = A.zeros(1024, 1024, device=cuda)  # 4 MiB
    assert A.cuda.memory_allocated() - base >= 4 * 2**20
    y = x + 1
    peak = A.cuda.max_memory_allocated()
    assert peak - base >= 8 * 2**20
    del x, y
    gc.collect()
    assert A.cuda.memory_allocated() == base
    assert A.cuda.max_memory_allocated() == peak  # the peak survives the free ...
    A.cuda.reset_peak_memory_stats()
    assert A.cuda.max_memory_allocated() == base  # ... until reset
    assert A.cuda.memory_reserved() >= base + 8 * 2**20  # freed blocks stay cached
    A.cuda.empty_cache()
    assert A.cuda.memory_reserved() < base + 8 * 2**20


def test_device_context_helpers(cuda):
    A.cuda.synchronize()
    A.cuda.synchronize("cuda:0")
    A.cuda.set_device(0)
    assert A.cuda.current_device() == 0
    with A.cuda.device("cuda:0"):
        assert A.zeros(1, device="cuda").device == "cuda:0"
