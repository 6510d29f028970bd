"""Pruning (``torch.nn.utils.prune``): zero out weights by a mask kept next to the original.

Pruning ``module.weight`` moves the parameter to ``weight_orig``, adds a ``weight_mask`` buffer and a forward
pre-hook that sets ``module.weight = weight_orig * weight_mask`` before every call, so pruned entries get zero
gradient. Pruning the same tensor again combines the masks (a ``PruningContainer``); ``remove`` makes the
pruning permanent.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import autograd
from autograd import Tensor

from ..module import Module
from .convert_parameters import parameters_to_vector

__all__ = [
    "BasePruningMethod", "CustomFromMask", "Identity", "L1Unstructured", "LnStructured", "PruningContainer",
    "RandomStructured", "RandomUnstructured", "custom_from_mask", "global_unstructured", "identity", "is_pruned",
    "l1_unstructured", "ln_structured", "random_structured", "random_unstructured", "remove",
]  # fmt: skip


def _validate_amount_init(amount: Any) -> None:
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
        not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)
    ):
        raise ValueError(
            f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer"
        )


def _n_to_prune(amount: Any, size: int) -> int:
    """How many of ``size`` entries ``amount`` means (an int: that many; a float: that fraction, rounded)."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(
                f"amount={amount} should be smaller than the number of parameters to prune={size}"
            )
        return int(amount)
    return round(amount * size)


def _check_structured(t: Tensor) -> None:
    if t.ndim <= 1:
        raise ValueError(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor of shape "
            f"{tuple(t.shape)} with {t.ndim} dims"
        )


def _channel_mask(t: Tensor, dim: int, keep: Tensor) -> Tensor:
    """A mask of ``t``'s shape that is 1 on the channels (along ``dim``) listed in ``keep``."""
    shape = [1] * t.ndim
    shape[dim] = t.shape[dim]
    sel = autograd.zeros(t.shape[dim], dtype=t.dtype, device=t.device)
    sel[keep] = 1
    return sel.reshape(shape).expand(t.shape).contiguous()


class BasePruningMethod:
    """A pruning rule: ``compute_mask(t, default_mask)`` says what to keep; it is also the forward pre-hook."""

    PRUNING_TYPE = "unstructured"
    _tensor_name: str

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define compute_mask")

    def apply_mask(self, module: Module) -> Tensor:
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(orig.dtype) * orig

    @classmethod
    def apply(
        cls, module: Module, name: str, *args: Any, importance_scores: Tensor | None = None, **kwargs: Any
    ):
        """Prune ``module.<name>`` with a new ``cls(*args, **kwargs)`` (combined with earlier pruning)."""
        old = None
        found = 0
        for k, hook in list(module._forward_pre_hooks.items()):
            h = hook[0] if isinstance(hook, tuple) else hook
            if isinstance(h, BasePruningMethod) and h._tensor_name == name:
                old, found = h, found + 1
                del module._forward_pre_hooks[k]
        if found > 1:
            raise AssertionError(
                f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}"
            )
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            container = old if isinstance(old, PruningContainer) else PruningContainer(old)
            container.add_pruning_method(method)
            method = container
        orig = getattr(module, name)
        scores = orig if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(orig.shape):
            raise ValueError(
                f"importance_scores should have the same shape as parameter {name} of {type(module).__name__}: "
                f"{tuple(scores.shape)} vs {tuple(orig.shape)}"
            )
        if old is None:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = autograd.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        with autograd.no_grad():
            mask = method.compute_mask(scores.detach(), default_mask=default_mask)
        module.register_buffer(name + "_mask", mask)
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None, importance_scores: Tensor | None = None):
        """``t`` with this method's mask applied (no module involved)."""
        scores = t if importance_scores is None else importance_scores
        mask = self.compute_mask(scores, default_mask if default_mask is not None else autograd.ones_like(t))
        return t * mask.to(t.dtype)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``module.<name>`` becomes a parameter holding ``orig * mask``."""
        name = self._tensor_name
        with autograd.no_grad():
            weight = self.apply_mask(module).detach()
        if name in module.__dict__:
            del module.__dict__[name]
        orig = module._parameters[name + "_orig"]
        orig._data = weight._data
        orig._vc[0] += 1
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        module.register_parameter(name, orig)


class PruningContainer(BasePruningMethod):
    """Successive prunings of one tensor: each new method acts only on what the earlier ones kept."""

    def __init__(self, *args: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        for m in args:
            self.add_pruning_method(m)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method).__name__} is not a BasePruningMethod subclass")
        if method is not None and self._pruning_methods and self._tensor_name != method._tensor_name:
            raise ValueError(
                f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' to "
                f"PruningContainer. Found '{method._tensor_name}'"
            )
        if method is not None:
            self._tensor_name = method._tensor_name
            self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx: int) -> BasePruningMethod:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        method = self._pruning_methods[-1]
        mask = default_mask
        if method.PRUNING_TYPE == "unstructured":
            keep = mask == 1
            new = mask.clone()
            new[keep] = method.compute_mask(t[keep], default_mask=mask[keep]).to(new.dtype)
            return new
        if method.PRUNING_TYPE == "structured":
            dim = method.dim % t.ndim  # type: ignore[attr-defined]
            others = tuple(d for d in range(t.ndim) if d != dim)
            alive = (mask.sum(dim=others) != 0).nonzero().reshape(-1)
            sub_t, sub_mask = t.index_select(dim, alive), mask.index_select(dim, alive)
            partial = method.compute_mask(sub_t, default_mask=sub_mask).to(mask.dtype)
            new = mask.clone()
            new.index_copy_(dim, alive, partial)
            return new
        if method.PRUNING_TYPE == "global":
            return method.compute_mask(t, default_mask=mask)
        raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")


class Identity(BasePruningMethod):
    """Prunes nothing (a mask of ones)."""

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> BasePruningMethod:  # type: ignore[override]
        return super().apply(module, name)


class _Unstructured(BasePruningMethod):
    """Zeros the ``amount`` entries of lowest ``_scores``."""

    def __init__(self, amount: float | int) -> None:
        _validate_amount_init(amount)
        self.amount = amount

    def _scores(self, t: Tensor) -> Tensor:
        raise NotImplementedError

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        k = _n_to_prune(self.amount, t.numel())
        mask = default_mask.clone()
        if k:
            mask.view(-1)[self._scores(t).reshape(-1).topk(k, largest=False).indices] = 0
        return mask


class RandomUnstructured(_Unstructured):
    """Zeros ``amount`` entries chosen at random."""

    def _scores(self, t: Tensor) -> Tensor:
        return autograd.rand(t.numel(), device=t.device)

    @classmethod
    def apply(cls, module: Module, name: str, amount: float | int) -> BasePruningMethod:  # type: ignore[override]
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Zeros the ``amount`` entries of smallest absolute value."""

    def _scores(self, t: Tensor) -> Tensor:
        return t.abs()

    @classmethod
    def apply(cls, module: Module, name: str, amount: float | int, importance_scores: Tensor | None = None):  # type: ignore[override]
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _Structured(BasePruningMethod):
    """Zeros the ``amount`` channels along ``dim`` of lowest ``_scores``."""

    PRUNING_TYPE = "structured"
    dim: int

    def _scores(self, t: Tensor, dim: int) -> Tensor:
        raise NotImplementedError

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        _check_structured(t)
        dim = self.dim % t.ndim
        size = t.shape[dim]
        k = _n_to_prune(self.amount, size)  # type: ignore[attr-defined]
        if k == 0:
            return default_mask
        keep = self._scores(t, dim).topk(size - k, largest=True).indices
        return _channel_mask(t, dim, keep) * default_mask.to(t.dtype)


class RandomStructured(_Structured):
    """Zeros ``amount`` whole channels along ``dim``, chosen at random."""

    def __init__(self, amount: float | int, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount, self.dim = amount, dim

    def _scores(self, t: Tensor, dim: int) -> Tensor:
        return autograd.rand(t.shape[dim], device=t.device)

    @classmethod
    def apply(cls, module: Module, name: str, amount: float | int, dim: int = -1) -> BasePruningMethod:  # type: ignore[override]
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_Structured):
    """Zeros the ``amount`` channels along ``dim`` of smallest ``n``-norm."""

    def __init__(self, amount: float | int, n: Any, dim: int = -1) -> None:
        _validate_amount_init(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def _scores(self, t: Tensor, dim: int) -> Tensor:
        return t.norm(p=self.n, dim=tuple(d for d in range(t.ndim) if d != dim))

    @classmethod
    def apply(  # type: ignore[override]
        cls,
        module: Module,
        name: str,
        amount: float | int,
        n: Any,
        dim: int,
        importance_scores: Tensor | None = None,
    ) -> BasePruningMethod:
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Applies a given mask."""

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise ValueError(
                f"custom_from_mask: mask of shape {tuple(self.mask.shape)} does not match the tensor's "
                f"{tuple(default_mask.shape)}"
            )
        return default_mask * self.mask.to(default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, mask: Tensor) -> BasePruningMethod:  # type: ignore[override]
        return super().apply(module, name, mask=mask)


def identity(module: Module, name: str) -> Module:
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: float | int) -> Module:
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(
    module: Module, name: str, amount: float | int, importance_scores: Tensor | None = None
) -> Module:
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: float | int, dim: int) -> Module:
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(
    module: Module, name: str, amount: float | int, n: Any, dim: int, importance_scores: Tensor | None = None
) -> Module:
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(
    parameters: Iterable[tuple[Module, str]],
    pruning_method: type,
    importance_scores: dict | None = None,
    **kwargs: Any,
) -> None:
    """Prune the given (module, name) tensors together: e.g. the 20% smallest weights of the whole network."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    scores = importance_scores or {}
    if not isinstance(scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    with autograd.no_grad():
        flat_scores = parameters_to_vector(
            [scores.get((m, n), getattr(m, n)).detach() for m, n in parameters]
        )
        default = parameters_to_vector(
            [getattr(m, n + "_mask", autograd.ones_like(getattr(m, n))).detach() for m, n in parameters]
        )
        method = pruning_method(**kwargs)
        if method.PRUNING_TYPE != "unstructured":
            raise TypeError(
                'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                f"{pruning_method} of type {method.PRUNING_TYPE}"
            )
        method._tensor_name = "temp"
        final = PruningContainer(method).compute_mask(flat_scores, default)
    start = 0
    for m, n in parameters:
        p = getattr(m, n)
        custom_from_mask(m, n, mask=final[start : start + p.numel()].reshape(p.shape))
        start += p.numel()


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``module.<name>`` permanent and drop its mask, hook and ``_orig`` copy."""
    for k, hook in list(module._forward_pre_hooks.items()):
        h = hook[0] if isinstance(hook, tuple) else hook
        if isinstance(h, BasePruningMethod) and h._tensor_name == name:
            h.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(
        f"Parameter '{name}' of module {type(module).__name__} has to be pruned before pruning can be removed"
    )


def is_pruned(module: Module) -> bool:
    """Whether any submodule of ``module`` carries a pruning hook."""
    for _, sub in module.named_modules():
        for hook in sub._forward_pre_hooks.values():
            h = hook[0] if isinstance(hook, tuple) else hook
            if isinstance(h, BasePruningMethod):
                return True
    return False
