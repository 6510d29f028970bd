"""Attach the ops to Tensor as methods and operators (the class itself holds no math)."""

from __future__ import annotations

from typing import Any

from . import dtypes
from . import memory_format as MF
from .generator import use_generator
from .ops import device as D
from .ops import elementwise as E
from .ops import index as I
from .ops import linalg as L
from .ops import reduce as R
from .ops import shape as S
from .ops.arith import _div, _fmod, _other, _promote, _raw, clamp, clamp_, floor_divide, logical_not, where
from .ops.inplace import inplace_apply
from .ops.writes import _assign, _fill_, _random_, copy_
from .tensor import Tensor


def _binary(cls: Any, op: str) -> Any:
    def f(self: Tensor, other: Any) -> Tensor:
        if type(other) is not Tensor:
            other = _other(op, self, other)
        elif type(other._data) is not type(self._data) or (self.is_cuda and other.device != self.device):
            other = _other(op, self, other)
        return cls.apply(*_promote(op, self, other))

    def r(self: Tensor, other: Any) -> Tensor:
        if type(other) is not Tensor:
            other = _other(op, self, other)
        return cls.apply(*_promote(op, other, self))

    f.__name__, r.__name__ = op, "r" + op
    return f, r


def _inplace(cls: Any, op: str, fast: Any) -> Any:
    def f(self: Tensor, other: Any) -> Tensor:
        other = _other(op + "_", self, other)
        return inplace_apply(self, cls, other, fast=fast)

    f.__name__ = op + "_"
    return f


# ops whose result is a float even for integer and bool inputs (computed in the default float dtype)
_FLOAT_RESULT = {"exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid"}
_FLOAT_RESULT |= {"reciprocal", "erf"}


def _unary(cls: Any, op: str) -> Any:
    to_float = op in _FLOAT_RESULT

    def f(self: Tensor) -> Tensor:
        if to_float and self._data.dtype.kind in "biu":
            self = D.to(self, dtypes.default_float)
        return cls.apply(self)

    def f_(self: Tensor) -> Tensor:
        return inplace_apply(self, cls)

    f.__name__, f_.__name__ = op, op + "_"
    return f, f_


def _cmp(fn: str) -> Any:
    def f(self: Tensor, other: Any) -> Tensor:
        o = _other(fn, self, other)
        o = o._data if isinstance(o, Tensor) else o
        return Tensor._make(getattr(self.backend.xp, fn)(self._data, o))

    f.__name__ = fn
    return f


def _logical(fn: str) -> Any:
    def f(self: Tensor, other: Any) -> Tensor:
        o = _other(fn, self, other)
        o = o._data if isinstance(o, Tensor) else o
        return Tensor._make(getattr(self.backend.xp, fn)(self._data, o))

    f.__name__ = fn
    return f


def _install() -> None:
    T = Tensor
    for cls, op in (
        (E.Add, "add"),
        (E.Sub, "sub"),
        (E.Mul, "mul"),
        (E.Div, "truediv"),
        (E.Pow, "pow"),
        (E.Remainder, "mod"),
    ):
        f, r = _binary(cls, op)
        setattr(T, f"__{op}__", f)
        setattr(T, f"__r{op}__", r)
    T.__matmul__ = lambda self, other: L.matmul(self, other)
    T.__rmatmul__ = lambda self, other: L.matmul(other, self)
    T.__floordiv__ = lambda self, other: floor_divide(self, other)
    T.__rfloordiv__ = lambda self, other: floor_divide(_other("floor_divide", self, other), self)
    T.__neg__ = lambda self: E.Neg.apply(self)
    T.__pos__ = lambda self: self
    T.__abs__ = lambda self: E.Abs.apply(self)

    T.__iadd__ = T.add_ = _inplace(E.Add, "add", lambda d, o: d.__iadd__(o))
    T.__isub__ = T.sub_ = _inplace(E.Sub, "sub", lambda d, o: d.__isub__(o))
    T.__imul__ = T.mul_ = _inplace(E.Mul, "mul", lambda d, o: d.__imul__(o))
    T.__itruediv__ = T.div_ = _inplace(E.Div, "div", lambda d, o: d.__itruediv__(o))
    T.pow_ = _inplace(E.Pow, "pow", lambda d, o: d.__ipow__(o))

    def add(self, other, *, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, *, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    T.add, T.sub = add, sub
    T.subtract = sub
    T.mul = T.multiply = lambda self, other: self * other
    T.div = T.divide = T.true_divide = lambda self, other, rounding_mode=None: _div(
        self, other, rounding_mode
    )
    T.pow = lambda self, e: self**e
    T.remainder = lambda self, other: self % other
    T.fmod = _fmod
    T.neg = T.negative = lambda self: -self
    T.abs = T.absolute = lambda self: E.Abs.apply(self)
    T.abs_ = lambda self: inplace_apply(self, E.Abs)
    T.neg_ = lambda self: inplace_apply(self, E.Neg)

    for cls, name in (
        (E.Exp, "exp"),
        (E.Log, "log"),
        (E.Log1p, "log1p"),
        (E.Expm1, "expm1"),
        (E.Sqrt, "sqrt"),
        (E.Rsqrt, "rsqrt"),
        (E.Sin, "sin"),
        (E.Cos, "cos"),
        (E.Tan, "tan"),
        (E.Tanh, "tanh"),
        (E.Sigmoid, "sigmoid"),
        (E.Relu, "relu"),
        (E.Sign, "sign"),
        (E.Floor, "floor"),
        (E.Ceil, "ceil"),
        (E.Trunc, "trunc"),
        (E.Reciprocal, "reciprocal"),
        (E.Erf, "erf"),
    ):
        f, f_ = _unary(cls, name)
        setattr(T, name, f)
        setattr(T, name + "_", f_)
    T.log2 = lambda self: self.log() * (1 / 0.6931471805599453)
    T.log10 = lambda self: self.log() * (1 / 2.302585092994046)
    T.square = lambda self: (self * self) if self._data.dtype.kind != "b" else D.to(self, dtypes.int64) ** 2
    T.softplus = lambda self: E.Softplus.apply(self)

    def round_(self, decimals=0):
        return E.Round.apply(self, decimals) if decimals else E.Round.apply(self)

    T.round = round_

    # comparisons and logic: no graph
    for fn, dunder in (
        ("equal", "eq"),
        ("not_equal", "ne"),
        ("less", "lt"),
        ("less_equal", "le"),
        ("greater", "gt"),
        ("greater_equal", "ge"),
    ):
        f = _cmp(fn)
        setattr(T, f"__{dunder}__", f)
        setattr(T, dunder, f)
    T.logical_and = _logical("logical_and")
    T.logical_or = _logical("logical_or")
    T.logical_xor = _logical("logical_xor")
    T.logical_not = lambda self: logical_not(self)
    T.isnan = lambda self: Tensor._make(self.backend.xp.isnan(self._data))
    T.isinf = lambda self: Tensor._make(self.backend.xp.isinf(self._data))
    T.isfinite = lambda self: Tensor._make(self.backend.xp.isfinite(self._data))
    T.allclose = lambda self, other, rtol=1e-5, atol=1e-8, equal_nan=False: bool(
        self.backend.xp.allclose(self._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
    )
    T.equal = lambda self, other: self.shape == other.shape and bool((self._data == other._data).all())

    T.maximum = lambda self, other: E.Maximum.apply(
        *_promote("maximum", self, _other("maximum", self, other))
    )
    T.minimum = lambda self, other: E.Minimum.apply(
        *_promote("minimum", self, _other("minimum", self, other))
    )
    T.clamp = T.clip = clamp
    T.clamp_ = T.clip_ = clamp_
    T.clamp_min = lambda self, m: clamp(self, min=m)
    T.clamp_max = lambda self, m: clamp(self, max=m)
    T.where = lambda self, cond, other: where(cond, self, other)

    # reductions
    T.sum, T.mean, T.var, T.std = R.sum, R.mean, R.var, R.std
    T.max = lambda self, dim=None, keepdim=False: R._max_min(self, dim, keepdim, False)
    T.min = lambda self, dim=None, keepdim=False: R._max_min(self, dim, keepdim, True)
    T.amax, T.amin, T.argmax, T.argmin = R.amax, R.amin, R.argmax, R.argmin
    T.logsumexp, T.prod, T.cumsum, T.cumprod = R.logsumexp, R.prod, R.cumsum, R.cumprod
    T.all, T.any, T.norm = R.all, R.any, R.norm

    # shape
    T.reshape, T.view, T.permute, T.transpose = S.reshape, S.view, S.permute, S.transpose
    T.swapaxes = T.swapdims = S.transpose
    T.t = S.t
    T.T = property(S.T)
    T.mT = property(S.mT)
    T.expand, T.expand_as, T.broadcast_to = S.expand, S.expand_as, S.broadcast_to
    T.view_as = lambda self, other: S.view(self, other.shape)
    T.reshape_as = lambda self, other: S.reshape(self, other.shape)
    T.squeeze, T.unsqueeze, T.flatten, T.unflatten = S.squeeze, S.unsqueeze, S.flatten, S.unflatten
    T.flip, T.roll, T.narrow, T.split, T.chunk, T.unbind = (
        S.flip,
        S.roll,
        S.narrow,
        S.split,
        S.chunk,
        S.unbind,
    )
    T.repeat, T.tile, T.movedim = S.repeat, S.tile, S.movedim
    T.cat = staticmethod(S.cat)

    # indexing
    T.__getitem__ = I.getitem
    T.__setitem__ = I.setitem
    T.gather, T.scatter, T.scatter_add, T.index_select = I.gather, I.scatter, I.scatter_add, I.index_select
    T.masked_fill, T.tril, T.triu = I.masked_fill, I.tril, I.triu
    T.masked_fill_ = lambda self, mask, value: _assign(self, I.masked_fill(self, mask, value))
    T.scatter_ = lambda self, dim, index, src=None, *, value=None, reduce=None: _assign(
        self, I.scatter(self, dim, index, src, value=value, reduce=reduce)
    )
    T.scatter_add_ = lambda self, dim, index, src: _assign(self, I.scatter_add(self, dim, index, src))

    # linear algebra
    T.matmul, T.mm, T.bmm, T.outer, T.dot = L.matmul, L.mm, L.bmm, L.outer, L.dot
    T.ger = L.outer

    # dtype / device
    T.to = D.to
    T.cpu = lambda self: D.to(self, "cpu")
    T.cuda = lambda self, device=None, non_blocking=False: D.to(
        self, "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
    )
    T.type = _type
    T.float = lambda self: D.to(self, dtypes.float32)
    T.double = lambda self: D.to(self, dtypes.float64)
    T.half = lambda self: D.to(self, dtypes.float16)
    T.long = lambda self: D.to(self, dtypes.int64)
    T.int = lambda self: D.to(self, dtypes.int32)
    T.bool = lambda self: D.to(self, dtypes.bool)
    T.clone = lambda self, memory_format=MF.preserve_format: (
        E.Copy.apply(self, "K") if memory_format is MF.preserve_format else MF.clone(self, memory_format)
    )
    T.contiguous = lambda self, memory_format=MF.contiguous_format: (
        (self if self._data.flags.c_contiguous else E.Copy.apply(self, "C"))
        if memory_format is MF.contiguous_format
        else MF.contiguous(self, memory_format)
    )
    T.is_contiguous = lambda self, memory_format=MF.contiguous_format: (
        bool(self._data.flags.c_contiguous)
        if memory_format is MF.contiguous_format
        else MF.is_contiguous(self, memory_format)
    )

    # in-place fills used by init and optimizers
    T.zero_ = lambda self: _fill_(self, 0)
    T.fill_ = lambda self, value: _fill_(self, value)
    T.copy_ = copy_
    T.uniform_ = lambda self, a=0.0, b=1.0, generator=None: _random_(self, "uniform", a, b, generator)
    T.normal_ = lambda self, mean=0.0, std=1.0, generator=None: _random_(self, "normal", mean, std, generator)
    T.bernoulli_ = lambda self, p=0.5, generator=None: _random_(self, "bernoulli", p, None, generator)
    T.new_tensor = lambda self, data, dtype=None, device=None, requires_grad=False: _new(
        "tensor", self, dtype, device, data, requires_grad=requires_grad
    )
    T.new_zeros = lambda self, *size, dtype=None, device=None, requires_grad=False: _new(
        "zeros", self, dtype, device, *size, requires_grad=requires_grad
    )
    T.new_ones = lambda self, *size, dtype=None, device=None, requires_grad=False: _new(
        "ones", self, dtype, device, *size, requires_grad=requires_grad
    )
    T.new_empty = lambda self, *size, dtype=None, device=None, requires_grad=False: _new(
        "empty", self, dtype, device, *size, requires_grad=requires_grad
    )
    T.new_full = lambda self, size, fill_value, dtype=None, device=None, requires_grad=False: _new(
        "full", self, dtype, device, size, fill_value, requires_grad=requires_grad
    )

    # PyTorch aliases and composites a ported script expects (API-parity audit)
    from .ops.results import MaxMinResult

    def log_softmax(self, dim, dtype=None):
        x = self if dtype is None else D.to(self, dtype)
        return x - x.logsumexp(dim, keepdim=True)

    def softmax(self, dim, dtype=None):
        x = self if dtype is None else D.to(self, dtype)
        e = (x - x.amax(dim, keepdim=True).detach()).exp()
        return e / e.sum(dim, keepdim=True)

    T.log_softmax, T.softmax = log_softmax, softmax
    T.type_as = lambda self, other: D.to(self, other.dtype)
    T.is_cpu = property(lambda self: self.device.type == "cpu")
    T.get_device = lambda self: self.device.index or 0 if self.is_cuda else -1
    T.ndimension = lambda self: self._data.ndim
    T.ravel = lambda self: S.reshape(self, (-1,))
    T.moveaxis = S.movedim
    T.greater, T.greater_equal, T.less, T.less_equal = T.gt, T.ge, T.lt, T.le
    T.not_equal, T.positive = T.ne, lambda self: self
    T.clamp_min_ = lambda self, m: clamp_(self, min=m)
    T.clamp_max_ = lambda self, m: clamp_(self, max=m)
    T.sinh = lambda self: (self.exp() - (-self).exp()) * 0.5
    T.cosh = lambda self: (self.exp() + (-self).exp()) * 0.5
    T.addmm = lambda self, mat1, mat2, *, beta=1, alpha=1: (
        alpha * L.mm(mat1, mat2) + (beta * self if beta != 0 else 0 * self.nan_to_num(0.0, 0.0, 0.0))
    )  # beta = 0 ignores self (nan and inf in it do not spread), as in PyTorch
    T.dist = lambda self, other, p=2: R.norm(self - other, p)
    T.isclose = lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False: Tensor._make(
        self.backend.xp.isclose(self._data, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan)
    )
    T.count_nonzero = lambda self, dim=None: Tensor._make(
        self.backend.xp.asarray(self.backend.xp.count_nonzero(self._data, axis=dim), dtype="int64")
    )

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        if self._data.dtype.kind != "f":  # integers and bools hold no nan or inf: a copy, as in PyTorch
            return self.clone()
        fi = self.backend.xp.finfo(self._data.dtype)
        d = self._data
        out = where(self.isnan(), nan, self)
        out = where(Tensor._make(d == float("inf")), fi.max if posinf is None else posinf, out)
        return where(Tensor._make(d == float("-inf")), fi.min if neginf is None else neginf, out)

    T.nan_to_num = nan_to_num

    def argsort(self, dim=-1, descending=False, stable=False):
        xp, d = self.backend.xp, self._data
        if descending:
            idx = xp.flip(xp.argsort(xp.flip(d, axis=dim), axis=dim, kind="stable"), axis=dim)
            idx = d.shape[dim] - 1 - idx if d.ndim else idx
        else:
            idx = xp.argsort(d, axis=dim, kind="stable" if stable else None)
        return Tensor._make(xp.ascontiguousarray(idx).astype("int64"))

    def sort(self, dim=-1, descending=False, stable=False):
        if self.ndim == 0:
            return MaxMinResult(self.clone(), Tensor._make(self.backend.xp.asarray(0, dtype="int64")))
        idx = argsort(self, dim, descending, stable)
        return MaxMinResult(I.gather(self, dim, idx), idx)

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        if not 0 <= k <= (self.shape[dim] if self.ndim else 1):
            raise RuntimeError(f"topk: k ({k}) is out of range for dim {dim} of size {tuple(self.shape)}")
        _, idx = sort(self, dim, descending=largest, stable=True)
        idx = S.narrow(idx, dim, 0, k) if self.ndim else idx
        idx = idx.contiguous()
        return MaxMinResult(I.gather(self, dim, idx) if self.ndim else self.clone(), idx)

    T.argsort, T.sort, T.topk = argsort, sort, topk
    T.msort = lambda self: sort(self, 0).values

    def nonzero(self, *, as_tuple=False):
        xp = self.backend.xp
        nz = xp.nonzero(self._data if self.ndim else self._data.reshape(1))
        if as_tuple:
            return tuple(Tensor._make(i.astype("int64")) for i in nz)
        return Tensor._make(xp.ascontiguousarray(xp.stack(nz, axis=1).astype("int64")))

    T.nonzero = nonzero

    def masked_select(self, mask):
        shape = self.backend.xp.broadcast_shapes(self.shape, mask.shape)
        x = self if self.shape == shape else S.expand(self, shape)
        return x[mask if mask.shape == shape else S.expand(mask, shape)]

    T.masked_select = masked_select

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        x = S.reshape(self, (-1,)) if dim is None else self
        d = 0 if dim is None else dim
        xp = x.backend.xp
        reps = repeats._data if isinstance(repeats, Tensor) else repeats
        idx = xp.repeat(xp.arange(x.shape[d]), reps)
        return I.index_select(x, d, Tensor._make(idx.astype("int64")))

    T.repeat_interleave = repeat_interleave

    def diag(self, diagonal=0):
        if self.ndim == 2:
            return self.diagonal(diagonal).clone()  # a copy, as torch.diag
        if self.ndim != 1:
            raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(self.shape)}")
        from .creation import eye

        n, k = self.shape[0], diagonal
        m = self.unsqueeze(-1) * eye(n, dtype=self.dtype, device=self.device)
        return S.pad(m, (k, 0, 0, k) if k >= 0 else (0, -k, -k, 0))

    T.diag = diag  # T.diagonal (a strided view) is installed by _install_extra
    T.trace = lambda self: self.diagonal().sum()

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
        xp = self.backend.xp
        res = xp.unique(self._data, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
        if not (return_inverse or return_counts):
            return Tensor._make(res)
        out = [Tensor._make(res[0])]
        if return_inverse:
            inv = res[1].reshape(self.shape if dim is None else (self.shape[dim],))
            out.append(Tensor._make(inv.astype("int64")))
        if return_counts:
            out.append(Tensor._make(res[-1].astype("int64")))
        return tuple(out)

    T.unique = unique

    def bernoulli(self, p=None, *, generator=None):
        be = self.backend
        prob = self._data if p is None else _raw(p)
        with use_generator(generator, self.device, "bernoulli"):
            draw = be.uniform(self.shape, self._data.dtype, device=self.device)
        return Tensor._make((draw < prob).astype(self._data.dtype))

    T.bernoulli = bernoulli
    _install_stats(T)


def _install_stats(T: Any) -> None:
    """Order statistics, scans, counting, matrix extras and random fills (ops/stats.py and friends)."""
    from .ops import counting as C
    from .ops import differences as Df
    from .ops import matrix as M
    from .ops import random as Rnd
    from .ops import solvers as Sv
    from .ops import stats as St

    T.median, T.nanmedian, T.kthvalue, T.mode = St.median, St.nanmedian, St.kthvalue, St.mode
    T.quantile, T.nanquantile, T.aminmax = St.quantile, St.nanquantile, St.aminmax
    T.cummax, T.cummin, T.logcumsumexp = St.cummax, St.cummin, St.logcumsumexp
    T.diff = Df.diff
    T.bincount, T.histc, T.unique_consecutive = C.bincount, C.histc, C.unique_consecutive
    T.cross, T.inner, T.kron, T.matrix_power = M.cross, M.inner, M.kron, M.matrix_power
    T.baddbmm, T.addbmm, T.addmv, T.addr, T.renorm = M.baddbmm, M.addbmm, M.addmv, M.addr, M.renorm
    T.inverse, T.det, T.slogdet, T.logdet = Sv.inverse, Sv.det, Sv.slogdet, Sv.logdet
    T.random_, T.exponential_, T.geometric_ = Rnd.random_, Rnd.exponential_, Rnd.geometric_
    T.log_normal_, T.cauchy_, T.multinomial = Rnd.log_normal_, Rnd.cauchy_, Rnd.multinomial

    from .math_ops import install as install_math

    install_math(T)  # inverse trig, atan2, hypot, logaddexp, logit, xlogy, sinc, fmax/fmin... (math_ops.py)
    from .special import install as install_special

    install_special(T)  # lgamma, digamma, polygamma, mvlgamma, erfinv, erfc, i0, exp2 (special.py)

    from .methods_extra import install as install_extra

    install_extra(T)  # bitwise ops, copysign, nansum, vdot, histogram, cov, addcmul_... (methods_extra.py)


def _new(kind: str, self: Tensor, dtype: Any, device: Any, *args: Any, requires_grad: bool = False) -> Tensor:
    from . import creation

    return getattr(creation, kind)(
        *args, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad
    )


def _type(self: Tensor, dtype: Any = None) -> Any:
    if dtype is None:
        return (
            f"autograd.{'cuda.' if self.is_cuda else ''}{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        )
    return D.to(self, dtype)


_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "bool": "BoolTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
}


def _install_fast() -> None:
    """Replace the hottest methods by single-frame versions (same semantics, see fastpath.py)."""
    import operator

    from . import fastpath as F

    T = Tensor
    for cls, op, fn in (
        (E.Add, "add", operator.add),
        (E.Sub, "sub", operator.sub),
        (E.Mul, "mul", operator.mul),
        (E.Div, "truediv", operator.truediv),
    ):
        slow, rslow = _binary(cls, op)
        setattr(T, f"__{op}__", F.binary(cls, fn, slow))
        setattr(T, f"__r{op}__", F.binary(cls, fn, rslow, reflected=True))
    T.__neg__ = T.neg = F.unary(E.Neg, lambda b: operator.neg)
    T.__matmul__ = T.matmul = F.matmul(L.MatMul, L.matmul)
    for cls, name in (
        (E.Exp, "exp"),
        (E.Log, "log"),
        (E.Tanh, "tanh"),
        (E.Sqrt, "sqrt"),
        (E.Sin, "sin"),
        (E.Cos, "cos"),
    ):
        setattr(T, name, F.unary(cls, lambda b, n=name: getattr(b.xp, n), to_float=True))
    T.sigmoid = F.unary(E.Sigmoid, lambda b: b.sigmoid, to_float=True)
    T.relu = F.unary(E.Relu, lambda b: lambda a, m=b.xp.maximum: m(a, 0))


def _install_extra() -> None:
    """Indexing, scatter and strided-view ops (ops/index_extra.py, ops/views.py, ops/shape_extra.py)."""
    from .ops import index_extra as X
    from .ops import shape_extra as SX
    from .ops import views as V

    T = Tensor
    T.index_add, T.index_copy, T.index_fill, T.index_put = (
        X.index_add,
        X.index_copy,
        X.index_fill,
        X.index_put,
    )
    T.index_add_ = lambda self, dim, index, source, *, alpha=1: _assign(
        self, X.index_add(self, dim, index, source, alpha=alpha)
    )
    T.index_copy_ = lambda self, dim, index, source: _assign(self, X.index_copy(self, dim, index, source))
    T.index_fill_ = lambda self, dim, index, value: _assign(self, X.index_fill(self, dim, index, value))
    T.index_put_ = X.index_put_
    T.scatter_reduce = X.scatter_reduce
    T.scatter_reduce_ = X.scatter_reduce_
    T.scatter = X.scatter

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        if reduce == "multiply":  # backward reads self's old values: a real in-place op keeps a copy
            s = value if src is None else src
            if not isinstance(s, Tensor):
                s = Tensor._make(self.backend.xp.full(index.shape, s, dtype=self._data.dtype))
            return X.scatter_reduce_(self, dim, index, s, "prod")
        return _assign(self, X.scatter(self, dim, index, src, value=value, reduce=reduce))

    T.scatter_ = scatter_
    T.masked_scatter = X.masked_scatter
    T.masked_scatter_ = lambda self, mask, source: _assign(
        self, _same_shape("masked_scatter_", self, X.masked_scatter(self, mask, source))
    )
    T.take, T.take_along_dim, T.put = X.take, X.take_along_dim, X.put
    T.put_ = lambda self, index, source, accumulate=False: _assign(
        self, X.put(self, index, source, accumulate)
    )
    T.select_scatter, T.slice_scatter, T.diagonal_scatter = (
        X.select_scatter,
        X.slice_scatter,
        X.diagonal_scatter,
    )
    T.diag_embed = X.diag_embed
    T.tensor_split, T.rot90, T.sum_to_size, T.narrow_copy = (
        SX.tensor_split,
        SX.rot90,
        SX.sum_to_size,
        SX.narrow_copy,
    )
    T.fill_diagonal_ = SX.fill_diagonal_
    T.as_strided, T.unfold, T.select, T.diagonal = V.as_strided, V.unfold, V.select, V.diagonal
    T.stride, T.storage_offset = V.stride, V.storage_offset


def _same_shape(op: str, x: Tensor, result: Tensor) -> Tensor:
    if result.shape != x.shape:
        raise RuntimeError(
            f"{op}: the mask broadcasts the tensor of shape {tuple(x.shape)} to {tuple(result.shape)}; an in-place "
            "op cannot change its shape"
        )
    return result


_install()
_install_extra()
_install_fast()
