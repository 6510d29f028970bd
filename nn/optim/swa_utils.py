"""Weight averaging (``nn.optim.swa_utils``, as ``torch.optim.swa_utils``): SWA and EMA copies of a model.

``AveragedModel`` keeps a running average of a model's parameters (stochastic weight averaging by default, an
exponential moving average with ``multi_avg_fn=get_ema_multi_avg_fn(decay)``): the usual way to get a smoother
GAN generator or a better-generalising classifier. ``SWALR`` anneals the learning rate to a constant SWA rate;
``update_bn`` recomputes BatchNorm statistics for the averaged weights.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

import autograd
from autograd import Tensor

from ..module import Module
from ..modules.norm import _BatchNorm
from ._lr_base import LRScheduler, _format_param
from .optimizer import Optimizer

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[list, list, Any], None]:
    """In place over lists: ``ema = decay * ema + (1 - decay) * current``."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")

    def ema_update(ema_params: list[Tensor], current_params: list[Tensor], num_averaged: Any) -> None:
        for e, c in zip(ema_params, current_params):
            if e.is_floating_point():
                e.add_((c - e) * (1.0 - decay))  # torch's lerp_(current, 1 - decay)
            else:  # integer buffers (BatchNorm's num_batches_tracked): truncated, as torch's copy_ does
                e.copy_(e * decay + c * (1.0 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[list, list, Any], None]:
    """In place over lists: the running mean ``avg += (current - avg) / (n + 1)``."""

    def swa_update(averaged: list[Tensor], current: list[Tensor], num_averaged: Any) -> None:
        n = float(num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged)
        for a, c in zip(averaged, current):
            if a.is_floating_point():
                a.add_((c - a) / (n + 1))
            else:  # integer buffers: floor division, as torch's integer addcdiv
                a.add_((c - a) // int(n + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """One tensor at a time: returns ``decay * ema + (1 - decay) * current``."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")
    return lambda ema, current, num_averaged: decay * ema + (1 - decay) * current


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """One tensor at a time: returns the running mean ``avg + (current - avg) / (n + 1)``."""
    return lambda averaged, current, num_averaged: averaged + (current - averaged) / (num_averaged + 1)


class AveragedModel(Module):
    """A deep copy of ``model`` whose parameters (and with ``use_buffers`` its buffers) hold an average of the
    ``model``'s values at each ``update_parameters(model)`` call. Calling it runs the averaged copy."""

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: Callable[[Tensor, Tensor, Any], Tensor] | None = None,
        multi_avg_fn: Callable[[list, list, Any], None] | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", autograd.tensor(0, dtype=autograd.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _tensors(self, m: Module) -> list[Tensor]:
        return list(itertools.chain(m.parameters(), m.buffers()) if self.use_buffers else m.parameters())

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current values into the average (the first call copies them)."""
        mine, theirs = self._tensors(self.module), self._tensors(model)
        if len(mine) != len(theirs):
            raise RuntimeError(
                f"AveragedModel.update_parameters: the model has {len(theirs)} tensors to average, the averaged "
                f"copy {len(mine)}: pass the model this AveragedModel was made from"
            )
        n = int(self.n_averaged.item())
        with autograd.no_grad():
            avg = [p.detach() for p in mine]
            cur = [q.detach().to(p.device) for p, q in zip(avg, theirs)]
            if n == 0:
                for p, q in zip(avg, cur):
                    p.copy_(q)
            elif self.multi_avg_fn is not None:
                self.multi_avg_fn(avg, cur, self.n_averaged.to(avg[0].device) if avg else self.n_averaged)
            elif self.avg_fn is not None:
                for p, q in zip(avg, cur):
                    p.copy_(self.avg_fn(p, q, self.n_averaged.to(p.device)))
            else:
                get_swa_multi_avg_fn()(avg, cur, n)
            if not self.use_buffers:  # buffers follow the source model (recompute BN stats with update_bn)
                for b, mb in zip(self.module.buffers(), model.buffers()):
                    b.detach().copy_(mb.detach().to(b.device))
            self.n_averaged.add_(1)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over ``loader`` (a batch may be a tensor or
    a list/tuple whose first item is the input), as a cumulative average over the batches."""
    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    try:
        with autograd.no_grad():
            for batch in loader:
                if isinstance(batch, list | tuple):
                    batch = batch[0]
                if device is not None:
                    batch = batch.to(device)
                model(batch)
    finally:
        for m, mom in momenta.items():
            m.momentum = mom
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate from its current value to ``swa_lr`` over ``anneal_epochs`` steps
    (cosine or linear), then holds it there."""

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        for lr, group in zip(_format_param("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must by one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """The rate the previous step started from, recovered from the one it set (``alpha``: its progress)."""
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        self._warn_get_lr()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0.0, min(1.0, (step - 1) / span)))
        groups = self.optimizer.param_groups
        prev = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        alpha = self.anneal_func(max(0.0, min(1.0, step / span)))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, prev)]

    def state_dict(self) -> dict[str, Any]:
        """Like the base, without the bound anneal function (restored from the strategy on load)."""
        state = super().state_dict()
        state["anneal_func"] = "cos" if self.anneal_func == self._cosine_anneal else "linear"
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        kind = state.pop("anneal_func", "cos")
        super().load_state_dict(state)
        self.anneal_func = self._cosine_anneal if kind == "cos" else self._linear_anneal
