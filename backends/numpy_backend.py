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
