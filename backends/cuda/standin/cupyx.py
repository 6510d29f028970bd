"""The stand-in's ``cupyx``: ``scatter_add`` (repeated indices accumulate, as atomicAdd does)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._array import ndarray, run

# dtypes CUDA/CuPy have an atomicAdd for
_ATOMIC = frozenset(
    np.dtype(t) for t in ("float16", "float32", "float64", "int32", "uint32", "int64", "uint64")
)


def scatter_add(a: Any, slices: Any, value: Any) -> None:
    """``a[slices] += value`` where repeated indices all add up (in place)."""
    if type(a) is not ndarray:
        raise TypeError(f"cupyx.scatter_add: the target must be a cupy.ndarray, got {type(a).__name__}")
    if a.dtype not in _ATOMIC:
        raise TypeError(f"cupyx.scatter_add: atomicAdd does not support {a.dtype} (strict CuPy stand-in)")
    run("cupyx.scatter_add", np.add.at, (a, slices, value), {})
