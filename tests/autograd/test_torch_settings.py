"""The torch.* settings and facts: finfo/iinfo, promote_types/can_cast, the default dtype, print options,
seeds and post-accumulate-grad hooks, against torch where installed (every test restores what it changes)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, torch

import autograd as A

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs torch as the reference")


# ---- dtype facts ----------------------------------------------------------------------------------------

_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@needs_torch
def test_promote_types_and_can_cast():
    for a in _DTYPES:
        for b in _DTYPES:
            got = A.promote_types(getattr(A, a), getattr(A, b))
            assert got.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1], (
                a,
                b,
            )
            want = torch.can_cast(getattr(torch, a), getattr(torch, b))
            assert A.can_cast(getattr(A, a), getattr(A, b)) == want, (a, b)
    assert A.promote_types(A.int64, float) == A.float64


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    fi, ref = A.finfo(getattr(A, name)), np.finfo(name)
    assert (fi.bits, fi.eps, fi.max, fi.min) == (ref.bits, float(ref.eps), float(ref.max), float(ref.min))
    assert (
        fi.tiny == fi.smallest_normal == float(ref.smallest_normal) and fi.resolution == 10.0**-ref.precision
    )
    assert fi.dtype == name and fi == A.finfo(getattr(A, name))
    if HAVE_TORCH:
        assert repr(fi) == repr(torch.finfo(getattr(torch, name)))
    assert A.finfo().dtype == "float32"


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    ii = A.iinfo(getattr(A, name))
    assert (ii.bits, ii.min, ii.max, ii.dtype) == (
        np.iinfo(name).bits,
        np.iinfo(name).min,
        np.iinfo(name).max,
        name,
    )
    if HAVE_TORCH:
        assert repr(ii) == repr(torch.iinfo(getattr(torch, name)))


@pytest.fixture
def default_float64():
    A.set_default_dtype(A.float64)
    try:
        yield
    finally:
        A.set_default_dtype(A.float32)


def test_set_default_dtype(device, default_float64):
    assert A.get_default_dtype() == A.float64
    assert A.tensor([1.0], device=device).dtype == A.float64
    assert A.tensor([1.0], dtype=A.float32, device=device).dtype == A.float32
    for t in (A.zeros(2, device=device), A.rand(2, device=device), A.randn(2, device=device), A.arange(3.0)):
        assert t.dtype == A.float64
    assert (A.tensor([1, 2], device=device) * 2.5).dtype == A.float64
    assert A.tensor([1, 2], device=device).sqrt().dtype == A.float64
    assert A.finfo().dtype == "float64"
    assert repr(A.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(A.tensor([1.0], dtype=A.float32)) == "tensor([1.], dtype=autograd.float32)"
    assert repr(A.tensor([], dtype=A.float32)) == "tensor([], dtype=autograd.float32)"


def test_set_default_dtype_restores_and_refuses():
    A.set_default_dtype(A.float16)
    try:
        assert A.tensor([1.5]).dtype == A.float16
    finally:
        A.set_default_dtype(A.float32)
    assert A.tensor([1.5]).dtype == A.float32 and A.get_default_dtype() == A.float32
    with pytest.raises(TypeError, match="only floating-point types"):
        A.set_default_dtype(A.int64)
    with pytest.raises(TypeError, match="only floating-point types"):
        A.set_default_dtype("float64")
    assert A.get_default_dtype() == A.float32


# ---- printing options -------------------------------------------------------------------------------------


@pytest.fixture
def printopts():
    yield
    A.set_printoptions(profile="default")
    if HAVE_TORCH:
        torch.set_printoptions(profile="default")


_PRINT = [
    {"precision": 2},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"linewidth": 30},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "short", "precision": 6},
]
_VALUES = [
    [1.12345, -2.5, 1e-5, 300.0],
    list(range(12)),
    [[0.5 * i + 0.25 * j for j in range(9)] for i in range(8)],
    [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]], [[9.0, 1e6], [0.1, 2.0]]],
    [1e-9, 1.0],
    [12345678.0, 2.0],
]


@needs_torch
@pytest.mark.parametrize("opts", _PRINT, ids=str)
def test_set_printoptions_matches_torch(printopts, opts):
    A.set_printoptions(**opts)
    torch.set_printoptions(**opts)
    for v in _VALUES + [[[i * 1000 + j for j in range(20)] for i in range(60)]]:
        want = repr(torch.tensor(v)).replace("torch.", "autograd.")
        assert repr(A.tensor(v)) == want, f"{opts} {v}"
    t = A.tensor([[1.5] * 30] * 3, requires_grad=True)
    assert repr(t * 2) == repr(torch.tensor([[1.5] * 30] * 3, requires_grad=True) * 2).replace(
        "MulBackward0", (t * 2).grad_fn.name()
    )
    assert A.printing.get_printoptions() == torch._tensor_str.get_printoptions()


def test_set_printoptions_known(printopts):
    A.set_printoptions(precision=2)
    assert repr(A.tensor([1.12345])) == "tensor([1.12])"
    A.set_printoptions(threshold=5)
    assert repr(A.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    A.set_printoptions(profile="default")
    assert repr(A.tensor([1.12345])) == "tensor([1.1235])"
    assert repr(A.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    A.set_printoptions(sci_mode=True)
    assert repr(A.tensor([1.0, 2.0])) == "tensor([1.0000e+00, 2.0000e+00])"
    with pytest.raises(ValueError, match="profile"):
        A.set_printoptions(profile="long")


def test_printing_on_device(device, printopts):
    A.set_printoptions(precision=1)
    s = repr(A.tensor([1.25, 2.0], device=device))
    assert s.startswith("tensor([1.2, 2.0]")


# ---- seeds, hooks -------------------------------------------------------------------------------------------


def test_initial_seed_and_seed():
    A.manual_seed(123)
    assert A.initial_seed() == 123
    s = A.seed()
    assert isinstance(s, int) and 0 <= s < 2**63 and A.initial_seed() == s
    A.manual_seed(7)
    a = A.rand(3)
    A.manual_seed(A.initial_seed())
    assert A.rand(3).tolist() == a.tolist()


def test_post_accumulate_grad_hook(device):
    w = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    seen = []

    def hook(t):
        seen.append(t.grad.tolist())
        with A.no_grad():
            t.sub_(t.grad)  # an optimizer step inside the hook, as in PyTorch's docs

    h = w.register_post_accumulate_grad_hook(hook)
    (w * w).sum().backward()
    (w * 3).sum().backward()
    assert seen == [[2.0, 4.0], [5.0, 7.0]] and w.tolist() == [-6.0, -9.0]
    h.remove()
    (w * 1).sum().backward()
    assert len(seen) == 2
    w.register_post_accumulate_grad_hook(hook)
    A.grad((w * w).sum(), w)  # autograd.grad accumulates nothing: no call
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(hook)
    with pytest.raises(RuntimeError, match="doesn't require"):
        A.ones(2).register_post_accumulate_grad_hook(hook)
