"""Adam and AdamW (``torch.optim.Adam`` / ``torch.optim.AdamW``), with AMSGrad and maximize."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .optimizer import Optimizer, _check, _no_differentiable, _zeros

__all__ = ["Adam", "AdamW"]


def _check_adam(name: str, lr: float, betas: tuple, eps: float, weight_decay: float) -> None:
    _check(lr >= 0.0, name, "learning rate", lr)
    _check(eps >= 0.0, name, "epsilon value", eps)
    _check(0.0 <= betas[0] < 1.0, name, "beta parameter at index 0", betas[0])
    _check(0.0 <= betas[1] < 1.0, name, "beta parameter at index 1", betas[1])
    _check(weight_decay >= 0.0, name, "weight_decay value", weight_decay)


def _adam_defaults(
    name: str, lr: float, betas: tuple, eps: float, weight_decay: float, differentiable: bool, /, **extra: Any
) -> dict[str, Any]:
    """Validate the Adam-family hyperparameters; the group defaults (lr, betas, eps, weight_decay, *extra)."""
    _check_adam(name, lr, betas, eps, weight_decay)
    _no_differentiable(name, differentiable)
    return dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, **extra)


def _adam_group(group: dict[str, Any]) -> tuple[float, float, float, float, float]:
    """A group's (lr, beta1, beta2, eps, weight_decay) as the step kernels take them."""
    beta1, beta2 = (float(b) for b in group["betas"])
    return float(group["lr"]), beta1, beta2, group["eps"], group["weight_decay"]


class Adam(Optimizer):
    """Adam: bias-corrected first/second moment estimates; L2 or decoupled (AdamW) weight decay."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = _adam_defaults(
            type(self).__name__,
            lr,
            betas,
            eps,
            weight_decay,
            differentiable,
            amsgrad=amsgrad,
            maximize=maximize,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr, beta1, beta2, eps, weight_decay = _adam_group(group)
        amsgrad = group["amsgrad"]
        maximize = group["maximize"]
        decoupled = group.get("decoupled_weight_decay", False)
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["exp_avg"] = _zeros(p)
                state["exp_avg_sq"] = _zeros(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = _zeros(p)
            elif amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = _zeros(p)
            state["step"] += 1
            p.backend.adam_step(
                pa,
                ga,
                state["exp_avg"]._data,
                state["exp_avg_sq"]._data,
                state["max_exp_avg_sq"]._data if amsgrad else None,
                state["step"],
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                amsgrad,
                maximize,
                decoupled,
            )
            bump_version(p)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * weight_decay``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
