"""The CPU backend: NumPy arrays and a seeded NumPy Generator."""

from __future__ import annotations

import numpy as np

from .base import Backend
from .device import CPU, Device


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
