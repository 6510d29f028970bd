"""nn.functional: linear and bilinear maps."""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from autograd.fastpath import record
from autograd.ops.base import Primitive, check_same_device
from autograd.tensor import _BY_TYPE

__all__ = ["linear", "bilinear"]

_ndarray = np.ndarray


class _Linear(Primitive):
    """``x @ w.T + b`` as one node: one GEMM forward, two GEMMs and a sum backward."""

    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, w, b=None):
        return ctx.backend(x).linear(x, w, b)

    @staticmethod
    def backward(ctx, g):
        x, w, b = ctx.inputs
        n = ctx.needs_input_grad
        gx = g @ w if n[0] else None
        gw = gb = None
        if n[1]:
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = (x2.mT @ g2).mT if g.ndim >= 2 else g.unsqueeze(1) * x.unsqueeze(0)
        if n[2]:
            gb = g.sum(tuple(range(g.ndim - 1))) if g.ndim > 1 else g
        return gx, gw, gb

    @staticmethod
    def backward_raw(ctx, g):
        x, w, b = ctx.inputs
        xd, wd = x._data, w._data
        if g.ndim == 2 and xd.ndim == 2:  # the common case: ndarray.dot, no reshapes
            gx = g.dot(wd) if x.requires_grad else None
            gw = g.T.dot(xd) if w.requires_grad else None
            return gx, gw, g.sum(0) if b is not None and b.requires_grad else None
        gx = g @ wd if x.requires_grad else None
        gw = gb = None
        if w.requires_grad:
            if g.ndim == 1:
                gw = g[:, None] * xd[None, :]
            else:  # g.T @ x: a C-contiguous grad, like the weight (an F-ordered one makes the update ~2.5x slower)
                gw = g.reshape(-1, g.shape[-1]).T @ xd.reshape(-1, xd.shape[-1])
        if b is not None and b.requires_grad:
            gb = g.reshape(-1, g.shape[-1]).sum(0) if g.ndim > 1 else g
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = input @ weight.T + bias`` over the last dim of ``input`` (any leading dims)."""
    if (
        isinstance(input, Tensor)
        and isinstance(weight, Tensor)
        and (bias is None or isinstance(bias, Tensor))
    ):
        # the common case in a few comparisons; anything unusual takes the checked path below
        xd, wd = input._data, weight._data
        kind = type(wd)
        if (
            wd.ndim == 2
            and xd.ndim
            and xd.shape[-1] == wd.shape[1]
            and type(xd) is kind
            and xd.dtype == wd.dtype
            and (
                bias is None
                or (
                    type(bias._data) is kind
                    and bias._data.shape == wd.shape[:1]
                    and bias._data.dtype == wd.dtype
                )
            )
            and (kind is _ndarray or not weight.is_cuda)  # several GPUs: the full device check
        ):
            rg = input.requires_grad or weight.requires_grad or (bias is not None and bias.requires_grad)
            data = _BY_TYPE[kind].linear(xd, wd, None if bias is None else bias._data)
            return record(_Linear, data, (input, weight, bias), [input._vc[0], weight._vc[0]], rg)
    return _checked_linear(input, weight, bias)


def _checked_linear(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(
            f"linear: expected Tensors for input and weight, got {type(input).__name__} and {type(weight).__name__}"
        )
    if weight.ndim not in (1, 2):
        raise RuntimeError(
            f"linear: weight must be 1-D or 2-D (out_features, in_features), got {tuple(weight.shape)}"
        )
    if input.ndim == 0:
        raise RuntimeError("linear: input must have at least 1 dimension, got a 0-d tensor")
    in_f = weight.shape[-1]
    if input.shape[-1] != in_f:
        raise RuntimeError(
            f"linear: input of shape {tuple(input.shape)} has {input.shape[-1]} features in its last dim but "
            f"weight of shape {tuple(weight.shape)} expects in_features={in_f}"
        )
    check_same_device("linear", input, weight, bias)
    if input._data.dtype != weight._data.dtype or (
        bias is not None and bias._data.dtype != weight._data.dtype
    ):
        raise RuntimeError(
            f"linear: expected input, weight and bias to have the same dtype, got {input.dtype}, {weight.dtype}"
            + (f" and {bias.dtype}" if bias is not None else "")
        )
    if weight.ndim == 1:
        out = input @ weight
        return out if bias is None else out + bias
    if bias is not None and tuple(bias.shape) not in ((weight.shape[0],), (), (1,)):
        raise RuntimeError(
            f"linear: bias of shape {tuple(bias.shape)} does not match out_features={weight.shape[0]}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        return _Linear.apply(input, weight) + bias
    return _Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = input1 @ weight[o] @ input2 + bias[o]``, batched over leading dims."""
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear: weight must be 3-D (out, in1, in2), got {tuple(weight.shape)}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: inputs of shapes {tuple(input1.shape)} and {tuple(input2.shape)} do not match weight "
            f"{tuple(weight.shape)} (expected (..., {in1}) and (..., {in2}) with equal leading dims)"
        )
    if bias is not None and tuple(bias.shape) != (out_f,):
        raise RuntimeError(f"bilinear: bias of shape {tuple(bias.shape)} does not match out_features={out_f}")
    check_same_device("bilinear", input1, input2, weight, bias)
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract in2 with x2
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    y = (t @ x2.unsqueeze(-1)).squeeze(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_f)
