"""Rprop (``torch.optim.Rprop``): per-element step sizes adapted from the sign of successive gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .optimizer import Optimizer, _check, _no_differentiable, _zeros

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Resilient backpropagation: grow a step size while the gradient keeps its sign, shrink it on a flip."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check(lr >= 0.0, "Rprop", "learning rate", lr)
        _check(0.0 < etas[0] < 1.0 < etas[1], "Rprop", "eta values", f"{etas[0]}, {etas[1]}")
        _no_differentiable("Rprop", differentiable)
        defaults = dict(
            lr=lr,
            etas=tuple(etas),
            step_sizes=tuple(step_sizes),
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        etaminus, etaplus = (float(e) for e in group["etas"])
        step_size_min, step_size_max = (float(s) for s in group["step_sizes"])
        maximize = group["maximize"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["prev"] = _zeros(p)
                state["step_size"] = _zeros(p, float(group["lr"]))
            state["step"] += 1
            p.backend.rprop_step(
                pa,
                ga,
                state["prev"]._data,
                state["step_size"]._data,
                etaminus,
                etaplus,
                step_size_min,
                step_size_max,
                maximize,
            )
            bump_version(p)
