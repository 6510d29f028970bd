"""Special-function primitives: the gamma family, erfc/erfcx/erfinv, the normal CDF and its inverse and
log, modified Bessel I0/I1, entr and exp2. Forwards call the backend's special kernels; backwards are
Tensor ops built from these same primitives, so every order of derivative works.

Inputs are floating Tensors (the public functions in ``autograd/special.py`` promote integers first).
"""

from __future__ import annotations

import math

from .base import Primitive
from .elementwise_math import _XpUnary

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SQRT1_2 = math.sqrt(0.5)
_LN2 = math.log(2.0)


class _Kernel(_XpUnary):
    """``y = backend.<fn>(x)``, a special-function kernel; subclasses give the backward rule."""

    on_backend = True


class Lgamma(_Kernel):
    fn = "lgamma"

    @staticmethod
    def backward(ctx, g):
        return g * Digamma.apply(ctx.inputs[0])


class Digamma(_Kernel):
    fn = "digamma"

    @staticmethod
    def backward(ctx, g):
        return g * Polygamma.apply(ctx.inputs[0], 1)


class Polygamma(Primitive):
    """The n-th derivative of digamma; its derivative is polygamma(n + 1)."""

    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a, n):
        return ctx.backend(a).polygamma(n, a)

    @staticmethod
    def backward(ctx, g):
        x, n = ctx.inputs
        return g * Polygamma.apply(x, n + 1), None


class Erfc(_Kernel):
    fn = "erfc"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * (-_TWO_OVER_SQRT_PI) * (-x * x).exp()


class Erfcx(_Kernel):
    """exp(x^2) erfc(x); derivative 2 x erfcx(x) - 2 / sqrt(pi)."""

    fn = "erfcx"
    _saves_output = True

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.inputs[0], ctx.output()
        return g * (2 * x * y - _TWO_OVER_SQRT_PI)


class Erfinv(_Kernel):
    """Inverse of erf; derivative sqrt(pi)/2 exp(erfinv(x)^2)."""

    fn = "erfinv"
    _saved_inputs = ()
    _saves_output = True

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return g * (0.5 * _SQRT_PI) * (y * y).exp()


class Ndtr(_Kernel):
    """The standard normal CDF; derivative the normal density."""

    fn = "ndtr"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * (x * x * -0.5).exp() * (1.0 / _SQRT_2PI)


class Ndtri(_Kernel):
    """Inverse of the normal CDF; derivative sqrt(2 pi) exp(ndtri(p)^2 / 2)."""

    fn = "ndtri"
    _saved_inputs = ()
    _saves_output = True

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return g * _SQRT_2PI * (y * y * 0.5).exp()


class LogNdtr(_Kernel):
    """log Phi(x); derivative phi(x) / Phi(x) = sqrt(2/pi) / erfcx(-x / sqrt 2), finite far into both tails."""

    fn = "log_ndtr"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * _SQRT_2_OVER_PI / Erfcx.apply(x * -_SQRT1_2)


class I0(_Kernel):
    fn = "i0"

    @staticmethod
    def backward(ctx, g):
        return g * I1.apply(ctx.inputs[0])


class I0e(_Kernel):
    """exp(-|x|) I0(x); derivative i1e(x) - sgn(x) i0e(x)."""

    fn = "i0e"
    _saves_output = True

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * (I1e.apply(x) - x.sign() * ctx.output())


class I1(_Kernel):
    """Derivative i0(x) - i1(x) / x, 1/2 at 0."""

    fn = "i1"
    _saves_output = True

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        zero = x.eq(0)
        d = I0.apply(x) - ctx.output() / x.masked_fill(zero, 1.0)
        return g * d.masked_fill(zero, 0.5)


class I1e(_Kernel):
    """exp(-|x|) I1(x); derivative i0e(x) - i1e(x) (sgn(x) + 1/x), 1/2 at 0."""

    fn = "i1e"
    _saves_output = True

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        zero = x.eq(0)
        d = I0e.apply(x) - ctx.output() * (x.sign() + 1 / x.masked_fill(zero, 1.0))
        return g * d.masked_fill(zero, 0.5)


class Entr(Primitive):
    """-x log x for x > 0, 0 at 0, -inf below; derivative -(1 + log x) (inf at 0, NaN below, as PyTorch)."""

    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        be = ctx.backend(a)
        xp = be.xp
        with be.errstate():
            out = xp.where(a > 0, -a * xp.log(a), xp.where(a == 0, 0.0, -math.inf))
            return xp.where(xp.isnan(a), a, out).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * -(1 + ctx.inputs[0].log())


class Exp2(Primitive):
    """2**x, exact at integers (``xp.exp2``); derivative 2**x ln 2."""

    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        be = ctx.backend(a)
        with be.errstate():
            return be.xp.exp2(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.output() * _LN2
