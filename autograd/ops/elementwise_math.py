"""More elementwise primitives: inverse trig/hyperbolic, atan2, hypot, logaddexp, logit, xlogy/xlog1py, sinc,
fmax/fmin, heaviside. Forward on backend arrays, backward with Tensor ops (so twice differentiable).

Inputs are Tensors of one floating dtype (the public functions in ``autograd/math_ops.py`` promote and
convert scalars first); forwards silence NumPy's inf/nan warnings, as CuPy is silent.
"""

from __future__ import annotations

import math

from .base import Primitive

_LN2 = math.log(2.0)


class _XpUnary(Primitive):
    """``y = xp.<fn>(x)`` (``backend.<fn>(x)``, a backend kernel, with ``on_backend``); subclasses give the
    backward rule."""

    fn = ""
    on_backend = False
    _saved_inputs = (0,)

    @classmethod
    def forward(cls, ctx, a):
        b = ctx.backend(a)
        with b.errstate():
            return getattr(b if cls.on_backend else b.xp, cls.fn)(a)


class _XpBinary(Primitive):
    """``y = xp.<fn>(a, b)``; subclasses give the backward rule."""

    fn = ""
    _saved_inputs = (0, 1)

    @classmethod
    def forward(cls, ctx, a, b):
        be = ctx.backend(a, b)
        with be.errstate():
            return getattr(be.xp, cls.fn)(a, b)


class Asin(_XpUnary):
    fn = "arcsin"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * (1 - x * x).rsqrt()


class Acos(_XpUnary):
    fn = "arccos"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return -g * (1 - x * x).rsqrt()


class Atan(_XpUnary):
    fn = "arctan"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g / (x * x + 1)


class Asinh(_XpUnary):
    fn = "arcsinh"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * (x * x + 1).rsqrt()


class Acosh(_XpUnary):
    fn = "arccosh"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * (x * x - 1).rsqrt()


class Atanh(_XpUnary):
    fn = "arctanh"

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g / (1 - x * x)


class Sinc(_XpUnary):
    """sin(pi x) / (pi x), 1 at 0; the gradient at 0 is 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx, a):
        b = ctx.backend(a)
        xp = b.xp
        with b.errstate():
            p = a * math.pi
            r = xp.sin(p) / p
            return xp.where(a == 0, 1, r).astype(r.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        zero = x.eq(0)
        xs = x.masked_fill(zero, 1.0)  # keeps 0/0 out of this and of the double backward
        p = xs * math.pi
        d = (p * p.cos() - p.sin()) / (p * xs)
        return (g * d).masked_fill(zero, 0.0)


class Logit(Primitive):
    """log(z / (1 - z)), z = x clamped to [eps, 1 - eps] when eps is given (PyTorch's rule: below eps
    gives eps, else above 1 - eps gives 1 - eps). Gradient: NaN outside [0, 1] without eps, 0 outside
    [eps, 1 - eps] with it."""

    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, x, eps=None):
        b = ctx.backend(x)
        xp = b.xp
        with b.errstate():
            z = x
            if eps is not None:
                ft = x.dtype if x.dtype.kind == "f" else "float64"  # an integer x_ then fails the cast check
                z = xp.where(x < eps, eps, xp.where(x > 1 - eps, 1 - eps, x)).astype(ft, copy=False)
            return xp.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        x, eps = ctx.inputs
        lo, hi = (0.0, 1.0) if eps is None else (eps, 1 - eps)
        out = x.lt(lo).logical_or(x.gt(hi))
        xs = x.masked_fill(out, 0.5)
        return (g / (xs * (1 - xs))).masked_fill(out, math.nan if eps is None else 0.0), None


class Atan2(_XpBinary):
    """atan2(a, b), the angle of the point (b, a); gradient 0 at the origin (as PyTorch)."""

    fn = "arctan2"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        d = a * a + b * b
        d = d.masked_fill(d.eq(0), 1.0)  # at the origin a = b = 0, so both gradients are 0
        return (g * b / d if n[0] else None), (-g * a / d if n[1] else None)


class Hypot(_XpBinary):
    fn = "hypot"
    _saves_output = True

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        r = ctx.output()
        return (g * a / r if n[0] else None), (g * b / r if n[1] else None)


class Logaddexp(_XpBinary):
    """log(exp(a) + exp(b)) without overflow; the gradients are sigmoids of a - b."""

    fn = "logaddexp"
    scale = None  # logaddexp2: the gradients are sigmoids of (a - b) * ln 2

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        d = a - b if cls.scale is None else (a - b) * cls.scale
        return (g * d.sigmoid() if n[0] else None), (g * (-d).sigmoid() if n[1] else None)


class Logaddexp2(Logaddexp):
    """log2(2**a + 2**b) without overflow."""

    fn = "logaddexp2"
    scale = _LN2


class Xlogy(Primitive):
    """x * log(y), 0 where x == 0 (unless y is NaN); there the gradient w.r.t. y is 0 too (PyTorch gives
    NaN at x == y == 0)."""

    _saved_inputs = (0, 1)
    log_fn = "log"
    pole = 0.0  # where the log's argument ends: y <= pole gives -inf / NaN

    @classmethod
    def forward(cls, ctx, x, y):
        be = ctx.backend(x, y)
        xp = be.xp
        with be.errstate():
            out = x * getattr(xp, cls.log_fn)(y)
            return xp.where((x == 0) & ~xp.isnan(y), 0, out).astype(out.dtype, copy=False)

    @classmethod
    def backward(cls, ctx, g):
        from ..methods import where

        x, y = ctx.inputs
        n = ctx.needs_input_grad
        zero = x.eq(0)
        gx = gy = None
        if n[0]:  # log(y), but 0 where x == 0 and y <= pole (as PyTorch)
            gx = g * getattr(where(zero.logical_and(y.le(cls.pole)), cls.pole + 1.0, y), cls.log_fn)()
        if n[1]:  # x / (y - pole), 0 where x == 0 (y == pole included) unless y is NaN
            d = y if cls.pole == 0.0 else y - cls.pole
            gy = g * x / where(zero.logical_and(y.isnan().logical_not()), 1.0, d)
        return gx, gy


class Xlog1py(Xlogy):
    """x * log1p(y), 0 where x == 0 (unless y is NaN); the gradients follow xlogy's rules (the gradient
    w.r.t. y is 0 where x == 0, PyTorch gives NaN at x == 0, y == -1)."""

    log_fn = "log1p"
    pole = -1.0


class Fmax(_XpBinary):
    """Elementwise max ignoring NaN; the gradient goes to ``a`` where a >= b or b is NaN (as PyTorch)."""

    fn = "fmax"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return _fminmax_grads(g, a.ge(b).logical_or(b.isnan()), ctx.needs_input_grad)


class Fmin(_XpBinary):
    """Elementwise min ignoring NaN; the gradient goes to ``a`` where a <= b or b is NaN (as PyTorch)."""

    fn = "fmin"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return _fminmax_grads(g, a.le(b).logical_or(b.isnan()), ctx.needs_input_grad)


def _fminmax_grads(g, a_wins, needs):
    ga = g.masked_fill(a_wins.logical_not(), 0.0) if needs[0] else None
    gb = g.masked_fill(a_wins, 0.0) if needs[1] else None
    return ga, gb


class Heaviside(Primitive):
    """0 where x < 0, ``values`` where x == 0, 1 where x > 0 (NaN gives 0, as PyTorch); no gradient."""

    @staticmethod
    def forward(ctx, x, values):
        xp = ctx.backend_xp(x, values)
        return xp.where(x == 0, values, x > 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("heaviside: the derivative is not implemented (as in PyTorch)")
