"""lgamma, digamma and polygamma on any array module, from exp/log/sin/cos alone (no scipy).

Inputs are float64 arrays. Positive arguments use a Taylor series of lgamma about 2 (exact shifts
keep it accurate by the roots at 1 and 2), recurrences and the asymptotic (Stirling / Bernoulli)
series; negative ones the reflection formulas, with sin/cos of the reduced argument x - round(x).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from . import _consts as C

_STIRLING_AT = 10.0  # the asymptotic series is used from here up
_ROOT_HI, _ROOT_LO = 1.4616321449683622, 9.549995429965697e-17  # digamma's positive root, hi + lo
_ROOT_RADIUS = 0.25  # within this of the root, digamma is its Taylor series there


def horner(coefs: Any, w: Any) -> Any:
    """sum_k coefs[k] w^k (coefficients constant first)."""
    acc = coefs[-1]
    for c in reversed(coefs[:-1]):
        acc = acc * w + c
    return acc


def sinpi_cospi(xp: Any, x: Any) -> tuple[Any, Any]:
    """sin(pi x) and cos(pi x) without the error of rounding pi x for large x (x - round(x) is exact)."""
    r = x - xp.round(x)
    return xp.sin(math.pi * r), xp.cos(math.pi * r)


def is_nonpos_int(xp: Any, x: Any) -> Any:
    return (x <= 0) & (x == xp.floor(x))


def _lgamma_pos(xp: Any, y: Any) -> Any:
    """lgamma for y > 0."""
    where = xp.where
    # [1.5, 10): shift down n times into [1.5, 2.5): lgamma(y) = L2(y - n - 2) + log((y-1)...(y-n))
    ym = xp.minimum(xp.maximum(y, 1.5), _STIRLING_AT)
    n = xp.floor(ym - 1.5)
    prod = xp.ones_like(y)
    for j in range(1, int(_STIRLING_AT - 1.5) + 1):
        prod = where(n >= j, prod * (ym - j), prod)
    lo, mid = y < 0.5, y < 1.5
    # below 0.5: lgamma(y) = L2(y) - log(y) - log1p(y); [0.5, 1.5): L2(y - 1) - log(y) (y - 1 is exact)
    z = where(lo, y, where(mid, y - 1.0, (ym - n) - 2.0))
    corr = where(lo, -xp.log(y) - xp.log1p(y), where(mid, -xp.log(y), xp.log(prod)))
    series = z * horner(C.lgamma2_coefs(), z) + corr
    # Stirling: (y - 1/2) log y - y + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) y^(2k-1))
    t = xp.maximum(y, _STIRLING_AT)
    w = 1.0 / t
    big = (t - 0.5) * xp.log(t) - t + C.HALF_LOG_2PI + w * horner(C.stirling_coefs(), w * w)
    return where(y < _STIRLING_AT, series, where(y == math.inf, math.inf, big))


def lgamma(xp: Any, x: Any) -> Any:
    """log|Gamma(x)|: inf at the poles (non-positive integers) and at +-inf, as PyTorch."""
    neg = x <= 0
    y = xp.where(neg, 1.0 - x, x)
    pos = _lgamma_pos(xp, y)
    s, _ = sinpi_cospi(xp, x)
    refl = C.LOG_PI - xp.log(xp.abs(s)) - pos  # log(pi / |sin(pi x)|) - lgamma(1 - x)
    return xp.where(is_nonpos_int(xp, x), math.inf, xp.where(neg, refl, pos))


def _digamma_pos(xp: Any, y: Any) -> Any:
    """digamma for y > 0: shift up past 10, then log y - 1/(2y) - sum_k B_2k / (2k y^2k)."""
    acc = xp.zeros_like(y)
    t = y
    for _ in range(int(_STIRLING_AT)):
        m = t < _STIRLING_AT
        acc = acc + xp.where(m, 1.0 / t, 0.0)
        t = xp.where(m, t + 1.0, t)
    w = 1.0 / (t * t)
    return xp.log(t) - 0.5 / t - w * horner(C.digamma_coefs(), w) - acc


@cache
def _root_coefs(terms: int = 24) -> tuple[float, ...]:
    """psi^(k)(x0) / k!, k = 1..terms, at digamma's positive root x0 (host NumPy, once)."""
    x0 = np.array([_ROOT_HI])
    with np.errstate(all="ignore"):
        return tuple(float(polygamma(np, k, x0)[0]) / math.factorial(k) for k in range(1, terms + 1))


def digamma(xp: Any, x: Any) -> Any:
    """psi(x) = d/dx lgamma(x): -inf at +0, +inf at -0, NaN at negative integers and -inf (as PyTorch).
    Near its positive root it is the Taylor series there, so it keeps its relative accuracy."""
    neg = x < 0
    pos = _digamma_pos(xp, xp.where(neg, 1.0 - x, x))
    z = (x - _ROOT_HI) - _ROOT_LO  # x - _ROOT_HI is exact near the root
    near = xp.abs(z) < _ROOT_RADIUS
    zc = xp.where(near, z, 0.0)
    pos = xp.where(near, zc * horner(_root_coefs(), zc), pos)
    s, c = sinpi_cospi(xp, x)
    out = xp.where(neg, pos - math.pi * c / s, pos)  # psi(x) = psi(1 - x) - pi cot(pi x)
    out = xp.where(neg & (x == xp.floor(x)), math.nan, out)
    return xp.where(x == 0, xp.copysign(math.inf, -x), out)


def _hurwitz_pos(xp: Any, s: int, y: Any) -> Any:
    """zeta(s, y) = sum_k (y + k)^-s for an integer s >= 2 and y > 0: direct terms, then Euler-Maclaurin."""
    shift = 10 + s
    acc = xp.zeros_like(y)
    for k in range(shift):
        acc = acc + xp.power(y + k, -s)
    a = y + shift
    a_s = xp.power(a, -s)
    w = 1.0 / a
    tail = a_s * (a / (s - 1) + 0.5 + w * horner(C.hurwitz_tail_coefs(s, 14), w * w))
    return acc + tail


def polygamma(xp: Any, n: int, x: Any) -> Any:
    """The n-th derivative of digamma (n >= 1): (-1)^(n+1) n! zeta(n + 1, x), reflected for x < 0."""
    sign = 1.0 if n % 2 else -1.0
    fact = float(math.factorial(n)) if n <= 170 else math.inf
    neg = x < 0
    pos = sign * fact * _hurwitz_pos(xp, n + 1, xp.where(neg, 1.0 - x, x))
    s, c = sinpi_cospi(xp, x)
    # d^n/dx^n of psi(1 - x) - psi(x) = pi cot(pi x): psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) P_n(cot pi x)
    refl = -sign * pos - math.pi ** (n + 1) * horner(C.cot_derivative_poly(n), c / s)
    out = xp.where(neg, refl, pos)
    out = xp.where(is_nonpos_int(xp, x), sign * math.inf, out)
    return xp.where(x == -math.inf, math.nan, xp.where(x == math.inf, 0.0, out))
