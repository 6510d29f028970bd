"""The regularized lower incomplete gamma P(a, x) and the implicit reparameterization gradient of a
standard-gamma draw, dx/da = -(dP/da) / p(x), on any array module (float64 arrays, a > 0, x > 0).

Below x = a + 1, P comes from its power series, above it Q = 1 - P from Legendre's continued fraction
(modified Lentz); both carry their derivative in a along (forward mode), so dP/da is analytic rather
than a finite difference. Each is iterated to convergence (host check every few steps). For very large
a the Wilson-Hilferty cube-root normal approximation, differentiated at a fixed normal quantile, is used.
"""

from __future__ import annotations

from typing import Any

from .gamma import digamma, lgamma

_EPS = 2.0**-53
_CHECK_EVERY = 8
_MAX_STEPS = 4000
_WILSON_HILFERTY_FROM = 1.0e5  # a above this: the cube-root approximation (relative error ~1e-6)


def _series(xp: Any, a: Any, x: Any) -> tuple[Any, Any]:
    """S = sum_n prod_{k<=n} x / (a + k) and dS/da, with P(a, x) = x^a e^-x S / Gamma(a + 1)."""
    t, dt = xp.ones_like(x), xp.zeros_like(x)
    s, ds = xp.ones_like(x), xp.zeros_like(x)
    for k in range(1, _MAX_STEPS + 1):
        r = x / (a + k)
        dt = (dt - t / (a + k)) * r  # d(t r)/da with dr/da = -r / (a + k)
        t = t * r
        s = s + t
        ds = ds + dt
        if k % _CHECK_EVERY == 0 and not bool(xp.any(t > _EPS * s)):
            break
    return s, ds


def _continued_fraction(xp: Any, a: Any, x: Any) -> tuple[Any, Any]:
    """C and dC/da with Q(a, x) = x^a e^-x C / Gamma(a) (converges fast for x >= a + 1)."""
    b = x + 1.0 - a  # db/da = -1 throughout
    c, dc = xp.full_like(x, 1e300), xp.zeros_like(x)
    d = 1.0 / b
    dd = d * d  # d(1/b)/da = 1/b^2
    h, dh = d, dd
    for i in range(1, _MAX_STEPS + 1):
        an = -i * (i - a)  # d(an)/da = i
        b = b + 2.0
        den = an * d + b
        dden = i * d + an * dd - 1.0
        cn = b + an / c
        dcn = -1.0 + i / c - an * dc / c / c
        d, dd = 1.0 / den, -dden / (den * den)
        c, dc = cn, dcn
        delta = d * c
        ddelta = dd * c + d * dc
        dh = dh * delta + h * ddelta
        h = h * delta
        if i % _CHECK_EVERY == 0 and not bool(xp.any(xp.abs(delta - 1.0) > 4 * _EPS)):
            break
    return h, dh


def _wilson_hilferty_grad(xp: Any, a: Any, x: Any) -> Any:
    """dx/da at the fixed z where x = a (1 - 1/(9a) + z / (3 sqrt a))^3."""
    c = xp.cbrt(x / a)
    z = (c - 1.0 + 1.0 / (9.0 * a)) * 3.0 * xp.sqrt(a)
    dc = 1.0 / (9.0 * a * a) - z / (6.0 * a * xp.sqrt(a))
    return c**3 + 3.0 * a * c * c * dc


def _split(xp: Any, a: Any, x: Any) -> tuple[Any, Any, Any]:
    big = a > _WILSON_HILFERTY_FROM
    low = (x < a + 1.0) & ~big
    high = ~low & ~big
    return low, high, big


def standard_gamma_grad(xp: Any, a: Any, x: Any) -> Any:
    """dx/da of x ~ Gamma(a, 1) at fixed quantile (0 where x underflowed to 0)."""
    a, x = xp.broadcast_arrays(a, x)
    out = xp.zeros(a.shape, dtype="float64")
    low, high, big = _split(xp, a, x)
    if bool(xp.any(low)):
        al, xl = a[low], x[low]
        s, ds = _series(xp, al, xl)
        out[low] = -(xl * s / al) * (xp.log(xl) - digamma(xp, al + 1.0) + ds / s)
    if bool(xp.any(high)):
        ah, xh = a[high], x[high]
        cf, dcf = _continued_fraction(xp, ah, xh)
        out[high] = xh * cf * (xp.log(xh) - digamma(xp, ah) + dcf / cf)
    if bool(xp.any(big)):
        out[big] = _wilson_hilferty_grad(xp, a[big], x[big])
    return xp.where(xp.isfinite(out) & (x > 0), out, 0.0)


def gammainc(xp: Any, a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma P(a, x) (0 for x <= 0)."""
    a, x = xp.broadcast_arrays(a, x)
    out = xp.zeros(a.shape, dtype="float64")
    pos = x > 0
    low = pos & (x < a + 1.0)
    high = pos & ~low
    if bool(xp.any(low)):
        al, xl = a[low], x[low]
        s, _ = _series(xp, al, xl)
        out[low] = xp.exp(al * xp.log(xl) - xl - lgamma(xp, al + 1.0)) * s
    if bool(xp.any(high)):
        ah, xh = a[high], x[high]
        cf, _ = _continued_fraction(xp, ah, xh)
        out[high] = 1.0 - xp.exp(ah * xp.log(xh) - xh - lgamma(xp, ah)) * cf
    return out


__all__ = ["gammainc", "standard_gamma_grad"]
