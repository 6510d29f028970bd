"""Covariance and correlation matrices (``torch.cov``, ``torch.corrcoef``) composed from differentiable ops;
rows are variables and columns observations, with optional frequency and importance weights."""

from __future__ import annotations

import warnings
from typing import Any

from ..tensor import Tensor
from .base import check_same_device


def _weights(kind: str, w: Any, n_obs: int, integral: bool) -> Tensor:
    if not isinstance(w, Tensor):
        raise TypeError(f"cov: {kind} must be a Tensor, got {type(w).__name__}")
    if w.ndim > 1:
        raise RuntimeError(
            f"cov: expected {kind} to have one or fewer dimensions but got {kind} with {w.ndim} dimensions"
        )
    if integral and w._data.dtype.kind not in "iu":
        raise RuntimeError(f"cov: expected {kind} to have integral dtype but got {kind} with {w.dtype} dtype")
    if not integral and w._data.dtype.kind != "f":
        raise RuntimeError(
            f"cov: expected {kind} to have floating point dtype but got {kind} with {w.dtype} dtype"
        )
    if w.numel() != n_obs:
        raise RuntimeError(
            f"cov: expected {kind} to have the same numel as there are observations in the input but got "
            f"{w.numel()} != {n_obs}"
        )
    if n_obs and bool((w < 0).any()):
        raise RuntimeError(f"cov: {kind} cannot be negative")
    return w.reshape(-1)


def cov(
    input: Tensor, *, correction: int = 1, fweights: Tensor | None = None, aweights: Tensor | None = None
) -> Tensor:
    """The covariance matrix of the variables in the rows of ``input`` (a 1-d input is one variable);
    ``correction`` 1 is Bessel's, ``fweights`` repeat observations, ``aweights`` weigh them."""
    if input.ndim > 2:
        raise RuntimeError(
            f"cov: expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions"
        )
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n_obs = x.shape[1]
    check_same_device("cov", x, fweights, aweights)
    w = None if fweights is None else _weights("fweights", fweights, n_obs, True)
    aw = None if aweights is None else _weights("aweights", aweights, n_obs, False)
    if aw is not None:
        w = aw if w is None else w * aw
    if w is None:
        w_sum: Any = n_obs
    else:
        w_sum = w.sum()
        if not bool(w_sum != 0):
            raise RuntimeError("cov: weights sum to zero, can't be normalized")
    avg = (x if w is None else x * w).sum(1) / w_sum
    if w is not None and aw is not None and correction != 0:
        norm = w_sum - correction * (w * aw).sum() / w_sum
    else:
        norm = w_sum - correction
    if float(norm) <= 0:
        warnings.warn(
            "cov: degrees of freedom is <= 0. Correction should be strictly less than the number of observations.",
            UserWarning,
            stacklevel=2,
        )
        norm = norm * 0
    xc = x - avg.unsqueeze(1)
    c = xc @ (xc if w is None else xc * w).t()
    with x.backend.errstate():
        return (c / norm).squeeze()


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of ``input``, clipped to [-1, 1]."""
    if input.ndim > 2:
        raise RuntimeError(
            f"corrcoef: expected input to have two or fewer dimensions but got an input with {input.ndim} dimensions"
        )
    c = cov(input)
    with input.backend.errstate():
        if c.ndim == 0:
            return c / c  # nan for a 0, nan or inf variance, else 1
        std = c.diagonal().sqrt()
        c = c / std.reshape(-1, 1)
        c = c / std.reshape(1, -1)
    return c.clamp(-1, 1)
