"""Host-side constants of the special-function kernels, computed once from exact arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

EULER_GAMMA = 0.5772156649015329
SQRT_PI = math.sqrt(math.pi)
TWO_OVER_SQRT_PI = 2.0 / SQRT_PI
SQRT1_2 = math.sqrt(0.5)
LOG_PI = math.log(math.pi)
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@cache
def bernoulli(n_max: int) -> tuple[Fraction, ...]:
    """B_0..B_n_max exactly (the Akiyama-Tanigawa triangle)."""
    a: list[Fraction] = [Fraction(0)] * (n_max + 1)
    out = []
    for m in range(n_max + 1):
        a[m] = Fraction(1, m + 1)
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        out.append(a[0])
    return tuple(out)


def rising(s: int, m: int) -> int:
    """The rising factorial s (s + 1) ... (s + m - 1)."""
    out = 1
    for i in range(m):
        out *= s + i
    return out


@cache
def hurwitz_tail_coefs(s: int, m: int) -> tuple[float, ...]:
    """Euler-Maclaurin coefficients B_2j / (2j)! * s (s+1) ... (s+2j-2), j = 1..m, of zeta(s, a)'s tail."""
    b = bernoulli(2 * m)
    return tuple(float(b[2 * j] / math.factorial(2 * j) * rising(s, 2 * j - 1)) for j in range(1, m + 1))


def _zeta_minus_one(k: int) -> float:
    """zeta(k) - 1 for an integer k >= 2, to double precision (direct sum plus Euler-Maclaurin tail)."""
    n = 12
    total = math.fsum(float(i) ** -k for i in range(2, n))
    a = float(n)
    tail = a ** (1 - k) / (k - 1) + 0.5 * a**-k
    tail += sum(c * a ** (-k - 2 * j + 1) for j, c in enumerate(hurwitz_tail_coefs(k, 12), 1))
    return total + tail


@cache
def lgamma2_coefs(terms: int = 27) -> tuple[float, ...]:
    """Taylor coefficients (in z, from z^1) of lgamma(2 + z) = (1 - gamma) z + sum_k (-1)^k (zeta(k)-1)/k z^k."""
    return (1.0 - EULER_GAMMA,) + tuple((-1) ** k * _zeta_minus_one(k) / k for k in range(2, terms + 1))


@cache
def stirling_coefs(m: int = 9) -> tuple[float, ...]:
    """B_2k / (2k (2k - 1)), k = 1..m: lgamma's asymptotic series in 1/x."""
    b = bernoulli(2 * m)
    return tuple(float(b[2 * k] / (2 * k * (2 * k - 1))) for k in range(1, m + 1))


@cache
def digamma_coefs(m: int = 9) -> tuple[float, ...]:
    """B_2k / (2k), k = 1..m: digamma's asymptotic series in 1/x^2."""
    b = bernoulli(2 * m)
    return tuple(float(b[2 * k] / (2 * k)) for k in range(1, m + 1))


@cache
def cot_derivative_poly(n: int) -> tuple[float, ...]:
    """Coefficients (constant first) of P_n with d^n/du^n cot(u) = P_n(cot u); P_{n+1} = -(1 + c^2) P_n'."""
    p = [0, 1]
    for _ in range(n):
        d = [i * p[i] for i in range(1, len(p))] or [0]
        q = [0] * (len(d) + 2)
        for i, c in enumerate(d):
            q[i] -= c
            q[i + 2] -= c
        p = q
    return tuple(float(c) for c in p)


@cache
def bessel_asym_coefs(nu: int, terms: int) -> tuple[float, ...]:
    """a_k(nu) (-1)^k, k = 0..terms-1, of I_nu(x) ~ e^x / sqrt(2 pi x) sum_k (-1)^k a_k(nu) / x^k."""
    out, c = [], Fraction(1)
    for k in range(terms):
        out.append(float(c * (-1) ** k))
        c = c * (4 * nu * nu - (2 * k + 1) ** 2) / ((k + 1) * 8)
    return tuple(out)


ERFCX_STEP = 8  # erfcx is tabulated at k / 8, the centers of its Taylor expansions


@cache
def erfcx_table(upto: int) -> tuple[float, ...]:
    """erfcx(k / 8) for k / 8 in [0, upto] (libm's erfc times exp of an exact square: a few ulps)."""
    return tuple(
        math.erfc(k / ERFCX_STEP) * math.exp((k / ERFCX_STEP) ** 2) for k in range(upto * ERFCX_STEP + 1)
    )
