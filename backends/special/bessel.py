"""Modified Bessel functions I0, I1 and their exponentially scaled forms on any array module.

Inputs are float64 arrays. Up to |x| = 20 the power series (all terms positive); beyond, the
asymptotic expansion e^|x| / sqrt(2 pi |x|) sum_k (-1)^k a_k / |x|^k, whose smallest term there is
about e^(-2|x|) < 1e-17.
"""

from __future__ import annotations

import math
from typing import Any

from . import _consts as C
from .gamma import horner

_ASYM_FROM = 20.0
_SERIES_TERMS = 60  # (x/2)^(2k) / (k! (k + nu)!) is below 1e-17 of the sum from here, for |x| <= 20
_ASYM_TERMS = 40


def _scaled(xp: Any, nu: int, x: Any) -> Any:
    """e^(-|x|) I_nu(|x|)."""
    a = xp.abs(x)
    s = xp.minimum(a, _ASYM_FROM)
    q = 0.25 * s * s
    term = xp.ones_like(s) if nu == 0 else 0.5 * s
    total = term
    for k in range(1, _SERIES_TERMS):
        term = term * q / (k * (k + nu))
        total = total + term
    series = total * xp.exp(-s)
    t = xp.maximum(a, _ASYM_FROM)
    asym = horner(C.bessel_asym_coefs(nu, _ASYM_TERMS), 1.0 / t) / xp.sqrt((2.0 * math.pi) * t)
    return xp.where(a < _ASYM_FROM, series, asym)


def i0e(xp: Any, x: Any) -> Any:
    """e^(-|x|) I0(x): even, finite everywhere (0 at +-inf)."""
    return _scaled(xp, 0, x)


def i0(xp: Any, x: Any) -> Any:
    """The modified Bessel function I0 (even; overflows to inf past about 713)."""
    a = xp.abs(x)
    return xp.where(a == math.inf, math.inf, _scaled(xp, 0, x) * xp.exp(a))


def i1e(xp: Any, x: Any) -> Any:
    """e^(-|x|) I1(x): odd."""
    v = _scaled(xp, 1, x)
    return xp.where(x < 0, -v, v)  # +0 at -0, as PyTorch


def i1(xp: Any, x: Any) -> Any:
    """The modified Bessel function I1 (odd)."""
    a = xp.abs(x)
    v = xp.where(a == math.inf, math.inf, _scaled(xp, 1, x) * xp.exp(a))
    return xp.where(x < 0, -v, v)
