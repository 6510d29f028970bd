"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (``torch.optim.SGD``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import _BY_TYPE, bump_versions

from .optimizer import Optimizer, _check, _no_differentiable, _zeros

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD: ``p -= lr * d`` with ``d`` the (Nesterov) momentum of ``grad + weight_decay * p``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check(lr >= 0.0, "SGD", "learning rate", lr)
        _check(momentum >= 0.0, "SGD", "momentum value", momentum)
        _check(weight_decay >= 0.0, "SGD", "weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum and zero dampening, "
                f"got momentum={momentum}, dampening={dampening}"
            )
        _no_differentiable("SGD", differentiable)
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        momentum = group["momentum"]
        dampening = group["dampening"]
        nesterov = group["nesterov"]
        weight_decay = group["weight_decay"]
        maximize = group["maximize"]
        moved = []
        for p, pa, ga, state in self._grads(group, momentum != 0):
            buf = None
            first = False
            if state is not None:
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = _zeros(p)
                    first = True
                buf = buf._data
            _BY_TYPE[type(pa)].sgd_step(
                pa, ga, buf, lr, momentum, dampening, nesterov, weight_decay, maximize, first_step=first
            )
            moved.append(p)
        bump_versions(moved)  # one version bump for all the parameters the step wrote
