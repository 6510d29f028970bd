"""Adagrad (``torch.optim.Adagrad``): per-coordinate steps shrinking with the summed squared gradient."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd.tensor import bump_version

from .optimizer import Optimizer, _check, _no_differentiable, _zeros

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad with learning-rate decay ``lr / (1 + (step - 1) * lr_decay)``."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check(lr >= 0.0, "Adagrad", "learning rate", lr)
        _check(lr_decay >= 0.0, "Adagrad", "lr_decay value", lr_decay)
        _check(weight_decay >= 0.0, "Adagrad", "weight_decay value", weight_decay)
        _check(
            initial_accumulator_value >= 0.0,
            "Adagrad",
            "initial_accumulator_value value",
            initial_accumulator_value,
        )
        _check(eps >= 0.0, "Adagrad", "epsilon value", eps)
        _no_differentiable("Adagrad", differentiable)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(params, defaults)
        # as in PyTorch, the state exists from the start (so state_dict() lists every parameter)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Any, group: dict[str, Any]) -> None:
        state = self.state[p]
        state["step"] = 0.0
        state["sum"] = _zeros(p, group["initial_accumulator_value"])

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        lr_decay, weight_decay = group["lr_decay"], group["weight_decay"]
        eps, maximize = group["eps"], group["maximize"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                self._init_state(p, group)
            state["step"] += 1
            p.backend.adagrad_step(
                pa, ga, state["sum"]._data, state["step"], lr, lr_decay, weight_decay, eps, maximize
            )
            bump_version(p)
