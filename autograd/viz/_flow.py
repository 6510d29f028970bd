"""Gradient flow: per-parameter gradient statistics after ``backward()``, to spot vanishing or exploding
gradients layer by layer (``grad_flow(model)``, printed with ``format_grad_flow``)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor

__all__ = ["grad_flow", "format_grad_flow"]


def _named(params: Any) -> list[tuple[str, Tensor]]:
    if hasattr(params, "named_parameters"):
        return list(params.named_parameters())
    if isinstance(params, dict):
        return list(params.items())
    items = list(params) if isinstance(params, Iterable) else [params]
    out = []
    for i, p in enumerate(items):
        name, t = p if isinstance(p, tuple) and len(p) == 2 else (f"param{i}", p)
        if not isinstance(t, Tensor):
            raise TypeError(
                f"grad_flow: expected a Module, named parameters or tensors, got {type(t).__name__}"
            )
        out.append((name, t))
    return out


def grad_flow(params: Any) -> list[dict[str, Any]]:
    """One row per parameter (a Module, its ``named_parameters()``, a dict or tensors): the gradient's norm,
    mean and max magnitude, the parameter's norm, their ratio, and whether the gradient holds nan/inf.
    Parameters without a gradient (frozen, unused, or before backward) get None."""
    rows = []
    for name, p in _named(params):
        g = p.grad
        row: dict[str, Any] = {"name": name, "shape": tuple(p.shape), "requires_grad": p.requires_grad}
        pd = p.detach().double()
        row["param_norm"] = float(pd.norm()) if p.numel() else 0.0
        if g is None or not p.is_floating_point():
            row.update(grad_norm=None, grad_abs_mean=None, grad_abs_max=None, ratio=None, finite=None)
        else:
            gd = g.detach().double()
            finite = bool(gd.isfinite().all())
            gn = float(gd.norm()) if g.numel() else 0.0
            row.update(
                grad_norm=gn,
                grad_abs_mean=float(gd.abs().mean()) if g.numel() else 0.0,
                grad_abs_max=float(gd.abs().max()) if g.numel() else 0.0,
                ratio=gn / row["param_norm"] if row["param_norm"] else None,
                finite=finite,
            )
        rows.append(row)
    return rows


def format_grad_flow(rows: list[dict[str, Any]], width: int = 24) -> str:
    """The rows of ``grad_flow`` as a table with a log-scale bar of each gradient's mean magnitude
    (one '#' per factor of ~10^(1/3), from 1e-8), so a layer whose gradient vanishes stands out."""
    name_w = max([4] + [len(r["name"]) for r in rows])
    lines = [
        f"{'name':<{name_w}}  {'grad norm':>10} {'|grad| mean':>11} {'|grad| max':>10} {'grad/param':>10}  flow"
    ]
    for r in rows:
        if r["grad_norm"] is None:
            lines.append(f"{r['name']:<{name_w}}  {'-':>10} {'-':>11} {'-':>10} {'-':>10}  (no grad)")
            continue
        mean = r["grad_abs_mean"]
        level = (
            0
            if not mean or not math.isfinite(mean)
            else max(0, min(width, round((math.log10(mean) + 8) * 3)))
        )
        bar = "#" * level if r["finite"] else "nan/inf!"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2e}"
        lines.append(
            f"{r['name']:<{name_w}}  {r['grad_norm']:>10.2e} {mean:>11.2e} {r['grad_abs_max']:>10.2e} {ratio:>10}  {bar}"
        )
    return "\n".join(lines)
