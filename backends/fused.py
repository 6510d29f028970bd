"""Numerically careful elementwise and row-wise kernels, written against ``self.xp``.

The CUDA backend replaces the hot ones with fused ElementwiseKernels; these are the fallbacks
(and the CPU implementation).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:  # scipy's erf is vectorised; without scipy fall back to math.erf element by element
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None

_math_erf = np.frompyfunc(math.erf, 1, 1)


class FusedKernels:
    """Stable sigmoid/softplus/log-softmax and friends; mixed into every Backend."""

    def sigmoid(self, x: Any) -> Any:
        xp = self.xp
        # exp of a non-positive number never overflows: pick the formula by sign
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def softplus(self, x: Any) -> Any:
        xp = self.xp
        return (xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype, copy=False)

    def logsumexp(self, x: Any, axis: Any, keepdims: bool) -> Any:
        xp = self.xp
        if x.size == 0:
            return xp.log(xp.sum(xp.exp(x), axis=axis, keepdims=keepdims))
        m = xp.max(x, axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
        if not keepdims:
            out = xp.squeeze(out, axis=axis)
        return out

    def log_softmax(self, x: Any, axis: int) -> Any:
        xp = self.xp
        m = xp.max(x, axis=axis, keepdims=True) if x.size else 0
        s = x - m
        return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))

    def softmax(self, x: Any, axis: int) -> Any:
        xp = self.xp
        m = xp.max(x, axis=axis, keepdims=True) if x.size else 0
        e = xp.exp(x - m)
        return e / xp.sum(e, axis=axis, keepdims=True)

    def erf(self, x: Any) -> Any:
        if self.xp is np:
            if _scipy_erf is not None:
                return _scipy_erf(x).astype(x.dtype, copy=False)
            return _math_erf(x).astype(x.dtype)
        return self._erf_xp(x)

    def _erf_xp(self, x: Any) -> Any:
        """erf from exp alone (for array modules without a special-function library).

        A continued-fraction-free rational approximation accurate to ~1e-7 (float32 grade);
        the CUDA backend uses CuPy's own erf instead.
        """
        xp = self.xp
        a = xp.abs(x).astype(np.float64)
        t = 1.0 / (1.0 + 0.5 * a)
        poly = (
            -a * a
            - 1.26551223
            + t
            * (
                1.00002368
                + t
                * (
                    0.37409196
                    + t
                    * (
                        0.09678418
                        + t
                        * (
                            -0.18628806
                            + t
                            * (
                                0.27886807
                                + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                            )
                        )
                    )
                )
            )
        )
        r = 1.0 - t * xp.exp(poly)
        return (xp.sign(x) * r).astype(x.dtype)
