"""``cupy.random`` for the stand-in: a seeded RandomState bound to the device it was made on."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from . import _cupy_api as api
from . import _runtime as rt
from ._array import new, require_current, unwrap


def _check(name: str, args: tuple, kwargs: dict) -> None:
    cp = api.cupy()
    target = None if cp is None else getattr(cp.random.RandomState, name, None)
    if cp is not None and target is None:
        raise AttributeError(f"strict CuPy stand-in: cupy.random.RandomState has no method {name!r}")
    api.check_call(f"random.RandomState.{name}", target, args, kwargs, drop_self=True)


def _float_dtype(dtype: Any, name: str) -> np.dtype:
    d = np.dtype(dtype)
    if d not in (np.float32, np.float64):
        raise TypeError(f"cupy.random.RandomState.{name}: dtype must be float32 or float64, got {d}")
    return d


class RandomState:
    """Like ``cupy.random.RandomState``: its numbers live on the device current at creation."""

    def __init__(self, seed: Any = None, method: Any = None) -> None:
        self._dev = rt.get_device_id()
        self.seed(seed)

    def seed(self, seed: Any = None) -> None:
        state = None if seed is None else np.random.SeedSequence(int(seed)).generate_state(1)[0]
        self._rs = np.random.RandomState(state)

    def _out(self, a: np.ndarray, name: str) -> Any:
        cur = rt.get_device_id()
        if cur != self._dev:
            raise ValueError(
                f"strict CuPy stand-in: RandomState.{name}: the generator was created on device {self._dev} "
                f"but device {cur} is current (cuRAND generators are per device)"
            )
        rt.track(a, cur)
        return new(a, cur)

    def random_sample(self, size: Any = None, dtype: Any = float) -> Any:
        _check("random_sample", (size,), {"dtype": dtype})
        d = _float_dtype(dtype, "random_sample")
        return self._out(np.asarray(self._rs.random_sample(size), dtype=d), "random_sample")

    def standard_normal(self, size: Any = None, dtype: Any = float) -> Any:
        _check("standard_normal", (size,), {"dtype": dtype})
        d = _float_dtype(dtype, "standard_normal")
        return self._out(np.asarray(self._rs.standard_normal(size), dtype=d), "standard_normal")

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = float) -> Any:
        _check("normal", (loc, scale, size), {"dtype": dtype})
        d = _float_dtype(dtype, "normal")
        return self._out(np.asarray(self._rs.normal(loc, scale, size), dtype=d), "normal")

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None, dtype: Any = float) -> Any:
        _check("uniform", (low, high, size), {"dtype": dtype})
        d = _float_dtype(dtype, "uniform")
        return self._out(np.asarray(self._rs.uniform(low, high, size), dtype=d), "uniform")

    def _params(self, name: str, *args: Any) -> list:
        found: list = []
        vals = [unwrap(a, f"random.RandomState.{name}", found) for a in args]
        require_current(found, f"random.RandomState.{name}")
        return vals

    def standard_gamma(self, shape: Any, size: Any = None, dtype: Any = float) -> Any:
        _check("standard_gamma", (shape, size), {"dtype": dtype})
        d = _float_dtype(dtype, "standard_gamma")
        (a,) = self._params("standard_gamma", shape)
        return self._out(np.asarray(self._rs.standard_gamma(a, size), dtype=d), "standard_gamma")

    def poisson(self, lam: Any = 1.0, size: Any = None, dtype: Any = int) -> Any:
        _check("poisson", (lam, size), {"dtype": dtype})
        (lam,) = self._params("poisson", lam)
        return self._out(np.asarray(self._rs.poisson(lam, size)).astype(dtype), "poisson")

    def binomial(self, n: Any, p: Any, size: Any = None, dtype: Any = int) -> Any:
        _check("binomial", (n, p, size), {"dtype": dtype})
        n, p = self._params("binomial", n, p)
        return self._out(np.asarray(self._rs.binomial(n, p, size)).astype(dtype), "binomial")

    def randint(self, low: Any, high: Any = None, size: Any = None, dtype: Any = "l") -> Any:
        _check("randint", (low, high, size), {"dtype": dtype})
        out = self._rs.randint(low, high, size=size, dtype=np.int64).astype(dtype)
        return self._out(np.asarray(out), "randint")

    def permutation(self, num: Any) -> Any:
        _check("permutation", (num,), {})
        if not isinstance(num, int | np.integer):
            raise TypeError(
                "strict CuPy stand-in: permutation(x) with an array is not used here; pass an int"
            )
        return self._out(self._rs.permutation(int(num)).astype(np.int64), "permutation")


random = types.SimpleNamespace(RandomState=RandomState)
