"""Special-function kernels (gamma family, erf family, modified Bessel) mixed into every Backend.

Written against ``self.xp`` alone (exp, log, sin, cos, pow, where), so NumPy, CuPy and the strict
stand-in run the same code with no scipy. They compute in float64 and return the input's float dtype (float32 for integers).
"""

from __future__ import annotations

from typing import Any

from . import bessel, erf, gamma, incomplete_gamma


def _result_dtype(x: Any) -> Any:
    """The input's floating dtype; integers and bools give float32 (PyTorch's default float)."""
    return x.dtype if x.dtype.kind == "f" else "float32"


def _kernel(fn: Any, name: str) -> Any:
    def method(self: Any, x: Any) -> Any:
        with self.errstate():
            return fn(self.xp, x.astype("float64")).astype(_result_dtype(x), copy=False)

    method.__name__ = name
    method.__doc__ = f"Elementwise {name} of a floating array (computed in float64)."
    return method


class SpecialKernels:
    """lgamma, digamma, polygamma, erfc, erfcx, erfinv, ndtr, ndtri, log_ndtr, i0, i0e, i1, i1e."""

    lgamma = _kernel(gamma.lgamma, "lgamma")
    digamma = _kernel(gamma.digamma, "digamma")
    erfc = _kernel(erf.erfc, "erfc")
    erfcx = _kernel(erf.erfcx, "erfcx")
    erfinv = _kernel(erf.erfinv, "erfinv")
    ndtr = _kernel(erf.ndtr, "ndtr")
    ndtri = _kernel(erf.ndtri, "ndtri")
    log_ndtr = _kernel(erf.log_ndtr, "log_ndtr")
    i0 = _kernel(bessel.i0, "i0")
    i0e = _kernel(bessel.i0e, "i0e")
    i1 = _kernel(bessel.i1, "i1")
    i1e = _kernel(bessel.i1e, "i1e")

    def polygamma(self, n: int, x: Any) -> Any:
        """The n-th derivative of digamma (n >= 0) of a floating array (computed in float64)."""
        if n == 0:
            return self.digamma(x)
        with self.errstate():
            return gamma.polygamma(self.xp, n, x.astype("float64")).astype(_result_dtype(x), copy=False)

    def gammainc(self, a: Any, x: Any) -> Any:
        """The regularized lower incomplete gamma P(a, x) of floating arrays (computed in float64)."""
        with self.errstate():
            out = incomplete_gamma.gammainc(self.xp, a.astype("float64"), x.astype("float64"))
            return out.astype(_result_dtype(x), copy=False)

    def standard_gamma_grad(self, a: Any, x: Any) -> Any:
        """dx/da of standard-gamma draws ``x`` at concentrations ``a`` (the implicit reparameterization)."""
        with self.errstate():
            out = incomplete_gamma.standard_gamma_grad(self.xp, a.astype("float64"), x.astype("float64"))
            return out.astype(_result_dtype(x), copy=False)
