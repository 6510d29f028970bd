"""nn.functional: conv1d/conv2d, their transposes, unfold and fold.

Three primitives close over each other's gradients (conv, its input gradient = the transposed conv,
its weight gradient), so every backward is itself differentiable. Kernels live in backends/conv.py.
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor
from autograd.ops.base import Primitive, check_same_device, wants

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


# ---- argument helpers (shared with pooling) --------------------------------------------------------
def _ntuple(op: str, name: str, v: Any, n: int) -> tuple[int, ...]:
    """An int or a length-n sequence of ints as an n-tuple."""
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,) * n
    try:
        t = tuple(int(e) for e in v)
    except TypeError:
        raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {v!r}") from None
    if len(t) == 1:
        return t * n
    if len(t) != n:
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {v!r}")
    return t


def _dims(op: str, x: Tensor, nd: int, what: str) -> bool:
    """Check an (N, C, *spatial) or unbatched (C, *spatial) input; True when batched."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim == nd + 2:
        return True
    if x.ndim == nd + 1:
        return False
    raise RuntimeError(
        f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input of shape {what}, "
        f"got {x.ndim}-D input of shape {tuple(x.shape)}"
    )


# ---- primitives --------------------------------------------------------------------------------------
class _Conv2d(Primitive):
    """``conv(x, w) + b`` in 2-d; stride/pad/dil are pairs, pad is ((top, bottom), (left, right))."""

    op = "conv2d"
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, w, b, stride, pad, dil, groups):
        y, ctx.cols = ctx.backend(x).conv2d(x, w, b, stride, pad, dil, groups)
        return y

    @staticmethod
    def backward(ctx, g):
        x, w, b, stride, pad, dil, groups = ctx.inputs
        n = ctx.needs_input_grad
        gx = _ConvGradInput.apply(g, w, x.shape[2:], stride, pad, dil, groups) if n[0] else None
        gw = _ConvGradWeight.apply(x, g, w.shape, stride, pad, dil, groups) if n[1] else None
        gb = g.sum((0, 2, 3)) if n[2] else None
        return gx, gw, gb, None, None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        x, w, b, stride, pad, dil, groups = ctx.inputs
        be = ctx.backend(g)
        gx = be.conv2d_grad_input(g, w._data, x.shape[2:], stride, pad, dil, groups) if wants(x) else None
        gw = None
        if wants(w):
            gw = be.conv2d_grad_weight(x._data, g, w.shape, stride, pad, dil, groups, ctx.cols)
        # the column matrix is as big as the input times the kernel: drop it now rather than when the
        # graph dies (a retained graph's second backward rebuilds it from x)
        ctx.cols = None
        gb = be.conv2d_bias_grad(g) if wants(b) else None
        return gx, gw, gb, None, None, None, None


class _ConvGradInput(Primitive):
    """The input gradient of a conv given the output gradient ``g``: also the transposed convolution."""

    op = "conv_transpose2d"
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, g, w, in_hw, stride, pad, dil, groups):
        return ctx.backend(g).conv2d_grad_input(g, w, in_hw, stride, pad, dil, groups)

    @staticmethod
    def backward(ctx, gg):
        g, w, _, stride, pad, dil, groups = ctx.inputs
        n = ctx.needs_input_grad
        dg = _Conv2d.apply(gg, w, None, stride, pad, dil, groups) if n[0] else None
        dw = _ConvGradWeight.apply(gg, g, w.shape, stride, pad, dil, groups) if n[1] else None
        return dg, dw, None, None, None, None, None

    @staticmethod
    def backward_raw(ctx, gg):
        g, w, _, stride, pad, dil, groups = ctx.inputs
        be = ctx.backend(gg)
        dg = be.conv2d(gg, w._data, None, stride, pad, dil, groups)[0] if wants(g) else None
        dw = be.conv2d_grad_weight(gg, g._data, w.shape, stride, pad, dil, groups) if wants(w) else None
        return dg, dw, None, None, None, None, None


class _ConvGradWeight(Primitive):
    """The weight gradient of a conv from its input ``x`` and output gradient ``g``."""

    op = "conv2d_weight"
    _saved_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, g, w_shape, stride, pad, dil, groups):
        return ctx.backend(x).conv2d_grad_weight(x, g, w_shape, stride, pad, dil, groups)

    @staticmethod
    def backward(ctx, ggw):
        x, g, _, stride, pad, dil, groups = ctx.inputs
        n = ctx.needs_input_grad
        dx = _ConvGradInput.apply(g, ggw, x.shape[2:], stride, pad, dil, groups) if n[0] else None
        dg = _Conv2d.apply(x, ggw, None, stride, pad, dil, groups) if n[1] else None
        return dx, dg, None, None, None, None, None


class _Unfold(Primitive):
    op = "unfold"

    @staticmethod
    def forward(ctx, x, k, stride, pad, dil):
        return ctx.backend(x).unfold(x, k, stride, pad, dil)

    @staticmethod
    def backward(ctx, g):
        x, k, stride, pad, dil = ctx.inputs
        return _Fold.apply(g, x.shape[2:], k, stride, pad, dil), None, None, None, None


class _Fold(Primitive):
    op = "fold"

    @staticmethod
    def forward(ctx, cols, out_hw, k, stride, pad, dil):
        return ctx.backend(cols).fold(cols, out_hw, k, stride, pad, dil)

    @staticmethod
    def backward(ctx, g):
        _, _, k, stride, pad, dil = ctx.inputs
        return _Unfold.apply(g, k, stride, pad, dil), None, None, None, None, None


# ---- checks ---------------------------------------------------------------------------------------------
_SPATIAL = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}


def _check_conv(
    op: str, x: Tensor, w: Tensor, b: Tensor | None, groups: int, nd: int, transposed: bool
) -> None:
    spatial = _SPATIAL[nd]
    if not isinstance(w, Tensor) or w.ndim != nd + 2:
        got = tuple(w.shape) if isinstance(w, Tensor) else type(w).__name__
        raise RuntimeError(f"{op}: expected a {nd + 2}-D weight, got {got}")
    check_same_device(op, x, w, b)
    if x.dtype != w.dtype or (b is not None and b.dtype != w.dtype):
        bd = f", bias {b.dtype}" if b is not None else ""
        raise RuntimeError(
            f"{op}: expected input and weight of the same dtype, got input {x.dtype}, weight {w.dtype}{bd}"
        )
    if not isinstance(groups, int) or groups < 1:
        raise RuntimeError(f"{op}: groups must be a positive integer, got {groups!r}")
    c = x.shape[1]
    if transposed:
        if w.shape[0] != c:
            raise RuntimeError(
                f"{op}: expected input of shape {spatial} with C={w.shape[0]} (weight {tuple(w.shape)} is "
                f"(in_channels, out_channels/groups, *kernel)), got {tuple(x.shape)}"
            )
        if c % groups:
            raise RuntimeError(f"{op}: in_channels={c} must be divisible by groups={groups}")
        out_c = w.shape[1] * groups
    else:
        if w.shape[0] % groups:
            raise RuntimeError(
                f"{op}: out_channels={w.shape[0]} (weight {tuple(w.shape)}) must be divisible by groups={groups}"
            )
        if c != w.shape[1] * groups:
            raise RuntimeError(
                f"{op}: expected input of shape {spatial} with C={w.shape[1] * groups} "
                f"(weight {tuple(w.shape)}, groups={groups}), got {tuple(x.shape)}"
            )
        out_c = w.shape[0]
    if b is not None and (b.ndim != 1 or b.shape[0] != out_c):
        raise RuntimeError(f"{op}: expected a bias of shape ({out_c},), got {tuple(b.shape)}")


def _conv_padding(op: str, padding: Any, k: tuple, dil: tuple, stride: tuple) -> tuple:
    """int / tuple / 'same' / 'valid' as ((before, after), ...) per spatial axis."""
    nd = len(k)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
            out = []
            for kk, dd in zip(k, dil):
                total = dd * (kk - 1)
                out.append((total // 2, total - total // 2))  # the extra one goes after, as PyTorch
            return tuple(out)
        raise ValueError(f"{op}: invalid padding string {padding!r}; expected 'same' or 'valid'")
    p = _ntuple(op, "padding", padding, nd)
    if any(v < 0 for v in p):
        raise RuntimeError(f"{op}: negative padding is not supported, got {padding!r}")
    return tuple((v, v) for v in p)


def _check_sizes(op: str, hw: tuple, k: tuple, pad: tuple, dil: tuple, stride: tuple) -> None:
    if any(s < 1 for s in stride) or any(d < 1 for d in dil):
        raise RuntimeError(f"{op}: stride and dilation must be positive, got stride={stride}, dilation={dil}")
    padded = tuple(h + p[0] + p[1] for h, p in zip(hw, pad))
    eff = tuple(d * (kk - 1) + 1 for kk, d in zip(k, dil))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"{op}: calculated padded input size per channel: {padded}; kernel size (dilated): {eff}. "
            "Kernel size can't be greater than actual input size"
        )


def _conv_args(
    op: str, nd: int, x: Tensor, w: Tensor, b: Any, stride: Any, dilation: Any, groups: int, transposed: bool
) -> tuple:
    """Checks shared by the (transposed) convolutions: (batched, batched input, stride, dilation)."""
    batched = _dims(op, x, nd, _SPATIAL[nd])
    if not batched:
        x = x.unsqueeze(0)
    _check_conv(op, x, w, b, groups, nd, transposed)
    return batched, x, _ntuple(op, "stride", stride, nd), _ntuple(op, "dilation", dilation, nd)


# ---- public functions ------------------------------------------------------------------------------------
def _conv(
    op: str, nd: int, x: Tensor, w: Tensor, b: Any, stride: Any, padding: Any, dilation: Any, groups: int
):
    batched, x, stride, dil = _conv_args(op, nd, x, w, b, stride, dilation, groups, False)
    k = tuple(w.shape[2:])
    pad = _conv_padding(op, padding, k, dil, stride)
    _check_sizes(op, x.shape[2:], k, pad, dil, stride)
    if nd == 1:
        y = _Conv2d.apply(
            x.unsqueeze(2), w.unsqueeze(2), b, (1, stride[0]), ((0, 0), pad[0]), (1, dil[0]), groups
        )
        y = y.squeeze(2)
    else:
        y = _Conv2d.apply(x, w, b, stride, pad, dil, groups)
    return y if batched else y.squeeze(0)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-d convolution (cross-correlation) over (N, C, L) input, as ``torch.nn.functional.conv1d``."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-d convolution (cross-correlation) over (N, C, H, W) input, as ``torch.nn.functional.conv2d``."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _transpose_sizes(
    op: str, x: Tensor, w: Tensor, stride: tuple, padding: Any, output_padding: Any, dil: tuple
) -> tuple:
    """Checked (padding, output_padding, output size) of a transposed convolution of batched ``x``."""
    nd = len(stride)
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of ints, got {padding!r}")
    pad = _ntuple(op, "padding", padding, nd)
    opad = _ntuple(op, "output_padding", output_padding, nd)
    k = tuple(w.shape[2:])
    for o, s, d in zip(opad, stride, dil):
        if not (0 <= o < s or 0 <= o < d):
            raise RuntimeError(
                f"{op}: output padding must be smaller than either stride or dilation, got {opad}"
            )
    out = tuple(
        (h - 1) * s - 2 * p + d * (kk - 1) + o + 1
        for h, s, p, d, kk, o in zip(x.shape[2:], stride, pad, dil, k, opad)
    )
    if any(v <= 0 for v in out) or any(v < 0 for v in pad):
        raise RuntimeError(f"{op}: input {tuple(x.shape)} gives a non-positive output size {out}")
    return pad, opad, out


def _conv_transpose(
    op: str,
    nd: int,
    x: Tensor,
    w: Tensor,
    b: Any,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: int,
    dilation: Any,
) -> Tensor:
    batched, x, stride, dil = _conv_args(op, nd, x, w, b, stride, dilation, groups, True)
    pad, _, out = _transpose_sizes(op, x, w, stride, padding, output_padding, dil)
    pads = tuple((p, p) for p in pad)
    if nd == 1:
        y = _ConvGradInput.apply(
            x.unsqueeze(2),
            w.unsqueeze(2),
            (1, out[0]),
            (1, stride[0]),
            ((0, 0), pads[0]),
            (1, dil[0]),
            groups,
        ).squeeze(2)
    else:
        y = _ConvGradInput.apply(x, w, out, stride, pads, dil, groups)
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y if batched else y.squeeze(0)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """1-d transposed convolution, as ``torch.nn.functional.conv_transpose1d``."""
    return _conv_transpose(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """2-d transposed convolution (the gradient of conv2d), as ``torch.nn.functional.conv_transpose2d``."""
    return _conv_transpose(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def _fold_args(op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any) -> tuple:
    k = _ntuple(op, "kernel_size", kernel_size, 2)
    d = _ntuple(op, "dilation", dilation, 2)
    p = _ntuple(op, "padding", padding, 2)
    s = _ntuple(op, "stride", stride, 2)
    if min(k) < 1 or min(d) < 1 or min(s) < 1 or min(p) < 0:
        raise RuntimeError(
            f"{op}: kernel_size, dilation and stride must be positive and padding non-negative, got "
            f"kernel_size={k}, dilation={d}, padding={p}, stride={s}"
        )
    return k, d, ((p[0], p[0]), (p[1], p[1])), s


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sliding local blocks of a (N, C, H, W) input as (N, C*kh*kw, L), as ``torch.nn.functional.unfold``."""
    batched = _dims("unfold", input, 2, "(N, C, H, W)")
    x = input if batched else input.unsqueeze(0)
    k, d, pad, s = _fold_args("unfold", kernel_size, dilation, padding, stride)
    _check_sizes("unfold", x.shape[2:], k, pad, d, s)
    out = _Unfold.apply(x, k, s, pad, d)
    return out if batched else out.squeeze(0)


def fold(
    input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """Sum (N, C*kh*kw, L) sliding blocks into a (N, C, H, W) tensor (``unfold``'s adjoint), as PyTorch's."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError(f"fold: expected a 2-D or 3-D input of shape (N, C*kh*kw, L), got {got}")
    batched = input.ndim == 3
    x = input if batched else input.unsqueeze(0)
    k, d, pad, s = _fold_args("fold", kernel_size, dilation, padding, stride)
    out_hw = _ntuple("fold", "output_size", output_size, 2)
    _check_sizes("fold", out_hw, k, pad, d, s)
    kk = k[0] * k[1]
    blocks = 1
    for size, kd, p, dd, ss in zip(out_hw, k, pad, d, s):
        blocks *= (size + p[0] + p[1] - dd * (kd - 1) - 1) // ss + 1
    if x.shape[1] % kk or x.shape[2] != blocks:
        raise RuntimeError(
            f"fold: expected an input of shape (N, C*{kk}, {blocks}) for output_size={out_hw}, "
            f"kernel_size={k}, got {tuple(input.shape)}"
        )
    out = _Fold.apply(x, out_hw, k, s, pad, d)
    return out if batched else out.squeeze(0)
