"""``torch.special`` for embergrad, plus the special functions PyTorch also has at top level and as
Tensor methods (lgamma, digamma, polygamma, mvlgamma, erfinv, erfc, i0, exp2 and their in-place forms).

The kernels (``backends/special``) run on every device from exp/log/sin/cos alone: no scipy. Integer
and bool inputs give default-float results, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

from .math_ops import _floating, _pair, logit, sinc, xlogy
from .ops import special as S
from .ops.elementwise_math import Xlog1py
from .ops.inplace import inplace_apply
from .tensor import Tensor

__all__ = [
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
]


def _unary(cls: Any, name: str, doc: str) -> tuple:
    def f(input: Tensor) -> Tensor:
        return cls.apply(_floating(name, input))

    def f_(self: Tensor) -> Tensor:
        return inplace_apply(self, cls)

    f.__name__, f_.__name__ = name, name + "_"
    f.__doc__, f_.__doc__ = doc, f"In-place ``{name}``."
    return f, f_


lgamma, lgamma_ = _unary(S.Lgamma, "lgamma", "log|Gamma(x)| (inf at the poles 0, -1, -2, ...).")
digamma, digamma_ = _unary(
    S.Digamma, "digamma", "psi(x), the derivative of lgamma (-inf at 0, NaN at -1, -2, ...)."
)
erfinv, erfinv_ = _unary(S.Erfinv, "erfinv", "The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside).")
erfc, erfc_ = _unary(S.Erfc, "erfc", "1 - erf(x), accurate where erf(x) is close to 1.")
i0, i0_ = _unary(S.I0, "i0", "The modified Bessel function of the first kind of order 0.")
exp2, exp2_ = _unary(S.Exp2, "exp2", "2**x (exact at integers).")
erfcx, _ = _unary(S.Erfcx, "erfcx", "exp(x^2) erfc(x), finite for large x.")
ndtr, _ = _unary(S.Ndtr, "ndtr", "The standard normal CDF.")
ndtri, _ = _unary(S.Ndtri, "ndtri", "The inverse of the standard normal CDF (the quantile function).")
log_ndtr, _ = _unary(S.LogNdtr, "log_ndtr", "log of the standard normal CDF, finite far into the lower tail.")
i0e, _ = _unary(S.I0e, "i0e", "exp(-|x|) i0(x).")
i1, _ = _unary(S.I1, "i1", "The modified Bessel function of the first kind of order 1.")
i1e, _ = _unary(S.I1e, "i1e", "exp(-|x|) i1(x).")
entr, _ = _unary(S.Entr, "entr", "-x log(x) elementwise (0 at 0, -inf below).")
gammaln, psi = lgamma, digamma


def _int_arg(op: str, name: str, v: Any, least: int, rule: str) -> int:
    """An int argument of at least ``least`` (PyTorch's ``rule`` wording otherwise)."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{op}: {name} must be an int, got {type(v).__name__}")
    if v < least:
        raise RuntimeError(f"{op}: {rule} (got {name}={v})")
    return v


def _order(op: str, n: Any) -> int:
    return _int_arg(op, "n", n, 0, "polygamma(n, x) does not support negative n.")


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma (n >= 0), like ``torch.polygamma(n, input)``."""
    return S.Polygamma.apply(_floating("polygamma", input), _order("polygamma", n))


def polygamma_(self: Tensor, n: int) -> Tensor:
    """In-place ``polygamma(n, self)``."""
    return inplace_apply(self, S.Polygamma, _order("polygamma_", n))


def _check_p(op: str, p: Any) -> int:
    return _int_arg(op, "p", p, 1, "p has to be greater than or equal to 1")


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The multivariate log-gamma of dimension p: p(p-1)/4 log(pi) + sum_j lgamma(x + (1 - j)/2)."""
    from .creation import arange

    p = _check_p("mvlgamma", p)
    x = _floating("mvlgamma", input)
    offsets = arange(p, dtype=x.dtype, device=x.device) * -0.5
    return lgamma(x.unsqueeze(-1) + offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


def mvlgamma_(self: Tensor, p: int) -> Tensor:
    """In-place ``mvlgamma``."""
    from .ops.writes import _assign

    p = _check_p("mvlgamma_", p)
    if self._data.dtype.kind != "f":
        raise RuntimeError(
            f"mvlgamma_: result type Float can't be cast to the desired output type {self.dtype} "
            "(in-place needs a floating tensor)"
        )
    return _assign(self, mvlgamma(self, p))


multigammaln = mvlgamma


def xlog1py(input: Any, other: Any) -> Tensor:
    """x * log1p(y), 0 where x == 0 (unless y is NaN); scalars accepted for either side."""
    return Xlog1py.apply(*_pair("xlog1py", input, other))


def erf(input: Tensor) -> Tensor:
    return _floating("erf", input).erf()


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid."""
    return _floating("expit", input).sigmoid()


def log1p(input: Tensor) -> Tensor:
    return _floating("log1p", input).log1p()


def expm1(input: Tensor) -> Tensor:
    return _floating("expm1", input).expm1()


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    return input.logsumexp(dim, keepdim=keepdim)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return input.softmax(dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    return input.log_softmax(dim, dtype=dtype)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    return input.round(decimals)


METHODS = {
    "lgamma": lgamma,
    "lgamma_": lgamma_,
    "digamma": digamma,
    "digamma_": digamma_,
    "polygamma": lambda self, n: polygamma(n, self),
    "polygamma_": polygamma_,
    "mvlgamma": mvlgamma,
    "mvlgamma_": mvlgamma_,
    "erfinv": erfinv,
    "erfinv_": erfinv_,
    "erfc": erfc,
    "erfc_": erfc_,
    "i0": i0,
    "i0_": i0_,
    "exp2": exp2,
    "exp2_": exp2_,
}


def install(T: type) -> None:
    """Attach the special-function Tensor methods (PyTorch has these as methods too)."""
    for name, fn in METHODS.items():
        setattr(T, name, fn)
