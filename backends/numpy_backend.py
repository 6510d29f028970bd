"""The CPU backend: NumPy arrays and a seeded NumPy Generator."""

from __future__ import annotations

import os

import numpy as np

from .base import Backend
from .device import CPU, Device


def _keep_freed_memory() -> None:
    """Let glibc reuse freed large blocks instead of returning them to the OS (as PyTorch's CPU allocator does).

    Otherwise every multi-MB temporary of a training step (im2col columns, activations) comes back as fresh
    pages and page-faults on first touch: ~2500 faults and a third of a CNN step's time. Opt out with
    EMBERGRAD_MALLOC_TUNING=0; a no-op where glibc's mallopt is missing.
    """
    if os.environ.get("EMBERGRAD_MALLOC_TUNING", "1") == "0":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: blocks up to 32 MiB come from the heap
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MiB of freed heap for reuse
    except (OSError, AttributeError):  # not glibc
        pass


_keep_freed_memory()


class NumpyBackend(Backend):
    """Kernels on the host, with NumPy as ``xp``."""

    name = "cpu"
    xp = np
    array_types = (np.ndarray,)

    def __init__(self) -> None:
        self._gen = np.random.default_rng()

    def device_of(self, arr) -> Device:
        return CPU

    def to_host(self, arr) -> np.ndarray:
        return arr

    def from_host(self, arr: np.ndarray, device: Device) -> np.ndarray:
        return np.array(arr, copy=True)

    def errstate(self):
        return np.errstate(all="ignore")

    def manual_seed(self, seed: int) -> None:
        self._gen = np.random.default_rng(seed)

    def generator(self, device=None):
        return self._gen

    _SCALED_CHUNK = (
        1 << 16
    )  # elements per block: a float32 block (256 KiB) stays in L2 between the two passes

    def _add_scaled_(self, target, x, alpha: float, x_owned: bool) -> None:
        """``target += alpha * x`` blockwise through a small scratch, not via a full-size temporary.

        Same per-element rounding as the generic kernel; ~25% faster on multi-MB weights (the optimizer step).
        """
        n, chunk = x.size, self._SCALED_CHUNK
        if (
            x_owned
            or type(alpha) is not float  # a NumPy scalar may promote; leave that to the generic kernel
            or n <= 2 * chunk
            or target.dtype != x.dtype
            or target.shape != x.shape
            or not (target.flags.c_contiguous and x.flags.c_contiguous)
            or np.may_share_memory(target, x)
        ):
            return super()._add_scaled_(target, x, alpha, x_owned)
        t, src = target.reshape(-1), x.reshape(-1)
        buf = np.empty(chunk, dtype=x.dtype)
        for i in range(0, n, chunk):
            j = min(n, i + chunk)
            b = buf[: j - i]
            np.multiply(src[i:j], alpha, out=b)
            t[i:j] += b
