"""state_dict / load_state_dict: a module tree's parameters and persistent buffers by dotted name."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, NamedTuple

from autograd import Tensor, no_grad

if TYPE_CHECKING:
    from .module import Module


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


def state_dict(module: Module, destination: Any = None, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
    out = OrderedDict() if destination is None else destination
    for mod_prefix, mod in module.named_modules(prefix=prefix.rstrip(".")):
        p = mod_prefix + "." if mod_prefix else ""
        for k, v in mod._parameters.items():
            if v is not None:
                out[p + k] = v if keep_vars else v.detach()
        for k, v in mod._buffers.items():
            if v is not None and k not in mod._non_persistent:
                out[p + k] = v if keep_vars else v.detach()
        extra = getattr(type(mod), "get_extra_state", None)
        if extra is not None:
            out[p + "_extra_state"] = mod.get_extra_state()
    return out


def load_state_dict(module: Module, sd: Any, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
    """Copy tensors from ``sd`` into the module's parameters/buffers (by name), checking keys and shapes."""
    if not hasattr(sd, "keys"):
        raise TypeError(f"load_state_dict: expected a mapping of names to tensors, got {type(sd).__name__}")
    own = state_dict(module, keep_vars=True)
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    errors = []
    if strict:
        if unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
    for k, target in own.items():
        if k not in sd or not isinstance(target, Tensor):
            continue
        src = sd[k]
        if not isinstance(src, Tensor):
            try:
                import autograd

                src = autograd.tensor(src)
            except (TypeError, ValueError):
                errors.append(f'While copying the parameter named "{k}", expected a tensor but got '
                              f"{type(src).__name__}.")
                continue
        if tuple(src.shape) != tuple(target.shape):
            errors.append(f"size mismatch for {k}: copying a param with shape {tuple(src.shape)} from checkpoint, "
                          f"the shape in current model is {tuple(target.shape)}.")
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(module).__name__}:\n\t" + "\n\t".join(errors))
    with no_grad():
        for k, target in own.items():
            if k in sd and isinstance(target, Tensor):
                src = sd[k] if isinstance(sd[k], Tensor) else __import__("autograd").tensor(sd[k])
                if assign:
                    target._data = src.to(target.device)._data
                else:
                    target.copy_(src)
    return IncompatibleKeys(missing, unexpected)
