"""Elementwise primitives: arithmetic, unary math, and their backward rules side by side."""

from __future__ import annotations

import math
from typing import Any

from ..tensor import _BY_TYPE, Tensor
from .base import Primitive

# backward_raw: the same rule on raw arrays, used when no higher-order graph is being built.

# ---- binary arithmetic ---------------------------------------------------------------------------


class Add(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g

    @staticmethod
    def backward_raw(ctx, g):
        return g, g


class Sub(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g

    @staticmethod
    def backward_raw(ctx, g):
        return g, -g


class Mul(Primitive):
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        return (g * b if n[0] else None), (g * a if n[1] else None)

    @staticmethod
    def backward_raw(ctx, g):
        a, b = ctx.inputs
        if isinstance(b, Tensor):
            if isinstance(a, Tensor):
                return (g * b._data if a.requires_grad else None), (g * a._data if b.requires_grad else None)
            return None, g * a
        return g * b, None


class Div(Primitive):
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        ga = g / b if n[0] else None
        gb = -g * a / (b * b) if n[1] else None
        return ga, gb

    @staticmethod
    def backward_raw(ctx, g):
        a, b = ctx.inputs
        if not isinstance(b, Tensor):
            return g / b, None
        bd = b._data
        ga = g / bd
        if not b.requires_grad:
            return ga, None
        gb = -(ga * (a._data if isinstance(a, Tensor) else a)) / bd
        return (ga if isinstance(a, Tensor) and a.requires_grad else None), gb


class Pow(Primitive):
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return a**b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            if isinstance(b, Tensor):
                ga = g * b * a ** (b - 1)
            else:
                ga = g * b if b == 1 else (g * 0 if b == 0 else g * b * a ** (b - 1))
        if n[1]:
            # d(a**b)/db = a**b * log(a), taken as 0 where a == 0 (PyTorch's convention)
            la = a.log() if isinstance(a, Tensor) else math.log(a) if a > 0 else 0.0
            gb = g * (a**b) * la
            if isinstance(a, Tensor):
                gb = gb.masked_fill(a == 0, 0.0)
        return ga, gb


class Maximum(Primitive):
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return ctx.backend_xp(a, b).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return _minmax_grads(g, a, b, a.gt(b) if isinstance(a, Tensor) else b.lt(a), ctx.needs_input_grad)


class Minimum(Primitive):
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return ctx.backend_xp(a, b).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return _minmax_grads(g, a, b, a.lt(b) if isinstance(a, Tensor) else b.gt(a), ctx.needs_input_grad)


def _minmax_grads(g: Tensor, a: Any, b: Any, a_wins: Tensor, needs: tuple) -> tuple:
    """Gradient goes to the winner; ties split it evenly, as PyTorch does."""
    tie = a.eq(b) if isinstance(a, Tensor) else b.eq(a)
    wa = a_wins.to(g.dtype) + tie.to(g.dtype) * 0.5
    return (g * wa if needs[0] else None), (g * (1 - wa) if needs[1] else None)


class Remainder(Primitive):
    """Python-style modulus (sign of the divisor), like ``torch.remainder``."""

    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return ctx.backend_xp(a, b).mod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs_input_grad
        gb = -g * (a / b).floor() if n[1] else None
        return (g if n[0] else None), gb


# ---- unary math ----------------------------------------------------------------------------------


class Neg(Primitive):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def backward_raw(ctx, g):
        return -g


class Abs(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return abs(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.inputs[0].sign()


class Exp(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).exp(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.output()

    @staticmethod
    def backward_raw(ctx, g):
        return g * ctx._out()._data


class Log(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).log(a)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.inputs[0]

    @staticmethod
    def backward_raw(ctx, g):
        return g / ctx.inputs[0]._data


class Log1p(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).log1p(a)

    @staticmethod
    def backward(ctx, g):
        return g / (ctx.inputs[0] + 1)


class Expm1(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).expm1(a)

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.output() + 1)


class Sqrt(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).sqrt(a)

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.output())

    @staticmethod
    def backward_raw(ctx, g):
        return g / (2 * ctx._out()._data)


class Rsqrt(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        xp = ctx.backend_xp(a)
        return xp.reciprocal(xp.sqrt(a))

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return g * (-0.5) * y * y * y


class Reciprocal(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).reciprocal(a)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return -g * y * y


class Sin(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).sin(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.inputs[0].cos()


class Cos(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).cos(a)

    @staticmethod
    def backward(ctx, g):
        return -g * ctx.inputs[0].sin()


class Tan(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).tan(a)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return g * (1 + y * y)


class Tanh(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).tanh(a)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return g * (1 - y * y)

    @staticmethod
    def backward_raw(ctx, g):
        y = ctx._out()._data
        return _BY_TYPE[y.__class__].tanh_backward(g, y)


class Sigmoid(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend(a).sigmoid(a)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return g * y * (1 - y)

    @staticmethod
    def backward_raw(ctx, g):
        y = ctx._out()._data
        return _BY_TYPE[y.__class__].sigmoid_backward(g, y)


class Softplus(Primitive):
    """log(1 + exp(x)), stable for large |x|; its derivative is sigmoid(x)."""

    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return ctx.backend(a).softplus(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.inputs[0].sigmoid()


class Relu(Primitive):
    _saves_output = True

    @staticmethod
    def forward(ctx, a):
        return ctx.backend_xp(a).maximum(a, 0)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.output().ne(0).to(g.dtype)  # NaN outputs pass the gradient, as in PyTorch

    @staticmethod
    def backward_raw(ctx, g):
        y = ctx._out()._data
        return _BY_TYPE[y.__class__].relu_backward(g, y)


class Erf(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a):
        return ctx.backend(a).erf(a)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        return g * (2 / math.sqrt(math.pi)) * (-x * x).exp()


class ZeroGrad(Primitive):
    """Piecewise-constant ops (sign, floor, ceil, round): zero gradient everywhere."""

    fn = "sign"

    @classmethod
    def forward(cls, ctx, a, *args):
        return getattr(ctx.backend_xp(a), cls.fn)(a, *args)

    @staticmethod
    def backward(ctx, g):
        return (g * 0,) + (None,) * (len(ctx.inputs) - 1)


class Sign(ZeroGrad):
    fn = "sign"

    @classmethod
    def forward(cls, ctx, a, *args):
        return a.copy() if a.dtype.kind == "b" else ctx.backend_xp(a).sign(a)  # a bool is its own sign


class Floor(ZeroGrad):
    fn = "floor"


class Ceil(ZeroGrad):
    fn = "ceil"


class Round(ZeroGrad):
    fn = "round"


class Trunc(ZeroGrad):
    fn = "trunc"


class Clamp(Primitive):
    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, a, lo, hi):
        return ctx.backend_xp(a).clip(a, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.inputs
        mask = None
        if lo is not None:
            mask = x.ge(lo)
        if hi is not None:
            m = x.le(hi)
            mask = m if mask is None else mask.logical_and(m)
        return g * mask.to(g.dtype), None, None


class Where(Primitive):
    """``where(cond, a, b)``; ``cond`` is a bool array and never differentiated."""

    _saved_inputs = (0,)

    @staticmethod
    def forward(ctx, cond, a, b):
        return ctx.backend_xp(cond).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.inputs[0]
        n = ctx.needs_input_grad
        ga = Where.apply(cond, g, 0.0) if n[1] else None
        gb = Where.apply(cond, 0.0, g) if n[2] else None
        return None, ga, gb


class Cast(Primitive):
    """A dtype change; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.in_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return Cast.apply(g, ctx.in_dtype), None


class Copy(Primitive):
    """A copy into fresh memory (``clone``, ``contiguous``): identity gradient. ``order`` is NumPy's ("K", "C")
    or a dims permutation giving the memory order (channels-last: (0, 2, 3, 1))."""

    @staticmethod
    def forward(ctx, a, order="K"):
        if isinstance(order, str):
            return a.copy(order=order)
        inv = tuple(sorted(range(len(order)), key=order.__getitem__))
        return ctx.backend(a).xp.ascontiguousarray(a.transpose(order)).transpose(inv)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def backward_raw(ctx, g):
        return g, None
