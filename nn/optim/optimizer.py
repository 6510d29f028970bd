"""Optimizer base: parameter groups with per-group options, per-parameter state, state_dict, hooks.

The layout of ``state_dict()`` is PyTorch's: ``{'state': {index: {...}}, 'param_groups':
[{..., 'params': [indices]}]}`` where indices number the parameters across groups in order.
"""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import autograd
from autograd import Tensor
from autograd.tensor import RemovableHandle

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a default that every parameter group must set itself."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _hooked_step(step: Callable) -> Callable:
    """Wrap a ``step`` method so that it runs the step pre/post hooks around it."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._optimizer_step_pre_hooks):
            out = hook(self, args, kwargs)
            if out is not None:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(
                        f"{type(self).__name__}.step: a step pre-hook must return None or (args, kwargs), "
                        f"got {out!r}"
                    )
                args, kwargs = out
        self._opt_called = True
        result = step(self, *args, **kwargs)
        for hook in list(self._optimizer_step_post_hooks):
            hook(self, args, kwargs)
        return result

    wrapper._hooked = True  # type: ignore[attr-defined]
    return wrapper


class Optimizer:
    """Base of all optimizers: ``param_groups`` (each a dict of options plus 'params') and ``state``.

    Subclasses implement ``_update_group(group)`` (or override ``step`` as in PyTorch).
    """

    # state entries stored as Python floats rather than tensors (PyTorch keeps them as 0-d tensors)
    _scalar_state: tuple[str, ...] = ("step",)

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: list[Callable] = []
        self._optimizer_step_post_hooks: list[Callable] = []
        cls = type(self)
        if not getattr(cls.step, "_hooked", False):
            cls.step = _hooked_step(cls.step)
        if isinstance(params, Tensor):
            raise TypeError(
                f"{cls.__name__}: params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got a {type(params).__name__}; pass [tensor] or model.parameters()"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError(f"{cls.__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ---- parameter groups ------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing options take the defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}.add_param_group: param_group must be a dict, but got {type(param_group)}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: param_group must have a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                f"{name}: optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    f"{name}: all optimizer params should be with/without names. Some param names are missing"
                )
            group["param_names"] = names
        group["params"] = tensors
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: optimizer can only optimize Tensors, but one of the params is {type(p).__name__}"
                )
            if not (p.is_leaf or p.retains_grad):
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor")
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{name}: parameter group didn't specify a value of required optimization parameter {key}"
                )
            group.setdefault(key, default)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn(
                f"{name}: optimizer contains a parameter group with duplicate parameters", stacklevel=3
            )
        seen: set[int] = set()
        for g in self.param_groups:
            seen.update(id(p) for p in g["params"])
            if ("param_names" in g) != ("param_names" in group):
                kind = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    f"{name}: all optimizer param groups should be with/without names. "
                    f"cannot add param group {kind} to the optimizer"
                )
        if any(id(p) in seen for p in tensors):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ---- stepping --------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; ``closure`` re-evaluates the loss."""
        loss = None
        if closure is not None:
            with autograd.enable_grad():
                loss = closure()
        with autograd.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict[str, Any]) -> None:
        raise TypeError(f"{type(self).__name__} must override step() or _update_group()")

    def _grads(
        self, group: dict[str, Any], stateful: bool = True
    ) -> Iterator[tuple[Tensor, Any, Any, dict[str, Any] | None]]:
        """(param, param array, grad array, state) for each parameter of the group that has a grad.

        ``stateful=False`` gives None for the state and creates no entry (momentum-free SGD keeps none).
        """
        state = self.state
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            pa, ga = p._data, g._data
            if type(ga) is not type(pa) or ga.shape != pa.shape:
                raise RuntimeError(
                    f"{type(self).__name__}.step: a parameter of shape {tuple(pa.shape)} on {p.device} has "
                    f"a gradient of shape {tuple(ga.shape)} on {g.device}; they must match"
                )
            yield p, pa, ga, state[p] if stateful else None

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    # ---- hooks -----------------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` before each step; may return new (args, kwargs)."""
        self._optimizer_step_pre_hooks.append(hook)
        return RemovableHandle(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after each step."""
        self._optimizer_step_post_hooks.append(hook)
        return RemovableHandle(self._optimizer_step_post_hooks, hook)

    # ---- state dict ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout; tensors are references, not copies."""
        index: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): dict(v) for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict()``; state tensors are copied to each param."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' entries"
            )
        groups = self.param_groups
        saved_groups = [
            {k: (list(v) if isinstance(v, list) else v) for k, v in g.items()}
            for g in state_dict["param_groups"]
        ]
        if len(groups) != len(saved_groups):
            raise ValueError(
                f"{name}.load_state_dict: loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        for i, (g, sg) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group that doesn't match "
                    f"the size of optimizer's group: group {i} has {len(sg['params'])} saved parameters, "
                    f"the optimizer has {len(g['params'])}"
                )
        id_map = {
            _as_index(k): p for sg, g in zip(saved_groups, groups) for k, p in zip(sg["params"], g["params"])
        }
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            p = id_map.get(_as_index(k))
            if p is None:
                state[k] = v
            else:
                state[p] = {key: self._cast_state(p, key, val) for key, val in v.items()}
        new_groups = []
        for g, sg in zip(groups, saved_groups):
            for key, value in list(sg.items()):
                if isinstance(value, list) and isinstance(g.get(key), tuple):
                    sg[key] = tuple(value)
            sg["params"] = g["params"]
            if "param_names" in g and "param_names" not in sg:
                sg["param_names"] = g["param_names"]
            for key, default in self.defaults.items():
                sg.setdefault(key, g.get(key, default))
            new_groups.append(sg)
        self.state = state
        self.param_groups = new_groups

    def _cast_state(self, p: Tensor, key: Any, value: Any) -> Any:
        """A private copy of a saved state value, on the parameter's device (and dtype, if floating)."""
        if key in self._scalar_state:
            return float(value.item() if isinstance(value, Tensor) else value)
        if isinstance(value, Tensor):
            v = value.detach()
            dtype = p.dtype if v.is_floating_point() else None
            out = v.to(device=p.device, dtype=dtype)
            return out.clone() if out._data is value._data else out
        if isinstance(value, dict):
            return {k: self._cast_state(p, k, v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state(p, None, v) for v in value)
        if hasattr(value, "__array__") and hasattr(value, "dtype") and hasattr(value, "shape"):
            kind = getattr(value.dtype, "kind", "")
            return autograd.tensor(value, dtype=p.dtype if kind == "f" else None, device=p.device)
        return value

    def __repr__(self) -> str:
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"


def _as_index(key: Any) -> Any:
    """Saved parameter indices may come back as strings (JSON keys); map them to ints."""
    if isinstance(key, str) and key.lstrip("-").isdigit():
        return int(key)
    return key


def _zeros(p: Tensor, fill: float = 0.0) -> Tensor:
    """A state tensor shaped like ``p`` on its device (never part of a graph)."""
    if fill == 0.0:
        return autograd.zeros_like(p)
    return autograd.full_like(p, fill)


def _check(cond: bool, opt: str, what: str, value: Any) -> None:
    """Raise PyTorch's option-validation error when ``cond`` is false."""
    if not cond:
        raise ValueError(f"{opt}: invalid {what}: {value}")


def _no_differentiable(opt: str, differentiable: bool) -> None:
    if differentiable:
        raise ValueError(
            f"{opt}: differentiable=True is not supported; embergrad optimizers update parameters in place "
            "outside the autograd graph"
        )
