"""ASGD (``torch.optim.ASGD``): SGD with a decaying step and a running (Polyak) average of the iterates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import autograd
from autograd.tensor import bump_version

from .optimizer import Optimizer, _check, _no_differentiable, _zeros

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky 1992): the average of the iterates is kept in ``state['ax']``."""

    # eta and mu are 0-d float32 tensors in PyTorch; here float32-rounded Python floats
    _scalar_state = ("step", "eta", "mu")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check(lr >= 0.0, "ASGD", "learning rate", lr)
        _check(weight_decay >= 0.0, "ASGD", "weight_decay value", weight_decay)
        _no_differentiable("ASGD", differentiable)
        defaults = dict(
            lr=lr,
            lambd=lambd,
            alpha=alpha,
            t0=t0,
            weight_decay=weight_decay,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def _update_group(self, group: dict[str, Any]) -> None:
        lr = float(group["lr"])
        lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for p, pa, ga, state in self._grads(group):
            if not state:
                state["step"] = 0.0
                state["eta"] = float(autograd.tensor(lr, dtype=autograd.float32))
                state["mu"] = 1.0
                state["ax"] = _zeros(p)
            state["step"] += 1
            state["eta"], state["mu"] = p.backend.asgd_step(
                pa,
                ga,
                state["ax"]._data,
                state["step"],
                state["eta"],
                state["mu"],
                lr,
                lambd,
                alpha,
                t0,
                weight_decay,
                maximize,
            )
            bump_version(p)
