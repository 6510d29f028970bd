"""Torch-free checks for the autograd tests: NumPy reference values plus a float64 gradcheck."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd as A


def check_np(
    shapes: Sequence[Any],
    fn: Callable,
    np_fn: Callable,
    *,
    device: str,
    low: float = -2.0,
    high: float = 2.0,
    seed: int = 0,
    atol: float = 1e-5,
    grad: bool = True,
) -> None:
    """``fn`` on our float32 tensors equals ``np_fn`` on the float64 arrays; float64 gradcheck passes."""
    rng = np.random.default_rng(seed)
    arrays = [s if isinstance(s, np.ndarray) else rng.uniform(low, high, size=s) for s in shapes]
    xs = [A.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a, device=device) for a in arrays]
    got = fn(*xs)
    want = np_fn(*arrays)
    gots = got if isinstance(got, tuple | list) else (got,)
    wants = want if isinstance(want, tuple | list) else (want,)
    assert len(gots) == len(wants)
    for i, (g, w) in enumerate(zip(gots, wants)):
        g = g.cpu().numpy()
        w = np.asarray(w)
        assert g.shape == w.shape, f"output {i}: shape {g.shape} != numpy's {w.shape}"
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=atol, err_msg=f"output {i} vs numpy")
    if grad:
        x64 = [
            A.tensor(a, dtype=A.float64, device=device, requires_grad=True)
            if a.dtype.kind == "f"
            else A.tensor(a, device=device)
            for a in arrays
        ]
        assert A.gradcheck(fn, tuple(x64)), "gradcheck"


def grads_of(fn: Callable, *xs: A.Tensor) -> list:
    """Gradients of sum(fn(*xs) * fixed weights) with respect to each input, as NumPy arrays."""
    out = fn(*xs)
    w = A.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape), dtype=out.dtype, device=out.device)
    gs = A.grad((out * w).sum(), list(xs), allow_unused=True)
    return [None if g is None else g.cpu().numpy() for g in gs]
