"""Weight normalization (``torch.nn.utils.weight_norm``): ``w = g * v / ||v||``, with g and v learned.

The parameter ``name`` is replaced by ``name_g`` (the norms, one per slice along ``dim``) and ``name_v`` (the
direction); a forward pre-hook recomputes ``module.<name>`` from them before every call, so gradients reach g
and v through the usual graph.
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor

from ..parameter import Parameter

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dim but ``dim``, shaped to broadcast against v (dim -1: all dims)."""
    if dim == -1:
        return v.norm(pow)
    d = dim % v.ndim
    others = tuple(i for i in range(v.ndim) if i != d)
    return v.norm(pow, dim=others, keepdim=True) if others else v.abs()


class _WeightNorm:
    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim

    def compute_weight(self, module: Any) -> Tensor:
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, 2, self.dim))

    def __call__(self, module: Any, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def _hooks_of(module: Any, kind: type, name: str) -> list:
    """Keys of the module's forward pre-hooks that are ``kind`` reparameterizations of ``name``."""
    return [k for k, h in module._forward_pre_hooks.items() if isinstance(h[0], kind) and h[0].name == name]


def weight_norm(module: Any, name: str = "weight", dim: int | None = 0) -> Any:
    """Reparameterize ``module.<name>`` as ``g * v / ||v||`` (norms over every dim but ``dim``; ``None``: one
    norm for the whole tensor). Returns the module."""
    if _hooks_of(module, _WeightNorm, name):
        raise RuntimeError(
            f"weight_norm: cannot register two weight_norm hooks on the same parameter {name!r}"
        )
    weight = module._parameters.get(name)
    if not isinstance(weight, Parameter):
        raise ValueError(
            f"weight_norm: {type(module).__name__} has no parameter {name!r} (its parameters: "
            f"{', '.join(k for k, p in module._parameters.items() if p is not None)})"
        )
    dim = -1 if dim is None else dim
    if dim != -1 and not -weight.ndim <= dim < weight.ndim:
        raise IndexError(
            f"weight_norm: dim {dim} is out of range for a parameter of shape {tuple(weight.shape)}"
        )
    fn = _WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module: Any, name: str = "weight") -> Any:
    """Undo ``weight_norm``: ``module.<name>`` becomes a plain parameter again, holding the current weight."""
    keys = _hooks_of(module, _WeightNorm, name)
    if not keys:
        raise ValueError(f"remove_weight_norm: weight_norm of {name!r} not found in {type(module).__name__}")
    fn = module._forward_pre_hooks.pop(keys[0])[0]
    weight = fn.compute_weight(module).detach()
    del module._parameters[name + "_g"], module._parameters[name + "_v"]
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(weight))
    return module
