"""``functional_call`` (``torch.func.functional_call`` / ``torch.nn.utils.stateless``): run a module with other
tensors in place of its parameters and buffers, e.g. fast weights in meta-learning (MAML) or a model evaluated at
``params - lr * grads`` with the graph kept through the update."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from autograd import Tensor

from ..module import Module

__all__ = ["functional_call"]


def _tied_names(module: Module) -> dict[str, list[str]]:
    """Each parameter/buffer name -> every name the same tensor object has (tied weights)."""
    by_id: dict[int, list[str]] = {}
    for store in ("_parameters", "_buffers"):
        for name, t in module._named_members(store, "", True, remove_duplicate=False):
            by_id.setdefault(id(t), []).append(name)
    return {n: names for names in by_id.values() for n in names}


def _owner(module: Module, name: str) -> tuple[Module, str]:
    *path, leaf = name.split(".")
    mod = module
    for part in path:
        sub = mod._modules.get(part) if isinstance(mod, Module) else None
        if sub is None:
            raise AttributeError(f"{type(mod).__name__} has no attribute `{part}`")
        mod = sub
    return mod, leaf


@contextlib.contextmanager
def _reparametrize(module: Module, values: dict[str, Any], strict: bool, tie_weights: bool) -> Iterator[None]:
    known = _tied_names(module)
    values = dict(values)
    if tie_weights:
        for name in list(values):
            for other in known.get(name, ()):
                if other in values and values[other] is not values[name]:
                    tied = sorted(known[name])
                    raise ValueError(
                        f"functional_call got multiple values for keys {tied}, which are tied. Consider using "
                        "tie_weights=False"
                    )
                values[other] = values[name]
    if strict:
        missing = sorted(set(known) - set(values))
        unexpected = sorted(set(values) - set(known))
        if missing or unexpected:
            msg = "".join(
                f"\n\t{kind} key(s): {', '.join(repr(k) for k in keys)}."
                for kind, keys in (("Unexpected", unexpected), ("Missing", missing))
                if keys
            )
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:{msg}")
    undo: list[tuple[dict, str, Any, bool]] = []
    try:
        for name, value in values.items():
            mod, leaf = _owner(module, name)
            store = next((s for s in (mod._parameters, mod._buffers) if leaf in s), None)
            if store is None:  # not a parameter or buffer: a plain attribute for the call, as torch does
                store = mod.__dict__
            undo.append((store, leaf, store.get(leaf), leaf in store))
            store[leaf] = value
        yield
    finally:
        for store, leaf, old, had in reversed(undo):
            if had:
                store[leaf] = old
            else:
                store.pop(leaf, None)


def functional_call(
    module: Module,
    parameters_and_buffers: dict[str, Tensor] | Sequence[dict[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with the named tensors standing in for its parameters/buffers (restored
    afterwards, also on error). Gradients flow to the tensors passed in."""
    if isinstance(parameters_and_buffers, dict):
        values = parameters_and_buffers
    else:
        values = {}
        for d in parameters_and_buffers:
            dup = sorted(set(values) & set(d))
            if dup:
                raise ValueError(
                    f"{dup} appeared in multiple dictionaries; behavior of functional call is ambiguous"
                )
            values.update(d)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, values, strict, tie_weights):
        return module(*args, **(kwargs or {}))
