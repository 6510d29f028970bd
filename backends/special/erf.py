"""erf's relatives on any array module, accurate in the tails: erfc, erfcx, ndtr, log_ndtr and the
inverses erfinv / ndtri.

Inputs are float64 arrays. erfcx(x) = exp(x^2) erfc(x) is the core, so erfc never comes from 1 - erf
where erf is close to 1: below 4 a Taylor series about the nearest multiple of 1/8 (erfcx' = 2 x erfcx
- 2/sqrt(pi) gives every coefficient from the tabulated value), from 4 up its continued fraction.
exp(-x^2) is formed as exp(-s^2) exp(-(x - s)(x + s)) with s = x rounded to 12 fraction bits (s^2 is
exact), so the rounding of x^2 does not cost the tail its relative accuracy.
"""

from __future__ import annotations

import math
from typing import Any

from . import _consts as C

_CF_FROM = 4.0  # the continued fraction takes over from here (Taylor series below)
_CF_TERMS = 26  # enough for 1e-16 at 4 (it converges faster further out)
_TAYLOR_TERMS = 16  # |x - center| <= 1/16: the terms fall below 1e-17 well before this
_HALLEY_STEPS = 2  # from Winitzki's ~2e-3 start: ~1e-9, then below rounding (cubic convergence)


def erf_series(xp: Any, a: Any, terms: int = 38) -> Any:
    """erf(a) for 0 <= a <= 2: 2/sqrt(pi) e^(-a^2) sum_n (2 a^2)^n a / (2n+1)!!, all terms positive
    (38 terms reach 1e-17 at 2, 18 at 1/2)."""
    a2 = a * a
    term = a
    total = a
    for n in range(1, terms):
        term = term * (2.0 * a2) / (2 * n + 1)
        total = total + term
    return C.TWO_OVER_SQRT_PI * xp.exp(-a2) * total


def erfcx_cf(xp: Any, a: Any) -> Any:
    """erfcx(a) for a >= 4: 1 / (sqrt(pi) (a + (1/2) / (a + 1 / (a + (3/2) / (a + ...)))))."""
    f = a
    for k in range(_CF_TERMS, 0, -1):
        f = a + (0.5 * k) / f
    return 1.0 / (C.SQRT_PI * f)


def erfcx_taylor(xp: Any, a: Any) -> Any:
    """erfcx(a) for 0 <= a <= 4: sum_n c_n h^n about the nearest center x0 = k/8 (h = a - x0 is exact),
    c_0 tabulated, c_1 = 2 x0 c_0 - 2/sqrt(pi), c_(n+1) = (2 x0 c_n + 2 c_(n-1)) / (n + 1)."""
    k = xp.floor(a * C.ERFCX_STEP + 0.5)
    k = xp.where(k >= 0, xp.minimum(k, _CF_FROM * C.ERFCX_STEP), 0.0)  # NaN (a value not used) indexes 0
    x0 = k / C.ERFCX_STEP
    h = a - x0
    c0 = xp.take(xp.asarray(C.erfcx_table(int(_CF_FROM)), dtype=a.dtype), k.astype("int64"))
    c1 = 2.0 * x0 * c0 - C.TWO_OVER_SQRT_PI
    total = c0 + c1 * h
    hn = h
    for n in range(1, _TAYLOR_TERMS):
        c0, c1 = c1, (2.0 * x0 * c1 + 2.0 * c0) / (n + 1)
        hn = hn * h
        total = total + c1 * hn
    return total


def exp_sq(xp: Any, a: Any, sign: float, scale: float = 1.0) -> Any:
    """exp(sign * scale * a^2) for a >= 0 (scale 1 or 1/2), keeping its relative accuracy for large a."""
    a = xp.minimum(a, 40.0)  # beyond, the result is 0 or inf either way
    s = xp.floor(a * 4096.0) / 4096.0
    return xp.exp((sign * scale) * (s * s)) * xp.exp((sign * scale) * ((a - s) * (a + s)))


def erfcx_pos(xp: Any, a: Any) -> Any:
    """erfcx(a) for a >= 0 (0 at inf)."""
    near = erfcx_taylor(xp, xp.minimum(a, _CF_FROM))
    return xp.where(a < _CF_FROM, near, erfcx_cf(xp, xp.maximum(a, _CF_FROM)))


def erfc(xp: Any, x: Any) -> Any:
    """1 - erf(x), with full relative accuracy for large x (down to the smallest subnormal)."""
    a = xp.abs(x)
    pos = erfcx_pos(xp, a) * exp_sq(xp, a, -1.0)
    return xp.where(x < 0, 2.0 - pos, pos)


def erfcx(xp: Any, x: Any) -> Any:
    """exp(x^2) erfc(x): finite for large x (about 1 / (x sqrt(pi))); overflows to inf below about -26.6."""
    a = xp.abs(x)
    pos = erfcx_pos(xp, a)
    return xp.where(x < 0, 2.0 * exp_sq(xp, a, 1.0) - pos, pos)


def _half_erfcx(xp: Any, a: Any) -> Any:
    """erfcx(a / sqrt 2) / 2 for a >= 0: Phi(-a) = that times exp(-a^2 / 2)."""
    return 0.5 * erfcx_pos(xp, a * C.SQRT1_2)


def ndtr(xp: Any, x: Any) -> Any:
    """The standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, accurate far into the lower tail."""
    a = xp.abs(x)
    lower = _half_erfcx(xp, a) * exp_sq(xp, a, -1.0, 0.5)
    return xp.where(x < 0, lower, 1.0 - lower)


def log_ndtr(xp: Any, x: Any) -> Any:
    """log Phi(x): log(erfcx(-x / sqrt 2) / 2) - x^2/2 below 0 (no underflow), log1p(-Phi(-x)) above."""
    a = xp.abs(x)
    h = _half_erfcx(xp, a)
    return xp.where(x < 0, xp.log(h) - 0.5 * (a * a), xp.log1p(-h * exp_sq(xp, a, -1.0, 0.5)))


def _inverse(xp: Any, p: Any, q: Any) -> Any:
    """y >= 0 with erf(y) = p, given p in [0, 1] and q = 1 - p (exact; it carries the tail's precision).

    A closed-form start (Winitzki's, ~2e-3) refined by Halley steps: on erf(y) - p while p < 1/2, on
    log(erfcx(y)) - y^2 - log(q) (the log of erfc(y) / q, which never underflows) above.
    """
    where = xp.where
    log_q = xp.log(q)
    ell = log_q + xp.log1p(p)  # log(1 - p^2)
    k = 0.147
    b = 2.0 / (math.pi * k) + 0.5 * ell
    y = xp.sqrt(xp.maximum(xp.sqrt(xp.maximum(b * b - ell / k, 0.0)) - b, 0.0))
    y = where(p < 0.05, (0.5 * C.SQRT_PI) * p * (1.0 + (math.pi / 12.0) * p * p), y)
    y = where(q == 0, 0.0, y)  # p = 1: inf, set at the end
    tail = p >= 0.5
    for _ in range(_HALLEY_STEPS):
        ys = xp.minimum(y, 0.5)  # the erf side is used below p = 1/2 only, where y < 0.477
        f1 = C.TWO_OVER_SQRT_PI * xp.exp(-ys * ys)
        step_s = (erf_series(xp, ys, 18) - p) / f1  # Newton on erf(y) - p, then Halley's (f'' = -2 y f')
        step_s = step_s / (1.0 + ys * step_s)
        e = erfcx_pos(xp, y)
        g = xp.log(e) - y * y - log_q
        g1 = -C.TWO_OVER_SQRT_PI / e
        g2 = C.TWO_OVER_SQRT_PI * (2.0 * y * e - C.TWO_OVER_SQRT_PI) / (e * e)
        step_t = 2.0 * g * g1 / (2.0 * g1 * g1 - g * g2)
        y = where(tail, y - step_t, y - step_s)
    return where(q == 0, math.inf, y)


def erfinv(xp: Any, x: Any) -> Any:
    """The inverse of erf on [-1, 1]: +-inf at +-1, NaN outside."""
    p = xp.abs(x)
    ok = p <= 1.0
    pc = xp.where(ok, p, 0.0)
    y = _inverse(xp, pc, 1.0 - pc)
    return xp.where(ok, xp.copysign(y, x), math.nan)


def ndtri(xp: Any, p: Any) -> Any:
    """The inverse of the normal CDF on [0, 1]: -inf at 0, inf at 1, NaN outside; exact tails (q = 2p)."""
    ok = (p >= 0) & (p <= 1)
    pc = xp.where(ok, p, 0.5)
    lower = pc < 0.5
    q = 2.0 * xp.where(lower, pc, 1.0 - pc)  # erfc(y) = q with y >= 0; 1 - pc is exact from 1/2 up
    y = math.sqrt(2.0) * _inverse(xp, 1.0 - q, q)
    return xp.where(ok, xp.where(lower, -y, y), math.nan)
