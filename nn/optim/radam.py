"""RAdam (``torch.optim.RAdam``): Adam whose adaptive step is switched on as its variance becomes tractable."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .adam import _adam_defaults, _adam_group
from .optimizer import Optimizer, _zeros

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (Liu et al. 2019): SGD with momentum for the first steps, then rectified Adam steps."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = _adam_defaults(
            "RAdam",
            lr,
            betas,
            eps,
            weight_decay,
            differentiable,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, beta1, beta2, eps, weight_decay = _adam_group(group)
        maximize, decoupled = group["maximize"], group["decoupled_weight_decay"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["exp_avg"] = _zeros(p)
                state["exp_avg_sq"] = _zeros(p)
            state["step"] += 1
            p.backend.radam_step(
                pa,
                ga,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                state["step"],
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                decoupled,
                maximize,
            )
            bump_version(p)
