"""Spectral normalization (``torch.nn.utils.spectral_norm``): ``w = w_orig / sigma(w_orig)``, the largest
singular value estimated by power iteration (GAN discriminators, Lipschitz-bounded layers).

``name`` becomes ``name_orig`` (the learned parameter) plus the buffers ``name_u`` and ``name_v`` (the power
iteration's singular vectors). Before every forward, a pre-hook runs ``n_power_iterations`` steps (in training
mode only, without gradient, updating u and v in place) and sets ``module.<name> = w_orig / (u . W v)``, so
the gradient flows through sigma as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import autograd
from autograd import Tensor

from .._functional.misc import normalize
from ..parameter import Parameter
from .weight_norm import _hooks_of

__all__ = ["spectral_norm", "remove_spectral_norm"]


class _SpectralNorm:
    def __init__(self, name: str, n_power_iterations: int, dim: int, eps: float) -> None:
        self.name = name
        self.n_power_iterations = n_power_iterations
        self.dim = dim
        self.eps = eps

    def matrix(self, weight: Tensor) -> Tensor:
        """The weight as a (size along ``dim``, rest) matrix."""
        w = weight if self.dim == 0 else weight.movedim(self.dim, 0)
        return w.reshape(w.shape[0], -1)

    def compute_weight(self, module: Any, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        w = self.matrix(weight)
        if do_power_iteration:
            with autograd.no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(w.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(normalize(w.mv(v), dim=0, eps=self.eps))
            # the graph must not see later in-place updates of u and v
            u, v = u.clone(), v.clone()
        sigma = autograd.dot(u, w.mv(v))
        return weight / sigma

    def __call__(self, module: Any, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))


def spectral_norm(
    module: Any, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim: int | None = None
) -> Any:
    """Divide ``module.<name>`` by its spectral norm before every forward (``dim``: the output dim, 0 except for
    ConvTranspose, where it is 1). Returns the module."""
    if _hooks_of(module, _SpectralNorm, name):
        raise RuntimeError(
            f"spectral_norm: cannot register two spectral_norm hooks on the same parameter {name!r}"
        )
    if n_power_iterations < 0:
        raise ValueError(
            f"spectral_norm: expected n_power_iterations to be non-negative, but got n_power_iterations="
            f"{n_power_iterations}"
        )
    weight = module._parameters.get(name)
    if not isinstance(weight, Parameter):
        raise ValueError(
            f"spectral_norm: {type(module).__name__} has no parameter {name!r} (its parameters: "
            f"{', '.join(k for k, p in module._parameters.items() if p is not None)})"
        )
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    fn = _SpectralNorm(name, n_power_iterations, dim % max(weight.ndim, 1), eps)
    h, w = fn.matrix(weight).shape
    with autograd.no_grad():
        u = normalize(autograd.randn(h, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
        v = normalize(autograd.randn(w, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Any, name: str = "weight") -> Any:
    """Undo ``spectral_norm``: ``module.<name>`` becomes a plain parameter holding the normalized weight."""
    keys = _hooks_of(module, _SpectralNorm, name)
    if not keys:
        raise ValueError(
            f"remove_spectral_norm: spectral_norm of {name!r} not found in {type(module).__name__}"
        )
    fn = module._forward_pre_hooks.pop(keys[0])[0]
    with autograd.no_grad():
        weight = fn.compute_weight(module, do_power_iteration=False)
    del module._parameters[name + "_orig"], module._buffers[name + "_u"], module._buffers[name + "_v"]
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(weight.detach()))
    return module
