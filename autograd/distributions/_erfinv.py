"""Inverse error function for Normal.icdf: ``autograd.erfinv`` where the library has it, else a
differentiable fallback (Winitzki's closed-form start, three Newton steps on the backend's erf)."""

from __future__ import annotations

import math

from ..ops.base import Primitive
from ..tensor import Tensor


class _Erfinv(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, y):
        be = ctx.backend(y)
        xp = be.xp
        with be.errstate():
            v = y.astype("float64")
            a = 0.147
            ln = xp.log1p(-v * v)
            t = 2 / (math.pi * a) + 0.5 * ln
            x = xp.sign(v) * xp.sqrt(xp.sqrt(t * t - ln / a) - t)
            for _ in range(3):
                step = (be.erf(x) - v) / (2 / math.sqrt(math.pi) * xp.exp(-x * x))
                x = xp.where(xp.isfinite(step), x - step, x)
            x = xp.where(v == 1, xp.inf, xp.where(v == -1, -xp.inf, x))
            x = xp.where(xp.abs(v) > 1, xp.nan, x)
        return x.astype(y.dtype)

    @staticmethod
    def backward(ctx, g):
        x = ctx.output()
        return g * (math.sqrt(math.pi) / 2) * (x * x).exp()


def erfinv(y: Tensor) -> Tensor:
    """The x with erf(x) = y (y in [-1, 1]; +-inf at the ends, NaN outside)."""
    lib = getattr(Tensor, "erfinv", None)
    return lib(y) if lib is not None else _Erfinv.apply(y)
