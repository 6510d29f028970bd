"""state_dict / load_state_dict: a module tree's parameters and persistent buffers by dotted name.

Loading is all-or-nothing: every key, shape and value is checked before the first copy, so a failed
load leaves the model untouched.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

from autograd import Tensor, no_grad

if TYPE_CHECKING:
    from .module import Module

_EXTRA = "_extra_state"
_local = threading.local()  # the pending copies of the load in progress


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: keys the model expected but did not get, and the reverse."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"

    __str__ = __repr__


def _has_extra_state(mod: Module) -> bool:
    from .module import Module

    return type(mod).get_extra_state is not Module.get_extra_state


def save_to_state_dict(mod: Module, destination: Any, prefix: str, keep_vars: bool) -> None:
    """One module's own entries (what ``Module._save_to_state_dict`` does)."""
    for k, v in mod._parameters.items():
        if v is not None:
            destination[prefix + k] = v if keep_vars else v.detach()
    for k, v in mod._buffers.items():
        if v is not None and k not in mod._non_persistent_buffers_set:
            destination[prefix + k] = v if keep_vars else v.detach()
    if _has_extra_state(mod):
        destination[prefix + _EXTRA] = mod.get_extra_state()


def state_dict(module: Module, destination: Any = None, prefix: str = "", keep_vars: bool = False) -> Any:
    """The whole tree's entries in registration order; a module shared under two names appears under both."""
    out = OrderedDict() if destination is None else destination
    meta = getattr(out, "_metadata", None)
    if meta is None and isinstance(out, OrderedDict):
        meta = out._metadata = OrderedDict()
    stack = [(prefix, module)]
    while stack:
        p, mod = stack.pop()
        if meta is not None:
            meta[p[:-1]] = {"version": mod._version}
        mod._save_to_state_dict(out, p, keep_vars)
        stack.extend(reversed([(p + name + ".", m) for name, m in mod._modules.items() if m is not None]))
    return out


def _as_tensor(x: Any) -> Tensor | None:
    """A Tensor for what a checkpoint may hold: our Tensor, a NumPy array, or anything with ``__array__``."""
    if isinstance(x, Tensor):
        return x
    if hasattr(x, "__array__") and hasattr(x, "shape"):
        import numpy as np

        import autograd

        arr = np.asarray(x)  # host data from a checkpoint (e.g. a torch tensor), not a tensor's data
        try:
            return autograd.tensor(arr)
        except (TypeError, ValueError):
            return None
    return None


def load_from_state_dict(
    mod: Module,
    sd: Any,
    prefix: str,
    local_metadata: dict,
    missing_keys: list,
    unexpected_keys: list,
    error_msgs: list,
) -> None:
    """One module's part of a load (``Module._load_from_state_dict``): check its keys, queue its copies."""
    pending = getattr(_local, "pending", None)
    assign = bool(local_metadata.get("assign_to_params_buffers", False))
    local = [(k, v) for k, v in mod._parameters.items() if v is not None]
    local += [
        (k, v) for k, v in mod._buffers.items() if v is not None and k not in mod._non_persistent_buffers_set
    ]
    for name, target in local:
        key = prefix + name
        if key not in sd:
            missing_keys.append(key)
            continue
        src = _as_tensor(sd[key])
        if src is None:
            error_msgs.append(
                f'While copying the parameter named "{key}", expected Tensor or Tensor-like object from '
                f"checkpoint but received {type(sd[key]).__name__}"
            )
            continue
        if target.ndim == 0 and src.ndim == 1 and src.shape[0] == 1:
            src = src[0]  # PyTorch's backward compatibility for 0-d params saved as (1,)
        if tuple(src.shape) != tuple(target.shape):
            error_msgs.append(
                f"size mismatch for {key}: copying a param with shape {tuple(src.shape)} from checkpoint, "
                f"the shape in current model is {tuple(target.shape)}."
            )
            continue
        if pending is not None:
            pending.append((mod, name, target, src, assign))
    extra = prefix + _EXTRA
    if _has_extra_state(mod):
        if extra in sd:
            if pending is not None:
                pending.append((mod, _EXTRA, None, sd[extra], assign))
        else:
            missing_keys.append(extra)
    local_names = {k for k, _ in local}
    for key in sd:
        if key.startswith(prefix) and key != extra:
            first = key[len(prefix) :].split(".", 1)[0]
            if first not in mod._modules and first not in local_names:
                unexpected_keys.append(key)


def _copy(mod: Module, name: str, target: Tensor | None, src: Any, assign: bool) -> None:
    if name == _EXTRA and target is None:
        mod.set_extra_state(src)
        return
    if not assign:
        target.copy_(src)
        return
    from .parameter import Parameter

    new = src.to(target.device)
    if name in mod._parameters:
        p = Parameter(new.detach(), requires_grad=target.requires_grad)
        mod._parameters[name] = p
    else:
        mod._buffers[name] = new.detach()


def load_state_dict(module: Module, sd: Any, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
    """Copy tensors from ``sd`` into the module's parameters/buffers by name (PyTorch's rules and messages)."""
    if not hasattr(sd, "keys") or not hasattr(sd, "__getitem__"):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(sd).__name__}.")
    metadata = getattr(sd, "_metadata", None)
    sd = OrderedDict(sd)
    missing: list[str] = []
    unexpected: list[str] = []
    errors: list[str] = []
    pending: list = []
    _local.pending = pending
    try:
        stack = [(module, sd, "")]
        while stack:
            mod, local_sd, prefix = stack.pop()
            local_meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_meta["assign_to_params_buffers"] = True
            mod._load_from_state_dict(local_sd, prefix, local_meta, True, missing, unexpected, errors)
            for name, child in reversed(list(mod._modules.items())):
                if child is not None:
                    cp = prefix + name + "."
                    stack.append((child, {k: v for k, v in local_sd.items() if k.startswith(cp)}, cp))
    finally:
        _local.pending = None
    if strict:
        if unexpected:
            errors.insert(
                0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". "
            )
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
    if errors:
        raise RuntimeError(
            f"Error(s) in loading state_dict for {module._get_name()}:\n\t" + "\n\t".join(errors)
        )
    with no_grad():
        for item in pending:
            _copy(*item)
    return IncompatibleKeys(missing, unexpected)
