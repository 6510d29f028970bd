"""Finite-difference checks of analytical gradients (first and second order), like PyTorch's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import grad as autograd_grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """An analytical gradient disagrees with the numerical one."""


def _as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def _numerical_jacobian(fn: Callable, inputs: tuple, idx: int, eps: float) -> list[np.ndarray]:
    """d(outputs)/d(inputs[idx]) by central differences, one column per input element."""
    x = inputs[idx]
    host = np.array(x.backend.to_host(x._data), copy=True, order="C")  # so ``flat`` is a view of it
    flat = host.reshape(-1)
    cols: list[list[np.ndarray]] = []
    for k in range(flat.size):
        orig = flat[k]
        vals = []
        for step in (eps, -eps):
            flat[k] = orig + step
            x._data[...] = x.backend.from_host(host, x.device) if x.backend.name != "cpu" else host
            with no_grad():
                outs = _as_tuple(fn(*inputs))
            vals.append(
                [
                    o.backend.to_host(o._data).astype(np.float64).reshape(-1).copy()
                    for o in outs
                    if isinstance(o, Tensor)
                ]
            )
        flat[k] = orig
        x._data[...] = x.backend.from_host(host, x.device) if x.backend.name != "cpu" else host
        cols.append([(p - m) / (2 * eps) for p, m in zip(vals[0], vals[1])])
    n_out = len(cols[0]) if cols else 0
    return [np.stack([c[o] for c in cols], axis=1) if cols else np.zeros((0, 0)) for o in range(n_out)]


def gradcheck(
    fn: Callable,
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
) -> bool:
    """Compare the analytical Jacobian-vector products of ``fn`` with central differences.

    Inputs that require grad must be float64 for the check to be meaningful.
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i]._data.dtype != np.float64:
            import warnings

            warnings.warn(
                f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the check may fail "
                "for precision reasons alone",
                stacklevel=2,
            )
    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    numeric_by_input = {i: _numerical_jacobian(fn, inputs, i, eps) for i in diff if inputs[i]._data.size}
    for oi, o in enumerate(outs):
        if o._data.dtype.kind != "f":
            continue
        n = o._data.size
        for i in diff:
            if n == 0 or inputs[i]._data.size == 0:
                continue
            numeric = numeric_by_input[i][oi]
            # an output that does not require grad has a zero analytical Jacobian: still compared, so a
            # backward that silently cuts the graph (a detach) is caught
            analytic = np.zeros((n, inputs[i]._data.size))
            for k in range(n if o.requires_grad else 0):
                g = np.zeros(n)
                g[k] = 1.0
                gt = Tensor._make(
                    o.backend.from_host(g.reshape(o.shape).astype(o._data.dtype), o.device)
                    if o.backend.name != "cpu"
                    else g.reshape(o.shape).astype(o._data.dtype)
                )
                (gi,) = autograd_grad(o, inputs[i], gt, retain_graph=True, allow_unused=True)
                if gi is not None:
                    analytic[k] = gi.backend.to_host(gi._data).astype(np.float64).reshape(-1)
            if not np.allclose(analytic, numeric.reshape(n, -1), atol=atol, rtol=rtol):
                err = np.abs(analytic - numeric.reshape(n, -1)).max()
                msg = (
                    f"gradcheck: Jacobian mismatch for output {oi} with respect to input {i} "
                    f"(max abs error {err:.3g}).\nnumerical:\n{numeric}\nanalytical:\n{analytic}"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(
    fn: Callable,
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck applied to the function's (differentiable) gradient."""
    inputs = _as_tuple(inputs)
    outs = _as_tuple(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._make(
                o.backend.from_host(rng.standard_normal(o.shape).astype(o._data.dtype), o.device)
                if o.backend.name != "cpu"
                else rng.standard_normal(o.shape).astype(o._data.dtype)
            )
            for o in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]

    def first_grads(*xs: Any) -> tuple:
        with enable_grad():  # the numerical Jacobian runs us under no_grad; we need a graph to differentiate
            return _first_grads(*xs)

    def _first_grads(*xs: Any) -> tuple:
        o = _as_tuple(fn(*xs))
        d = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = autograd_grad(o, d, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    if not diff:
        return True
    return gradcheck(first_grads, inputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception)
