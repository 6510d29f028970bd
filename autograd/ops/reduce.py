"""Reductions: sum (the primitive), sum_to (broadcast undoing), max/min, logsumexp, prod, cumsum."""

from __future__ import annotations

import builtins
from typing import Any

from ..tensor import _BY_TYPE, Tensor, _coerce
from .base import Primitive, normalize_dims


def as_array(g: Any) -> Any:
    """A raw gradient as a backend array (NumPy arithmetic on 0-d arrays yields NumPy scalars)."""
    return g if type(g) in _BY_TYPE else _coerce(g)


def _keep_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The shape of a keepdim reduction over ``axes`` (all when None)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Primitive):
    @staticmethod
    def forward(ctx, a, axes, keepdims, dtype=None):
        ctx.shape = a.shape
        ctx.axes = axes
        ctx.in_dtype = a.dtype if dtype is not None and dtype != a.dtype else None
        return a.sum(axis=axes, keepdims=keepdims, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        g = g.reshape(_keep_shape(ctx.shape, ctx.axes))
        if ctx.in_dtype is not None:
            from .elementwise import Cast

            g = Cast.apply(g, ctx.in_dtype)
        return g.expand(ctx.shape), None, None, None

    @staticmethod
    def backward_raw(ctx, g):
        g = as_array(g).reshape(_keep_shape(ctx.shape, ctx.axes))
        if ctx.in_dtype is not None:
            g = g.astype(ctx.in_dtype)
        return expand_raw(g, ctx.shape), None, None, None


def sum_to_raw(a: Any, shape: tuple) -> Any:
    """Sum a broadcast array back down to ``shape``."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and a.shape[i + lead] != 1
    )
    out = a.sum(axis=axes, keepdims=True) if axes else a
    return out.reshape(shape)


def expand_raw(g: Any, shape: tuple) -> Any:
    """``g`` broadcast to ``shape`` as a fresh, writable array."""
    g = as_array(g)
    out = _BY_TYPE[type(g)].xp.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


class SumTo(Primitive):
    """Sum a broadcast result back down to ``shape`` (the engine's one broadcast reduction)."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return sum_to_raw(a, shape)

    @staticmethod
    def backward(ctx, g):
        return g.expand(ctx.shape), None

    @staticmethod
    def backward_raw(ctx, g):
        return expand_raw(g, ctx.shape), None


def sum_to(x: Tensor, shape: tuple) -> Tensor:
    if x.shape == tuple(shape):
        return x
    return SumTo.apply(x, tuple(shape))


class MaxReduce(Primitive):
    """max/min over axes. ``even``: ties share the gradient (amax); else it goes to ``index``."""

    _saved_inputs = (0,)
    _saves_output = True

    @staticmethod
    def forward(ctx, a, axes, keepdims, is_min, index=None):
        ctx.axes, ctx.keepdims = axes, keepdims
        return (a.min if is_min else a.max)(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        index = ctx.inputs[4]
        kshape = _keep_shape(x.shape, ctx.axes)
        g = g.reshape(kshape)
        if index is not None:  # max(dim) / min(dim): the gradient goes to the returned index
            from .index import Scatter

            ax = ctx.axes[0]
            z = x.backend.xp.zeros(x.shape, dtype=g._data.dtype)
            return Scatter.apply(Tensor._make(z), ax, index.reshape(kshape), g), None, None, None, None
        y = ctx.output().reshape(kshape)
        mask = x.eq(y).to(g.dtype)
        return g * mask / mask.sum(dim=ctx.axes, keepdim=True), None, None, None, None


class LogSumExp(Primitive):
    _saved_inputs = (0,)
    _saves_output = True

    @staticmethod
    def forward(ctx, a, axes, keepdims):
        ctx.axes = axes
        b = ctx.backend(a)
        with b.errstate():  # an empty or all -inf reduction is -inf, as in PyTorch, without a warning
            return b.logsumexp(a, axes, keepdims)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        kshape = _keep_shape(x.shape, ctx.axes)
        return g.reshape(kshape) * (x - ctx.output().reshape(kshape)).exp(), None, None


class Prod(Primitive):
    _saved_inputs = (0,)
    _saves_output = True

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.axis = axis
        return a.prod(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        axes = None if ctx.axis is None else (ctx.axis,)
        kshape = _keep_shape(x.shape, axes)
        g = g.reshape(kshape)
        if not bool((x == 0).any()):
            return g * ctx.output().reshape(kshape) / x, None, None
        # with zeros: the product of the other elements, from exclusive cumulative products
        flat = x if ctx.axis is not None else x.reshape(-1)
        ax = ctx.axis if ctx.axis is not None else 0
        n = flat.shape[ax]
        ones = flat.narrow(ax, 0, 1) * 0 + 1
        left = Tensor.cat([ones, flat.narrow(ax, 0, n - 1)], ax).cumprod(ax)
        right = Tensor.cat([flat.narrow(ax, 1, n - 1), ones], ax).flip(ax).cumprod(ax).flip(ax)
        others = (left * right).reshape(x.shape)
        return g * others, None, None


class Cumsum(Primitive):
    @staticmethod
    def forward(ctx, a, axis):
        return a.cumsum(axis=axis)

    @staticmethod
    def backward(ctx, g):
        ax = ctx.inputs[1]
        return g.flip(ax).cumsum(ax).flip(ax), None


class Cumprod(Primitive):
    _saved_inputs = (0,)
    _saves_output = True

    @staticmethod
    def forward(ctx, a, axis):
        return a.cumprod(axis=axis)

    @staticmethod
    def backward(ctx, g):
        x, ax = ctx.inputs
        if bool((x == 0).any()):
            return _cumprod_grad_with_zeros(x, g, ax), None
        y = ctx.output()
        return (g * y).flip(ax).cumsum(ax).flip(ax) / x, None


def _cumprod_grad_with_zeros(x: Tensor, g: Tensor, ax: int) -> Tensor:
    """d/dx_i of sum_j g_j prod_{k<=j} x_k, as sum_{j>=i} g_j prod_{k<=j, k!=i} x_k (O(n^2) memory)."""
    n = x.shape[ax]
    xm = x.movedim(ax, -1)
    gm = g.movedim(ax, -1)
    xp = x.backend.xp
    eye = Tensor._make(xp.eye(n, dtype=bool))
    # row i: x with element i replaced by 1, then cumulative products along the last axis
    rows = xm.unsqueeze(-2).expand(*xm.shape[:-1], n, n).masked_fill(eye, 1.0).cumprod(-1)
    upper = Tensor._make(xp.triu(xp.ones((n, n), dtype=x._data.dtype)))
    grad = (rows * upper * gm.unsqueeze(-2)).sum(-1)
    return grad.movedim(-1, ax)


# ---- functions ---------------------------------------------------------------------------------


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    if dim is None and dtype is None and x._data.dtype.kind not in "biu":  # the common case: a loss
        return Sum.apply(x, None, keepdim, None)
    axes = normalize_dims(dim, x.ndim, "sum")
    if dtype is None and x._data.dtype.kind in "biu":
        from .. import dtypes

        dtype = dtypes.int64
    npd = None if dtype is None else _np_dtype(dtype)
    if x.ndim == 0:
        axes = None
    return Sum.apply(x, axes, keepdim, npd)


def _np_dtype(d: Any) -> Any:
    from ..dtypes import to_np

    return to_np(d)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    if x._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(
            f"mean: could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {x.dtype}"
        )
    axes = normalize_dims(dim, x.ndim, "mean")
    if dtype is not None:
        x = x.to(dtype)
    n = _count(x.shape, axes)
    return sum(x, axes, keepdim) / n if n else sum(x, axes, keepdim) * float("nan")


def _count(shape: tuple, axes: tuple | None) -> int:
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


def var(
    x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    if isinstance(unbiased, bool):
        correction = 1 if unbiased else 0
    elif correction is None:
        correction = 1
    axes = normalize_dims(dim, x.ndim, "var")
    n = _count(x.shape, axes)
    d = x - mean(x, axes, keepdim=True)
    s = sum(d * d, axes, keepdim)
    if n - correction <= 0:  # PyTorch gives inf/nan here; so do we, without NumPy's warning
        with x.backend.errstate():
            return s / 0.0
    return s / (n - correction)


def std(
    x: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None
) -> Tensor:
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


def _check_nonempty(x: Tensor, axes: tuple | None, name: str) -> None:
    shape = x._data.shape
    if x._data.size == 0 and (axes is None or builtins.any(shape[i] == 0 for i in axes)):
        raise RuntimeError(
            f"{name}: cannot reduce over a zero-size dimension (input shape {tuple(shape)}); "
            "specify a non-empty dim"
        )


def _max_min(x: Tensor, dim: Any, keepdim: bool, is_min: bool) -> Any:
    name = "min" if is_min else "max"
    if isinstance(dim, Tensor):  # max(a, b) elementwise
        return x.minimum(dim) if is_min else x.maximum(dim)
    if dim is None:
        _check_nonempty(x, None, name)
        return MaxReduce.apply(x, None, False, is_min, None)
    axes = normalize_dims(dim, x.ndim, name)
    if len(axes) != 1:
        raise TypeError(f"{name}: dim must be a single int, got {dim!r}; use amax/amin for several dims")
    _check_nonempty(x, axes, name)
    if x.ndim == 0:
        return MaxReduce.apply(x, None, False, is_min, None), Tensor._make(x.backend.xp.asarray(0))
    xp = x.backend.xp
    idx = (xp.argmin if is_min else xp.argmax)(x._data, axis=axes[0], keepdims=keepdim)
    ind = Tensor._make(idx.astype("int64"))
    vals = MaxReduce.apply(x, axes, keepdim, is_min, ind)
    return _ValuesIndices(vals, ind, name)


def _ValuesIndices(values: Tensor, indices: Tensor, name: str) -> Any:
    from .results import MaxMinResult

    return MaxMinResult(values, indices)


def amax(x: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, x.ndim, "amax") if dim != () else None
    _check_nonempty(x, axes, "amax")
    return MaxReduce.apply(x, axes, keepdim, False, None)


def amin(x: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, x.ndim, "amin") if dim != () else None
    _check_nonempty(x, axes, "amin")
    return MaxReduce.apply(x, axes, keepdim, True, None)


def _arg(x: Tensor, dim: Any, keepdim: bool, is_min: bool) -> Tensor:
    xp = x.backend.xp
    f = xp.argmin if is_min else xp.argmax
    if x._data.size == 0:
        raise RuntimeError(f"{'argmin' if is_min else 'argmax'}: expected a non-empty tensor")
    if dim is None:
        out = f(x._data.reshape(-1))
        if keepdim:
            out = xp.asarray(out).reshape((1,) * x.ndim)
    else:
        (ax,) = normalize_dims(dim, x.ndim, "argmin" if is_min else "argmax")
        out = f(x._data, axis=ax, keepdims=keepdim) if x.ndim else f(x._data)
    return Tensor._make(xp.asarray(out).astype("int64"))


def argmax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, False)


def argmin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, True)


def logsumexp(x: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    axes = normalize_dims(dim, x.ndim, "logsumexp")
    return LogSumExp.apply(x, axes, keepdim)


def prod(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    if dim is None:
        return Prod.apply(x, None, False)
    (ax,) = normalize_dims(dim, x.ndim, "prod")
    return Prod.apply(x, ax, keepdim)


def cumsum(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    (ax,) = normalize_dims(dim, x.ndim, "cumsum")
    if x._data.dtype.kind in "bu" or x._data.dtype.kind == "i" and x._data.dtype.itemsize < 8:
        from .. import dtypes

        x = x.to(dtypes.int64)  # PyTorch accumulates integer cumsums in int64
    if x.ndim == 0:
        return x.clone()
    return Cumsum.apply(x, ax)


def cumprod(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    (ax,) = normalize_dims(dim, x.ndim, "cumprod")
    if x.ndim == 0:
        return x.clone()
    return Cumprod.apply(x, ax)


def all(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    axes = normalize_dims(dim, x.ndim, "all")
    return Tensor._make(x.backend.xp.asarray(x._data.astype(bool).all(axis=axes, keepdims=keepdim)))


def any(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    axes = normalize_dims(dim, x.ndim, "any")
    return Tensor._make(x.backend.xp.asarray(x._data.astype(bool).any(axis=axes, keepdims=keepdim)))


def norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """Vector p-norm (``p`` = 2, 1, inf, -inf, 0 or any float); 'fro' is the 2-norm over ``dim``."""
    if p == "nuc":  # torch.norm: a matrix norm over dim (the last two by default)
        from ..linalg import matrix_norm

        return matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim)
    if p == "fro" or p is None:
        p = 2
    axes = normalize_dims(dim, x.ndim, "norm")
    a = x.abs()
    if p == float("inf"):
        return amax(a, axes if axes is not None else (), keepdim)
    if p == float("-inf"):
        return amin(a, axes if axes is not None else (), keepdim)
    if p == 0:
        return sum(x.ne(0).to(x.dtype), axes, keepdim)
    if p == 1:
        return sum(a, axes, keepdim)
    # sum(|x|^p)^(1/p) has an infinite derivative where the norm is 0; PyTorch takes the subgradient 0 there
    if p == 2:
        return _SafeRoot.apply(sum(x * x, axes, keepdim), 0.5)
    if 0 < p < 1:  # |x|^p has an infinite derivative at 0: zero entries get the subgradient 0
        nz = a.ne(0)
        a = a.masked_fill(nz.logical_not(), 1.0) ** p * nz.to(a.dtype)
    else:
        a = a**p
    return _SafeRoot.apply(sum(a, axes, keepdim), 1.0 / p)


class _SafeRoot(Primitive):
    """``s ** q`` (0 < q < 1, the root of a p-norm) whose gradient at s = 0 is 0, not inf."""

    _saves_output = True

    @staticmethod
    def forward(ctx, s, q):
        xp = ctx.backend_xp(s)
        return xp.sqrt(s) if q == 0.5 else xp.power(s, q)

    @staticmethod
    def backward(ctx, g):
        s, q = ctx.inputs
        y = ctx.output()
        zero = s == 0
        return (g * q * y / s.masked_fill(zero, 1.0)).masked_fill(zero, 0.0), None
