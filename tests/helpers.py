"""The op-check helper: one lambda runs on our tensors and on a reference; values and grads are compared.

The reference is PyTorch where installed; without it, NumPy values (``np_fn``) plus a float64
central-difference gradcheck. Failures name the stage (forward, grad of input i, gradcheck).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autograd as A

try:
    import torch

    torch.set_num_threads(1)
    HAVE_TORCH = True
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
    HAVE_TORCH = False


def to_numpy(x: Any) -> np.ndarray:
    if isinstance(x, A.Tensor):
        return x.detach().cpu().numpy()
    if HAVE_TORCH and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def make_inputs(shapes: Sequence[Any], rng: np.random.Generator, low: float, high: float) -> list[np.ndarray]:
    out = []
    for s in shapes:
        if isinstance(s, np.ndarray):
            out.append(s)
        else:
            out.append(rng.uniform(low, high, size=s))
    return out


def ours(arr: np.ndarray, device: str, dtype: Any, requires_grad: bool, noncontig: bool = False) -> A.Tensor:
    if arr.dtype.kind in "fc":
        arr = arr.astype(A.dtypes.to_np(dtype))
    if noncontig and arr.ndim >= 1:
        # a strided view: the real values sit at [..., 0] of a bigger array
        big = np.stack([arr, np.zeros_like(arr)], axis=-1)
        t = A.tensor(big, device=device)[..., 0].detach()
        assert not t.is_contiguous() or arr.size <= 1
    else:
        t = A.tensor(arr, device=device)
    if requires_grad and arr.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def _compare(stage: str, got: Any, want: Any, atol: float, rtol: float) -> None:
    g, w = to_numpy(got), to_numpy(want)
    assert g.shape == w.shape, f"{stage}: shape {g.shape} != reference {w.shape}"
    if g.dtype.kind == "b" or w.dtype.kind == "b":
        assert np.array_equal(g, w), f"{stage}: values differ\nours:\n{g}\nreference:\n{w}"
        return
    ok = np.allclose(g.astype(np.float64), w.astype(np.float64), atol=atol, rtol=rtol, equal_nan=True)
    if not ok:
        err = np.nanmax(np.abs(g.astype(np.float64) - w.astype(np.float64))) if g.size else 0
        raise AssertionError(
            f"{stage}: values differ (max abs err {err:.3g}, atol {atol}, rtol {rtol})\n"
            f"ours:\n{g}\nreference:\n{w}"
        )


def check_op(
    shapes: Sequence[Any],
    fn: Callable,
    torch_fn: Callable | None = None,
    *,
    device: str = "cpu",
    np_fn: Callable | None = None,
    low: float = -2.0,
    high: float = 2.0,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    grad_atol: float = 1e-4,
    grad_rtol: float = 1e-3,
    grad: bool = True,
    gradcheck: bool = True,
    noncontig: bool = False,
    seed: int = 0,
    gc_eps: float = 1e-6,
    gc_atol: float = 1e-5,
    gc_rtol: float = 1e-3,
) -> None:
    """Check ``fn`` (values, gradients, float64 gradcheck) against PyTorch or NumPy.

    ``shapes`` lists input shapes (random floats in [low, high)) or ready NumPy arrays (ints stay ints and
    get no gradient). ``fn`` runs on our tensors; ``torch_fn`` (default: ``fn``) on torch tensors.
    """
    rng = np.random.default_rng(seed)
    arrays = make_inputs(shapes, rng, low, high)
    xs = [ours(a, device, A.float32, grad, noncontig) for a in arrays]
    out = fn(*xs)
    outs = out if isinstance(out, tuple | list) else (out,)
    if HAVE_TORCH:
        tfn = torch_fn or fn
        ts = [
            torch.tensor(
                a.astype(np.float32) if a.dtype.kind == "f" else a, requires_grad=grad and a.dtype.kind == "f"
            )
            for a in arrays
        ]
        tout = tfn(*ts)
        touts = tout if isinstance(tout, tuple | list) else (tout,)
        for i, (o, t) in enumerate(zip(outs, touts)):
            _compare(f"forward output {i}", o, t, atol, rtol)
    elif np_fn is not None:
        ref = np_fn(*arrays)
        refs = ref if isinstance(ref, tuple | list) else (ref,)
        for i, (o, r) in enumerate(zip(outs, refs)):
            _compare(f"forward output {i} (numpy reference)", o, r, atol, rtol)
    if not grad:
        return
    diff_outs = [o for o in outs if isinstance(o, A.Tensor) and o.requires_grad]
    if HAVE_TORCH and diff_outs:
        ups = [rng.standard_normal(o.shape).astype(np.float32) for o in diff_outs]
        loss = sum((o * A.tensor(u, device=device)).sum() for o, u in zip(diff_outs, ups))
        loss.backward()
        tdiff = [t for t in touts if isinstance(t, torch.Tensor) and t.requires_grad]
        tloss = sum((t * torch.tensor(u)).sum() for t, u in zip(tdiff, ups))
        tloss.backward()
        for i, (x, t) in enumerate(zip(xs, ts)):
            if not x.requires_grad:
                continue
            if t.grad is None:
                assert x.grad is None or not np.any(to_numpy(x.grad)), f"grad of input {i}: torch has none"
                continue
            assert x.grad is not None, f"grad of input {i}: ours is None, torch has one"
            _compare(f"grad of input {i}", x.grad, t.grad, grad_atol, grad_rtol)
    if gradcheck and diff_outs:
        small = [a for a in arrays if a.dtype.kind == "f"]
        if all(a.size <= 64 for a in small):
            xs64 = [
                ours(a.astype(np.float64) if a.dtype.kind == "f" else a, device, A.float64, True)
                for a in arrays
            ]
            assert A.gradcheck(fn, tuple(xs64), eps=gc_eps, atol=gc_atol, rtol=gc_rtol), "gradcheck"
