"""The kernel interface: an array module (``xp``) plus the kernels it does not give directly.

Every method here is written against ``self.xp`` alone, so the NumPy backend, the CUDA backend
and the strict CPU stand-in for CuPy all run the same code; the CUDA backend overrides a method
only where a custom kernel is faster.
"""

from __future__ import annotations

import abc
import contextlib
from typing import Any

import numpy as np

from .conv import ConvKernels
from .device import Device
from .fused import FusedKernels
from .optim_kernels import OptimKernels
from .pool import PoolKernels
from .special import SpecialKernels


class Backend(ConvKernels, PoolKernels, FusedKernels, OptimKernels, SpecialKernels, abc.ABC):
    """A device's kernels. Subclasses set ``xp``, ``name`` and the host/device copies."""

    name = "abstract"
    xp: Any = None
    array_types: tuple[type, ...] = ()

    # ---- placement -------------------------------------------------------------------------
    @abc.abstractmethod
    def device_of(self, arr: Any) -> Device:
        """The device an array of this backend lives on."""

    @abc.abstractmethod
    def to_host(self, arr: Any) -> np.ndarray:
        """A NumPy copy (or view, on the CPU) of a backend array."""

    @abc.abstractmethod
    def from_host(self, arr: np.ndarray, device: Device) -> Any:
        """A backend array on ``device`` holding the host array's values."""

    def data_ptr(self, arr: Any) -> int:
        """The address of an array's first element (views of one memory block differ by their offset)."""
        return int(arr.__array_interface__["data"][0])

    def synchronize(self, device: Device | None = None) -> None:
        """Wait for queued work on the device (a no-op on the CPU)."""

    def errstate(self) -> contextlib.AbstractContextManager:
        """Silence floating-point warnings where an op may legitimately make inf/nan."""
        return contextlib.nullcontext()

    def using(self, device: Device) -> contextlib.AbstractContextManager:
        """Make ``device`` current while arrays are created (CUDA's device context)."""
        return contextlib.nullcontext()

    # ---- creation --------------------------------------------------------------------------
    def asarray(self, data: Any, dtype: Any = None, device: Device | None = None) -> Any:
        return self.xp.asarray(data, dtype=dtype)

    # ---- random numbers: one seeded generator per backend (per device on CUDA) ---------------
    @abc.abstractmethod
    def manual_seed(self, seed: int) -> None:
        """Seed this backend's generator(s)."""

    @abc.abstractmethod
    def generator(self, device: Device | None = None) -> Any:
        """The seeded random generator for ``device``."""

    @abc.abstractmethod
    def swap_generator(self, device: Device | None, seed: int | None, gen: Any = None) -> Any:
        """Install ``gen`` (or, with ``seed``, a fresh generator seeded with it) as ``device``'s generator and
        return the one it replaces: a stretch of random draws can be replayed (gradient checkpointing)."""

    def uniform(self, shape: tuple, dtype: Any, low: float = 0.0, high: float = 1.0, device=None) -> Any:
        g = self.generator(device)
        out = g.random(shape, dtype=np.float64 if np.dtype(dtype).itemsize > 4 else np.float32)
        if low != 0.0 or high != 1.0:
            out = out * (high - low) + low
        return out.astype(dtype, copy=False)

    def normal(self, shape: tuple, dtype: Any, mean: float = 0.0, std: float = 1.0, device=None) -> Any:
        g = self.generator(device)
        out = g.standard_normal(shape, dtype=np.float64 if np.dtype(dtype).itemsize > 4 else np.float32)
        if std != 1.0:
            out = out * std
        if mean != 0.0:
            out = out + mean
        return out.astype(dtype, copy=False)

    def standard_gamma(self, alpha: Any, dtype: Any, device=None) -> Any:
        """Gamma(alpha, 1) draws, one per element of the array ``alpha`` (Gamma/Beta/Dirichlet sampling)."""
        out = self.generator(device).standard_gamma(alpha.astype(np.float64))
        return out.astype(dtype, copy=False)

    def poisson(self, rate: Any, dtype: Any, device=None) -> Any:
        """Poisson(rate) counts, one per element of the array ``rate``, as ``dtype``."""
        return self.generator(device).poisson(rate.astype(np.float64)).astype(dtype, copy=False)

    def binomial(self, count: Any, probs: Any, dtype: Any, device=None) -> Any:
        """Binomial(count, probs) successes, elementwise over the (broadcast) arrays, as ``dtype``."""
        out = self.generator(device).binomial(count.astype(np.int64), probs.astype(np.float64))
        return out.astype(dtype, copy=False)

    def randint(self, low: int, high: int, shape: tuple, dtype: Any, device=None) -> Any:
        g = self.generator(device)
        return g.integers(low, high, size=shape).astype(dtype, copy=False)

    def permutation(self, n: int, device=None) -> Any:
        return self.generator(device).permutation(n)

    def bernoulli_mask(self, p_keep: float, shape: tuple, dtype: Any, device=None) -> Any:
        """Inverted-dropout mask: 1/p_keep with probability p_keep, else 0."""
        u = self.uniform(shape, np.float32, device=device)
        scale = 1.0 / p_keep if p_keep > 0 else 0.0
        return (u < p_keep).astype(dtype) * dtype_type(dtype)(scale)

    # ---- scatter / gather --------------------------------------------------------------------
    def mm(self, a: Any, b: Any) -> Any:
        """``a @ b`` (the hot matrix product of matmul's backward; backends may take a cheaper call)."""
        return a @ b

    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        """``target[index] += values`` where repeated indices accumulate (in place)."""
        self.xp.add.at(target, index, values)

    def strided_view(self, flat: Any, shape: tuple, strides: tuple, offset: int) -> Any:
        """A view of the 1-d contiguous array ``flat`` with ``shape``, ``strides`` and ``offset`` in elements.

        CuPy's ``as_strided`` makes a fresh array over the same memory (its ``.base`` is None); the NumPy
        backend makes an ndarray over ``flat``'s buffer (its ``.base`` chain is plain arrays)."""
        item = flat.itemsize
        start = flat[offset:] if offset < flat.size else flat[:0]
        out = self.as_strided(start, tuple(shape), tuple(s * item for s in strides))
        if out is None:
            raise RuntimeError(f"as_strided: the {self.name} backend's array module has no strided views")
        return out

    def take_along_axis(self, arr: Any, index: Any, axis: int) -> Any:
        return self.xp.take_along_axis(arr, index, axis=axis)

    def put_along_axis_add(self, target: Any, index: Any, values: Any, axis: int) -> None:
        """Scatter-add ``values`` into ``target`` along ``axis`` at ``index`` (gather's backward)."""
        self.scatter_add(target, self._along_axis(index, axis), values)

    def put_along_axis(self, target: Any, index: Any, values: Any, axis: int) -> None:
        target[self._along_axis(index, axis)] = values

    def _along_axis(self, index: Any, axis: int) -> tuple:
        """An open-mesh index selecting ``index`` along ``axis`` (CuPy's ``indices`` has no ``sparse``)."""
        xp, nd = self.xp, index.ndim
        return tuple(
            index if d == axis else xp.arange(n).reshape((1,) * d + (n,) + (1,) * (nd - d - 1))
            for d, n in enumerate(index.shape)
        )


def dtype_type(dtype: Any) -> type:
    """The scalar type of a dtype (float32 -> numpy.float32), for typed constants."""
    return np.dtype(dtype).type
