"""nn.functional: batch_norm, layer_norm, group_norm, instance_norm, rms_norm, local_response_norm (PyTorch's).

One fused primitive normalizes over some axes with the batch's own statistics (and applies the
affine part): one pass for the statistics, a closed-form backward instead of a dozen elementwise
nodes. Normalizing with running statistics is a plain affine map and is composed from Tensor ops.
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor
from autograd.ops.base import Primitive, check_same_device, wants
from autograd.tensor import bump_version

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "local_response_norm", "rms_norm"]


class _Norm(Primitive):
    """``(x - mean) / sqrt(var + eps) * w + b`` over ``axes`` (biased batch variance).

    ``pshape`` is the broadcast shape of ``w``/``b``; ``sink`` (a list or None) receives the
    (mean, biased var) arrays so that the caller can update running statistics.
    """

    op = "batch_norm"
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, w, b, axes, eps, pshape, sink):
        xp = ctx.backend_xp(x)
        mean = x.mean(axis=axes, keepdims=True)
        d = x - mean
        var = xp.multiply(d, d).mean(axis=axes, keepdims=True)
        invstd = 1 / xp.sqrt(var + eps)
        if sink is not None:
            sink.append((mean, var))
        ctx.mean, ctx.invstd = mean, invstd
        if w is not None and invstd.shape == pshape:  # per-channel stats and params: one scale
            d *= invstd * w.reshape(pshape)
        else:
            d *= invstd
            if w is not None:
                d *= w.reshape(pshape)
        if b is not None:
            d += b.reshape(pshape)
        return d

    @staticmethod
    def backward_raw(ctx, g):
        x, w, b, axes, _, pshape, _ = ctx.inputs
        xhat = x._data - ctx.mean
        xhat *= ctx.invstd
        red = tuple(i for i, s in enumerate(pshape) if s == 1)
        gx = gw = gb = None
        if red == axes:  # batch norm: the parameter sums are the sums the input gradient needs
            n = x._data.size // ctx.mean.size
            sg = g.sum(axis=axes, keepdims=True)
            sgx = (g * xhat).sum(axis=axes, keepdims=True)
            if wants(w):
                gw = sgx.reshape(w.shape)
            if wants(b):
                gb = sg.reshape(b.shape)
            if wants(x):
                scale = ctx.invstd * w._data.reshape(pshape) if w is not None else ctx.invstd
                xhat *= sgx / n
                gx = g - xhat
                gx -= sg / n
                gx *= scale
            return gx, gw, gb, None, None, None, None
        gw = (g * xhat).sum(axis=red).reshape(w.shape) if wants(w) else None
        gb = g.sum(axis=red).reshape(b.shape) if wants(b) else None
        if wants(x):
            gh = g * w._data.reshape(pshape) if w is not None else g
            gx = gh - gh.mean(axis=axes, keepdims=True)
            xhat *= (gh * xhat).mean(axis=axes, keepdims=True)
            gx -= xhat
            gx *= ctx.invstd
        return gx, gw, gb, None, None, None, None

    @staticmethod
    def backward(ctx, g):
        x, w, b, axes, eps, pshape, _ = ctx.inputs
        n = ctx.needs_input_grad
        # recomputed with Tensor ops so that the gradient is itself differentiable
        d = x - x.mean(axes, keepdim=True)
        invstd = ((d * d).mean(axes, keepdim=True) + eps).rsqrt()
        xhat = d * invstd
        red = tuple(i for i, s in enumerate(pshape) if s == 1)
        gw = (g * xhat).sum(red).reshape(w.shape) if n[1] else None
        gb = g.sum(red).reshape(b.shape) if n[2] else None
        gx = None
        if n[0]:
            gh = g * w.reshape(pshape) if w is not None else g
            gx = (gh - gh.mean(axes, keepdim=True) - xhat * (gh * xhat).mean(axes, keepdim=True)) * invstd
        return gx, gw, gb, None, None, None, None


def _check_param(op: str, name: str, p: Any, shape: tuple, x: Tensor, any_dtype: bool = False) -> None:
    if p is None:
        return
    if not isinstance(p, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(p).__name__}")
    if tuple(p.shape) != tuple(shape):
        raise RuntimeError(
            f"{op}: expected {name} of shape {tuple(shape)} for an input of shape {tuple(x.shape)}, "
            f"got {tuple(p.shape)}"
        )
    if p.dtype != x.dtype and not any_dtype:
        raise RuntimeError(f"{op}: expected {name} of dtype {x.dtype} like the input, got {p.dtype}")
    check_same_device(op, x, p)


def _affine(x: Tensor, scale: Tensor, shift: Tensor | None, pshape: tuple) -> Tensor:
    y = x * scale.reshape(pshape)
    return y + shift.reshape(pshape) if shift is not None else y


def _update_running(
    rm: Tensor | None, rv: Tensor | None, mean: Any, var: Any, n: int, momentum: float
) -> None:
    """running = (1 - momentum) * running + momentum * batch statistic (unbiased variance), in place."""
    if rm is not None:
        rm._data *= 1 - momentum
        rm._data += (momentum * mean.reshape(rm.shape)).astype(rm._data.dtype, copy=False)
        bump_version(rm)
    if rv is not None:
        unbiased = var * (n / (n - 1)) if n > 1 else var
        rv._data *= 1 - momentum
        rv._data += (momentum * unbiased.reshape(rv.shape)).astype(rv._data.dtype, copy=False)
        bump_version(rv)


def _eval_norm(op: str, x: Tensor, rm: Any, rv: Any, w: Any, b: Any, eps: float, pshape: tuple) -> Tensor:
    if rm is None or rv is None:
        raise RuntimeError(
            f"{op}: running_mean and running_var must be given when not using batch statistics"
        )
    if rm.dtype != x.dtype:  # running stats may be kept in another precision
        rm, rv = rm.to(x.dtype), rv.to(x.dtype)
    scale = (rv + eps).rsqrt()
    if w is not None:
        scale = scale * w
    shift = -rm * scale
    if b is not None:
        shift = shift + b
    return _affine(x, scale, shift, pshape)


def _channel_args(
    op: str, input: Tensor, min_nd: int, desc: str, rm: Any, rv: Any, w: Any, b: Any
) -> tuple[int, tuple]:
    """Check the input and the per-channel tensors of batch/instance norm: (channels, broadcast shape)."""
    if not isinstance(input, Tensor) or input.ndim < min_nd:
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{op}: expected an input of shape {desc}, got {got}")
    c = input.shape[1]
    for name, p in (("running_mean", rm), ("running_var", rv), ("weight", w), ("bias", b)):
        _check_param(op, name, p, (c,), input, name.startswith("running"))
    return c, (1, c) + (1,) * (input.ndim - 2)


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) over the batch and spatial dims; training updates running stats."""
    op = "batch_norm"
    c, pshape = _channel_args(op, input, 2, "(N, C) or (N, C, *)", running_mean, running_var, weight, bias)
    if not training:
        return _eval_norm(op, input, running_mean, running_var, weight, bias, eps, pshape)
    axes = (0,) + tuple(range(2, input.ndim))
    n = input.numel() // max(c, 1)
    if n <= 1:
        raise ValueError(
            f"{op}: expected more than 1 value per channel when training, got input size {tuple(input.shape)}"
        )
    sink = [] if running_mean is not None or running_var is not None else None
    y = _Norm.apply(input, weight, bias, axes, float(eps), pshape, sink)
    if sink:
        _update_running(running_mean, running_var, sink[0][0], sink[0][1], n, float(momentum or 0.0))
    return y


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each (sample, channel) over its spatial dims; running stats average over the batch."""
    op = "instance_norm"
    c, pshape = _channel_args(op, input, 3, "(N, C, *spatial)", running_mean, running_var, weight, bias)
    if not use_input_stats:
        return _eval_norm(op, input, running_mean, running_var, weight, bias, eps, pshape)
    axes = tuple(range(2, input.ndim))
    n = input.numel() // max(input.shape[0] * c, 1)
    if n <= 1:
        raise ValueError(
            f"{op}: expected more than 1 spatial element when training, got input size {tuple(input.shape)}"
        )
    sink = [] if running_mean is not None or running_var is not None else None
    y = _Norm.apply(input, weight, bias, axes, float(eps), pshape, sink)
    if sink:
        mean, var = sink[0]
        # PyTorch averages the per-instance updates over the batch; the update is linear, so average first
        _update_running(
            running_mean, running_var, mean.mean(axis=0), var.mean(axis=0), n, float(momentum or 0.0)
        )
    return y


def _trailing_shape(op: str, input: Any, normalized_shape: Any) -> tuple:
    """``normalized_shape`` as a tuple, checked against the input's trailing dims."""
    shape = (
        (normalized_shape,) if isinstance(normalized_shape, int) else tuple(int(s) for s in normalized_shape)
    )
    k = len(shape)
    if (
        not isinstance(input, Tensor)
        or k == 0
        or input.ndim < k
        or tuple(input.shape[input.ndim - k :]) != shape
    ):
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(
            f"{op}: given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {got}"
        )
    return shape


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims of each sample (with optional affine)."""
    op = "layer_norm"
    shape = _trailing_shape(op, input, normalized_shape)
    k = len(shape)
    _check_param(op, "weight", weight, shape, input)
    _check_param(op, "bias", bias, shape, input)
    axes = tuple(range(input.ndim - k, input.ndim))
    pshape = (1,) * (input.ndim - k) + shape
    y = _Norm.apply(input, weight, bias, axes, float(eps), pshape, None)
    return y


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each sample over groups of channels (and the spatial dims), then a per-channel affine."""
    op = "group_norm"
    if not isinstance(input, Tensor) or input.ndim < 2:
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"{op}: expected an input of shape (N, C, *), got {got}")
    n, c = input.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise RuntimeError(
            f"{op}: expected number of channels in input ({c}) to be divisible by num_groups ({num_groups})"
        )
    _check_param(op, "weight", weight, (c,), input)
    _check_param(op, "bias", bias, (c,), input)
    xg = input.reshape(n, num_groups, -1)
    y = _Norm.apply(xg, None, None, (2,), float(eps), (1, 1, 1), None).reshape(input.shape)
    pshape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(pshape)
    if bias is not None:
        y = y + bias.reshape(pshape)
    return y


def rms_norm(
    input: Tensor, normalized_shape: Any, weight: Tensor | None = None, eps: float | None = None
) -> Tensor:
    """x / sqrt(mean(x**2) + eps) over the trailing ``normalized_shape`` dims, times ``weight``.

    ``eps=None`` uses the machine epsilon of the input's dtype, as PyTorch.
    """
    op = "rms_norm"
    shape = _trailing_shape(op, input, normalized_shape)
    if not input.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating-point input, got {input.dtype}")
    _check_param(op, "weight", weight, shape, input, any_dtype=True)
    if eps is None:
        eps = float(input.backend.xp.finfo(input._data.dtype).eps)
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    y = input * ((input * input).mean(axes, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """x / (k + alpha * mean of x**2 over ``size`` neighbouring channels) ** beta, on (N, C, *) input."""
    op = "local_response_norm"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(input).__name__}")
    if input.ndim < 3:
        raise ValueError(
            f"{op}: expected 3D or higher dimensionality input (N, C, *), got shape {tuple(input.shape)}"
        )
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"{op}: size must be a positive int, got {size!r}")
    if input.numel() == 0:
        return input
    from autograd.ops.shape import pad

    sq = input * input
    c = input.shape[1]
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    sq = pad(sq, widths)  # zeros beyond the first and last channel, as PyTorch's average pooling window
    win = sq.narrow(1, 0, c)
    for i in range(1, size):
        win = win + sq.narrow(1, i, c)
    return input / (win * (alpha / size) + k) ** beta
