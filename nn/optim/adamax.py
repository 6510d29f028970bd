"""Adamax (``torch.optim.Adamax``): Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .adam import _adam_defaults, _adam_group
from .optimizer import Optimizer, _zeros

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax: ``u = max(beta2 * u, |g| + eps)``; ``p -= lr / (1 - beta1^t) * m / u``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = _adam_defaults(
            "Adamax",
            lr,
            betas,
            eps,
            weight_decay,
            differentiable,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, beta1, beta2, eps, weight_decay = _adam_group(group)
        maximize = group["maximize"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["exp_avg"] = _zeros(p)
                state["exp_inf"] = _zeros(p)
            state["step"] += 1
            p.backend.adamax_step(
                pa,
                ga,
                state["exp_avg"]._data,
                state["exp_inf"]._data,
                state["step"],
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                maximize,
            )
            bump_version(p)
