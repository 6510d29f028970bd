"""Backends: the kernel implementations behind tensors (NumPy for the CPU, CuPy for CUDA).

``get(device)`` returns the backend for a device; ``of(array)`` the backend that owns an array.
This package never imports ``autograd``.
"""

from __future__ import annotations

from typing import Any

from .base import Backend
from .device import CPU, Device, as_device
from .numpy_backend import NumpyBackend

cpu = NumpyBackend()

# array type -> backend, filled as backends load (the CUDA one registers itself lazily)
_BY_TYPE: dict[type, Backend] = {t: cpu for t in cpu.array_types}


def register(backend: Backend) -> None:
    """Make ``of()`` recognise the backend's array types."""
    for t in backend.array_types:
        _BY_TYPE[t] = backend


def of(arr: Any) -> Backend:
    """The backend that owns ``arr``."""
    try:
        return _BY_TYPE[type(arr)]
    except KeyError:
        raise TypeError(f"no backend holds arrays of type {type(arr).__name__}") from None


def get(device: str | Device | None) -> Backend:
    """The backend for ``device`` ('cpu', 'cuda', 'cuda:1' or a Device)."""
    d = as_device(device)
    if d.type == "cpu":
        return cpu
    from . import cuda  # lazy: CuPy is imported only when CUDA is asked for

    return cuda.get_backend(d)


__all__ = ["Backend", "CPU", "Device", "as_device", "cpu", "get", "of", "register"]
