"""nn.functional: activations (elementwise and the softmax family), with PyTorch's names and defaults.

Elementwise activations are composites of autograd primitives; the branch not taken is always
computed on a clamped input, so no overflow (and no NaN gradient) leaks from it. softmax and
log_softmax are dedicated primitives (max-subtracted, differentiable backward).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import autograd as A
from autograd import Tensor
from autograd.function import _shell
from autograd.ops.base import Primitive, normalize_dims
from autograd.ops.inplace import check_inplace, commit_inplace
from autograd.tensor import bump_version

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "relu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check(op: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}: expected an autograd.Tensor as input, got {type(x).__module__}.{type(x).__name__}"
        )


def _maybe_inplace(op: str, x: Tensor, inplace: bool, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """``fn(x)``, or with ``inplace`` its value stored in x's memory (x's history becomes fn's, as in PyTorch)."""
    _check(op, x)
    if not inplace:
        return fn(x)
    if A.is_grad_enabled():
        check_inplace(x, op + "_")
    if not (A.is_grad_enabled() and x.requires_grad):
        with A.no_grad():
            out = fn(x)
        x._data[...] = out._data
        bump_version(x)
        return x
    old = _shell(x)  # x's value and history before the write; a copy, since x's memory is overwritten
    old._data = x._data.copy()
    old._vc = [0]
    out = fn(old)
    x._data[...] = out._data
    bump_version(x)
    return commit_inplace(x, out)


# ---- ReLU family -----------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    _check("relu", input)
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else ``value``."""
    return _maybe_inplace("threshold", input, inplace, lambda x: A.where(x > threshold, x, value))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return globals()["threshold"](input, threshold, value, inplace=True)


def _hardtanh(x: Tensor, lo: float, hi: float) -> Tensor:
    # the gradient is 1 strictly inside (lo, hi), as in PyTorch (clamp's is 1 on the closed interval)
    inside = (x > lo) & (x < hi)
    return A.where(inside, x, x.detach().clamp(lo, hi))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _maybe_inplace("hardtanh", input, inplace, lambda x: _hardtanh(x, min_val, max_val))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return _maybe_inplace("relu6", input, inplace, lambda x: _hardtanh(x, 0.0, 6.0))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    return _maybe_inplace("leaky_relu", input, inplace, lambda x: A.where(x > 0, x, x * negative_slope))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """leaky_relu with a learned slope: one for all channels or one per channel (dim 1)."""
    _check("prelu", input)
    _check("prelu", weight)
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight.numel()
    if n != 1:
        if n != channels:
            raise RuntimeError(
                f"prelu: mismatch of parameter numbers and input channel size: found {n} parameters "
                f"(weight shape {tuple(weight.shape)}) and channel size {channels} (input shape "
                f"{tuple(input.shape)}); expected 1 or {channels} parameters"
            )
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    elif weight.ndim > input.ndim:
        weight = weight.reshape(())
    return A.where(input > 0, input, weight * input)


def _elu(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    # expm1 on min(x, 0): the branch for x > 0 is discarded, and must not overflow
    neg = x.clamp(max=0)
    if input_scale != 1:
        neg = neg * input_scale
    neg = neg.expm1() * alpha
    pos = x
    if scale != 1:
        neg, pos = neg * scale, x * scale
    return A.where(x > 0, pos, neg)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, else alpha * (exp(x) - 1)."""
    return _maybe_inplace("elu", input, inplace, lambda x: _elu(x, alpha, 1.0, 1.0))


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants."""
    return _maybe_inplace("selu", input, inplace, lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE, 1.0))


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0")
    return _maybe_inplace("celu", input, inplace, lambda x: _elu(x, alpha, 1.0, 1.0 / alpha))


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


# ---- smooth activations ------------------------------------------------------------------------------


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x): exact through erf, or the tanh approximation with ``approximate='tanh'``."""
    _check("gelu", input)
    if approximate == "none":
        return input * 0.5 * (1 + (input * (1 / math.sqrt(2))).erf())
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish)."""
    return _maybe_inplace("silu", input, inplace, lambda x: x * x.sigmoid())


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _maybe_inplace("mish", input, inplace, lambda x: x * x.softplus().tanh())


def sigmoid(input: Tensor) -> Tensor:
    _check("sigmoid", input)
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    _check("tanh", input)
    return input.tanh()


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6, with gradient 1/6 strictly inside (-3, 3)."""

    def f(x: Tensor) -> Tensor:
        inside = (x > -3) & (x < 3)
        return A.where(inside, x * (1 / 6) + 0.5, (x >= 3).to(x.dtype))

    return _maybe_inplace("hardsigmoid", input, inplace, f)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""

    def f(x: Tensor) -> Tensor:
        # gradient (2x + 3) / 6 on [-3, 3): 0 at -3 and 1 at 3, PyTorch's one-sided choice at the kinks
        return A.where(x <= -3, 0.0, A.where(x < 3, x * (x + 3) * (1 / 6), x))

    return _maybe_inplace("hardswish", input, inplace, f)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, reverting to x where beta * x > threshold."""
    _check("softplus", input)
    bx = input * beta if beta != 1 else input
    sp = bx.softplus()
    if beta != 1:
        sp = sp / beta
    return A.where(bx > threshold, input, sp)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    _check("softsign", input)
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    _check("logsigmoid", input)
    return -((-input).softplus())


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    _check("tanhshrink", input)
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, else 0."""
    _check("softshrink", input)
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    return A.where(input > lambd, input - lambd, A.where(input < -lambd, input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    _check("hardshrink", input)
    return A.where((input > lambd) | (input < -lambd), input, 0.0)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of the input along ``dim``."""
    _check("glu", input)
    if input.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    n = input.shape[dim % input.ndim]
    if n % 2:
        raise RuntimeError(
            f"glu: halving dimension must be even, but dimension {dim} is size {n} (input {tuple(input.shape)})"
        )
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


# ---- softmax family ----------------------------------------------------------------------------------


class Softmax(Primitive):
    """exp(x - max) / sum(exp(x - max)) along an axis; backward from the saved output."""

    _saves_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return ctx.backend(x).softmax(x, axis)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return y * (g - (g * y).sum(ctx.axis, keepdim=True)), None

    @staticmethod
    def backward_raw(ctx, g):
        y = ctx._out()._data
        return ctx.backend(y).softmax_backward(g, y, ctx.axis), None


class LogSoftmax(Primitive):
    """x - max - log(sum(exp(x - max))) along an axis; backward from the saved output."""

    _saves_output = True

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return ctx.backend(x).log_softmax(x, axis)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return g - y.exp() * g.sum(ctx.axis, keepdim=True), None

    @staticmethod
    def backward_raw(ctx, g):
        y = ctx._out()._data
        return ctx.backend(y).log_softmax_backward(g, y, ctx.axis), None


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy choice of dim when none is given (with its deprecation warning)."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
        "argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_like(cls: type, name: str, x: Tensor, dim: Any, stacklevel: int, dtype: Any) -> Tensor:
    _check(name, x)
    if dtype is not None:
        x = x.to(dtype)
    if not x.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating-point input, got {x.dtype} (shape {tuple(x.shape)})")
    if dim is None:
        dim = _softmax_dim(name, x.ndim, stacklevel + 1)
    (axis,) = normalize_dims(dim, x.ndim, name)
    if x.ndim == 0:
        return cls.apply(x.reshape(1), 0).reshape(())
    return cls.apply(x, axis)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``, computed stably."""
    return _softmax_like(Softmax, "softmax", input, dim, _stacklevel, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """log(softmax(x)) along ``dim``, without forming softmax (stable for large logits)."""
    return _softmax_like(LogSoftmax, "log_softmax", input, dim, _stacklevel, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``."""
    _check("softmin", input)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax_like(Softmax, "softmin", -input, dim, _stacklevel, None)
