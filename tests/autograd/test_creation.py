"""Creation ops, dtypes and casts: PyTorch's defaults (float32 from floats, int64 from ints)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH

import autograd as A

# expression -> (dtype name, shape, values or None)
CREATION = {
    "zeros(2, 3)": ("float32", (2, 3), np.zeros((2, 3))),
    "zeros((2, 3))": ("float32", (2, 3), np.zeros((2, 3))),
    "ones(2, dtype=A.int32)": ("int32", (2,), [1, 1]),
    "full((2,), 1)": ("int64", (2,), [1, 1]),
    "full((2,), 1.5)": ("float32", (2,), [1.5, 1.5]),
    "full((2,), True)": ("bool", (2,), [True, True]),
    "full((3,), 2.0, dtype=A.float64)": ("float64", (3,), [2.0] * 3),
    "empty(2, 0)": ("float32", (2, 0), None),
    "arange(5)": ("int64", (5,), [0, 1, 2, 3, 4]),
    "arange(0.0, 1, 0.25)": ("float32", (4,), [0, 0.25, 0.5, 0.75]),
    "arange(0, 1, 0.25)": ("float32", (4,), [0, 0.25, 0.5, 0.75]),
    "arange(1, 10, 3)": ("int64", (3,), [1, 4, 7]),
    "arange(-1, -3, -0.5)": ("float32", (4,), [-1, -1.5, -2, -2.5]),
    "arange(3, dtype=A.float64)": ("float64", (3,), [0, 1, 2]),
    "linspace(0, 1, 5)": ("float32", (5,), [0, 0.25, 0.5, 0.75, 1]),
    "linspace(-1, 1, 1)": ("float32", (1,), [-1]),
    "linspace(0, 1, 0)": ("float32", (0,), []),
    "eye(2, 3)": ("float32", (2, 3), [[1, 0, 0], [0, 1, 0]]),
    "eye(2, dtype=A.int64)": ("int64", (2, 2), [[1, 0], [0, 1]]),
    "tensor(3)": ("int64", (), 3),
    "tensor(3.5)": ("float32", (), 3.5),
    "tensor(True)": ("bool", (), True),
    "tensor([1, 2.5])": ("float32", (2,), [1, 2.5]),
    "tensor([[1, 2], [3, 4]])": ("int64", (2, 2), [[1, 2], [3, 4]]),
    "tensor([])": ("float32", (0,), []),
    "tensor([[]])": ("float32", (1, 0), None),
    "tensor(np.arange(3.0))": ("float64", (3,), [0, 1, 2]),
    "tensor(np.arange(3, dtype=np.int32))": ("int32", (3,), [0, 1, 2]),
    "tensor([1, 2], dtype=A.float16)": ("float16", (2,), [1, 2]),
    "tensor([A.tensor(1.0), A.tensor(2.0)])": ("float32", (2,), [1, 2]),
    "zeros_like(A.ones(2, dtype=A.int64))": ("int64", (2,), [0, 0]),
    "ones_like(A.ones(2, 3), dtype=A.float64)": ("float64", (2, 3), np.ones((2, 3))),
    "full_like(A.ones(2), 7)": ("float32", (2,), [7, 7]),
    "empty_like(A.ones(2, 1))": ("float32", (2, 1), None),
}


@pytest.mark.parametrize("expr", sorted(CREATION))
def test_creation(device, expr):
    call = expr[:-1] + f", device={device!r})"
    t = eval("A." + expr, {"A": A, "np": np})
    dt, shape, values = CREATION[expr]
    assert t.dtype.name == dt and t.shape == shape and not t.requires_grad
    if values is not None:
        np.testing.assert_allclose(t.cpu().numpy().astype(np.float64), np.asarray(values, dtype=np.float64))
    if "like" not in expr and "tensor(" not in expr and "A.tensor" not in expr:
        placed = eval("A." + call, {"A": A, "np": np})
        assert placed.device == A.device(device) and placed.dtype == t.dtype


@pytest.mark.skipif(not HAVE_TORCH, reason="torch reference not installed")
@pytest.mark.parametrize("expr", sorted(CREATION))
def test_creation_matches_torch(device, expr):
    import torch

    ours = eval("A." + expr, {"A": A, "np": np})
    theirs = eval("torch." + expr.replace("A.", "torch."), {"torch": torch, "np": np})
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    assert ours.shape == tuple(theirs.shape)


def test_like_functions_keep_device(device):
    x = A.ones(2, 3, dtype=A.float64, device=device)
    for f in (A.zeros_like, A.ones_like, A.empty_like, A.rand_like, A.randn_like):
        y = f(x)
        assert y.shape == (2, 3) and y.dtype == A.float64 and y.device == x.device
    y = A.randint_like(A.ones(4, dtype=A.int64, device=device), 0, 3)
    assert y.dtype == A.int64 and y.device == x.device and int(y.max()) < 3
    y = A.zeros_like(x, requires_grad=True)
    assert y.requires_grad and y.is_leaf


def test_random(device):
    A.manual_seed(123)
    a = A.rand(3, 4, device=device)
    b = A.randn(1000, device=device)
    c = A.randint(0, 5, (1000,), device=device)
    d = A.normal(2.0, 0.5, (1000,), device=device)
    A.manual_seed(123)
    assert A.rand(3, 4, device=device).tolist() == a.tolist()
    assert a.dtype == A.float32 and 0 <= float(a.min()) and float(a.max()) < 1
    assert b.dtype == A.float32 and abs(b.mean().item()) < 0.15 and abs(b.std().item() - 1) < 0.1
    assert c.dtype == A.int64 and set(c.tolist()) == {0, 1, 2, 3, 4}
    assert abs(d.mean().item() - 2.0) < 0.1 and abs(d.std().item() - 0.5) < 0.05
    assert A.randint(5, (2,), device=device).shape == (2,)
    assert A.rand(2, dtype=A.float64, device=device).dtype == A.float64
    assert A.randn(2, 3, device=device, requires_grad=True).requires_grad
    m = A.normal(A.zeros(3, device=device), A.ones(3, device=device))
    assert m.shape == (3,)
    assert sorted(A.randperm(5, device=device).tolist()) == [0, 1, 2, 3, 4]


def test_dtypes_and_grad_rules(device):
    assert A.float32 is A.float and A.float64 is A.double and A.int64 is A.long and A.float16 is A.half
    assert A.int32 is A.int and repr(A.float32) == "autograd.float32"
    assert A.get_default_dtype() == A.float32
    assert A.float64.is_floating_point and not A.int64.is_floating_point
    for dt in (A.int32, A.int64, A.bool):
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            A.zeros(2, dtype=dt, device=device, requires_grad=True)
    for dt in (A.float16, A.float32, A.float64):
        assert A.zeros(2, dtype=dt, device=device, requires_grad=True).requires_grad


def test_casts(device):
    x = A.tensor([1.7, -2.2], device=device, requires_grad=True)
    assert x.float() is x and x.to(A.float32) is x and x.to(device) is x
    assert x.double().dtype == A.float64 and x.half().dtype == A.float16
    assert x.long().tolist() == [1, -2] and x.int().dtype == A.int32 and x.bool().tolist() == [True, True]
    assert x.type() == "autograd.FloatTensor" if device == "cpu" else "cuda" in x.type()
    assert x.type(A.float64).dtype == A.float64 and x.to(dtype=A.int64).dtype == A.int64
    assert x.to(A.zeros(1, dtype=A.float64, device=device)).dtype == A.float64
    y = x.double() * A.tensor([2.0, 3.0], dtype=A.float64, device=device)
    assert y.grad_fn is not None
    y.sum().backward()
    assert x.grad.dtype == A.float32 and x.grad.tolist() == [2.0, 3.0]
    assert not x.long().requires_grad
    c = x.to(A.float32, copy=True)
    assert c is not x and c.tolist() == x.tolist()


def test_creation_errors(device):
    with pytest.raises(RuntimeError, match=r"zeros: expected a size given as non-negative ints, got \(-1,\)"):
        A.zeros(-1, device=device)
    with pytest.raises(TypeError, match="unsupported dtype|unknown dtype"):
        A.zeros(2, dtype="complex64", device=device)
    with pytest.raises(ValueError, match="tensor: could not build a tensor"):
        A.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="tensor: could not infer dtype of str"):
        A.tensor("abc")
    with pytest.raises(ValueError, match="device: unknown device type 'tpu'"):
        A.ones(2, device="tpu")
    with pytest.raises(RuntimeError, match="arange: step must be nonzero"):
        A.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="randint: .*from=3 >= to=3"):
        A.randint(3, 3, (2,))
    with pytest.raises(RuntimeError, match="random: expected a floating point dtype"):
        A.rand(2, dtype=A.int64)
    with pytest.raises(RuntimeError, match="linspace: number of steps must be non-negative"):
        A.linspace(0, 1, -1)


def test_result_type_follows_pytorch(device):
    f32 = A.ones(2, device=device)
    i64 = A.ones(2, dtype=A.int64, device=device)
    f64_0d = A.tensor(1.0, dtype=A.float64, device=device)
    assert A.result_type(f32, i64) == A.float32
    assert A.result_type(f32, f64_0d) == A.float32
    assert A.result_type(i64, f64_0d) == A.float64
    assert A.result_type(i64, 2.5) == A.float32
    assert A.result_type(i64, 2) == A.int64
    assert A.result_type(A.ones(2, dtype=A.bool, device=device), 1) == A.int64
    assert A.result_type(A.ones(2, dtype=A.float16, device=device), i64) == A.float16


def test_get_set_rng_state_replays_draws():
    A.manual_seed(3)
    state = A.get_rng_state()
    assert state.dtype == A.uint8 and state.ndim == 1
    a = (A.randn(4), A.rand(2), A.randint(0, 10, (3,)))
    A.set_rng_state(state)
    b = (A.randn(4), A.rand(2), A.randint(0, 10, (3,)))
    assert all(x.tolist() == y.tolist() for x, y in zip(a, b))
    with pytest.raises(TypeError, match="set_rng_state: expected the 1-D uint8 tensor"):
        A.set_rng_state(A.zeros(3))
    with pytest.raises(RuntimeError, match="set_rng_state: not a state from get_rng_state"):
        A.set_rng_state(A.zeros(3, dtype=A.uint8))
