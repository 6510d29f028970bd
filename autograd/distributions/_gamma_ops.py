"""Differentiable gamma-family primitives for the distributions: standard-gamma draws reparameterized
implicitly (dx/da = -(dP/da) / p(x), the backend's ``standard_gamma_grad``) and the regularized lower
incomplete gamma P(a, x) used by Gamma.cdf."""

from __future__ import annotations

from ..ops.base import Primitive, const
from ..tensor import Tensor


class _StandardGamma(Primitive):
    """Returns the given draws ``x`` of Gamma(alpha, 1); backward is ``g * dx/dalpha`` at fixed quantile."""

    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, alpha, x):
        return x

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.inputs
        return g * const(alpha, alpha.backend.standard_gamma_grad(alpha._data, x._data)), None


class _GammaInc(Primitive):
    """P(a, x); its derivative in x is the Gamma(a, 1) density, in a -p(x) dx/da (treated as a constant)."""

    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, x):
        return ctx.backend(a, x).gammainc(a, x)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.inputs
        xs = x.clamp(min=float(x.backend.xp.finfo(x._data.dtype).tiny))
        pdf = ((a - 1) * xs.log() - xs - a.lgamma()).exp() * (x > 0).to(x.dtype)
        ga = None
        if a.requires_grad:
            dxda = const(a, a.backend.standard_gamma_grad(a.detach()._data, xs.detach()._data))
            ga = -g * pdf.detach() * dxda
        return ga, g * pdf


def standard_gamma(alpha: Tensor) -> Tensor:
    """Gamma(alpha, 1) draws on alpha's device (kept >= the dtype's tiny), differentiable in alpha."""
    be = alpha.backend
    tiny = float(be.xp.finfo(alpha._data.dtype).tiny)
    draws = be.standard_gamma(alpha._data, alpha._data.dtype, device=alpha.device)
    x = const(alpha, be.xp.maximum(draws, tiny))
    return _StandardGamma.apply(alpha, x)


def gammainc(a: Tensor, x: Tensor) -> Tensor:
    """The regularized lower incomplete gamma of two tensors of one shape."""
    return _GammaInc.apply(a, x)


def standard_gamma_grad(alpha: Tensor, x: Tensor) -> Tensor:
    """dx/dalpha of standard-gamma draws ``x`` (``torch._standard_gamma_grad``), a constant tensor."""
    return const(alpha, alpha.backend.standard_gamma_grad(alpha._data, x._data))
