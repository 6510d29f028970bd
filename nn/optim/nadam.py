"""NAdam (``torch.optim.NAdam``): Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .adam import _adam_defaults, _adam_group
from .optimizer import Optimizer, _check, _zeros

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam (Dozat 2016) with ``mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))``."""

    _scalar_state = ("step", "mu_product")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = _adam_defaults(
            "NAdam",
            lr,
            betas,
            eps,
            weight_decay,
            differentiable,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
        )
        _check(momentum_decay >= 0.0, "NAdam", "momentum_decay value", momentum_decay)
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, beta1, beta2, eps, weight_decay = _adam_group(group)
        momentum_decay, maximize = group["momentum_decay"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["mu_product"] = 1.0
                state["exp_avg"] = _zeros(p)
                state["exp_avg_sq"] = _zeros(p)
            state["step"] += 1
            state["mu_product"] = p.backend.nadam_step(
                pa,
                ga,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                state["step"],
                state["mu_product"],
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                momentum_decay,
                decoupled,
                maximize,
            )
            bump_version(p)
