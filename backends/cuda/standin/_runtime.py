"""The stand-in's device model: device ids, the current device, and a CuPy-like memory pool.

Memory is accounted the way CuPy's pool does it (blocks rounded up to 512 bytes, freed blocks
cached until ``free_all_blocks``), so memory statistics and "the pool stays flat" checks mean
the same thing on the stand-in as on a GPU.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

import numpy as np

_ENV_DEVICES = "EMBERGRAD_CUDA_STANDIN_DEVICES"


class CUDARuntimeError(RuntimeError):
    """What CuPy raises for a bad device ordinal (cupy_backends...runtime.CUDARuntimeError)."""


class _Local(threading.local):
    device = 0


_local = _Local()
_config = {"n_devices": max(1, int(os.environ.get(_ENV_DEVICES, "1") or 1))}


def get_device_count() -> int:
    return _config["n_devices"]


def set_device_count(n: int) -> None:
    """How many simulated GPUs the stand-in has (tests of cuda:1 use 2)."""
    if n < 1:
        raise ValueError(f"strict CuPy stand-in: device count must be >= 1, got {n}")
    _config["n_devices"] = int(n)
    if _local.device >= n:
        _local.device = 0


def get_device_id() -> int:
    """The current device (CuPy's ``cupy.cuda.get_device_id()``)."""
    return _local.device


def _check_ordinal(i: int) -> int:
    if not isinstance(i, int) or not 0 <= i < _config["n_devices"]:
        raise CUDARuntimeError(
            f"cudaErrorInvalidDevice: invalid device ordinal {i!r} "
            f"(the strict CuPy stand-in has {_config['n_devices']} device(s))"
        )
    return i


class Device:
    """``cupy.cuda.Device``: an id, and a context manager that makes it current."""

    __slots__ = ("_id", "_prev")

    def __init__(self, device: Any = None) -> None:
        if device is None:
            device = _local.device
        elif isinstance(device, Device):
            device = device.id
        self._id = _check_ordinal(int(device))
        self._prev: list[int] = []

    @property
    def id(self) -> int:
        return self._id

    def use(self) -> None:
        _local.device = self._id

    def synchronize(self) -> None:
        """Nothing is asynchronous on the stand-in; validates the id like CuPy does."""
        _check_ordinal(self._id)

    @property
    def compute_capability(self) -> str:
        return "90"

    def __enter__(self) -> Device:
        self._prev.append(_local.device)
        _local.device = self._id
        return self

    def __exit__(self, *exc: Any) -> None:
        _local.device = self._prev.pop()

    def __int__(self) -> int:
        return self._id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and other._id == self._id

    def __hash__(self) -> int:
        return hash(("standin-cuda", self._id))

    def __repr__(self) -> str:
        return f"<CUDA Device {self._id}>"


class MemoryPointer:
    """What ``MemoryPool.malloc`` returns: the block's device and size."""

    __slots__ = ("device_id", "size", "__weakref__")

    def __init__(self, device_id: int, size: int) -> None:
        self.device_id = device_id
        self.size = size


_BLOCK = 512


class MemoryPool:
    """CuPy's ``MemoryPool`` accounting: used blocks, cached free blocks, per device."""

    def __init__(self) -> None:
        self._used: dict[int, int] = {}
        self._free: dict[tuple[int, int], int] = {}  # (device, block size) -> cached blocks

    def malloc(self, size: int) -> MemoryPointer:
        dev = _local.device
        r = 0 if size <= 0 else (size + _BLOCK - 1) // _BLOCK * _BLOCK
        n = self._free.get((dev, r))
        if n:
            self._free[(dev, r)] = n - 1
        self._used[dev] = self._used.get(dev, 0) + r
        return MemoryPointer(dev, r)

    def _release(self, dev: int, r: int) -> None:
        self._used[dev] -= r
        self._free[(dev, r)] = self._free.get((dev, r), 0) + 1

    def used_bytes(self) -> int:
        return self._used.get(_local.device, 0)

    def free_bytes(self) -> int:
        dev = _local.device
        return sum(k[1] * v for k, v in self._free.items() if k[0] == dev)

    def total_bytes(self) -> int:
        return self.used_bytes() + self.free_bytes()

    def n_free_blocks(self) -> int:
        dev = _local.device
        return sum(v for k, v in self._free.items() if k[0] == dev and k[1])

    def free_all_blocks(self, stream: Any = None) -> None:
        dev = _local.device
        self._free = {k: v for k, v in self._free.items() if k[0] != dev}


_pool = MemoryPool()
_allocator: list[Any] = [_pool.malloc]
_tracked: dict[int, Any] = {}  # id(root numpy array) -> weakref to it


def get_default_memory_pool() -> MemoryPool:
    return _pool


def set_allocator(fn: Any = None) -> None:
    """``cupy.cuda.set_allocator``: every device allocation goes through ``fn(size)``."""
    _allocator[0] = _pool.malloc if fn is None else fn


def get_allocator() -> Any:
    return _allocator[0]


def root_of(a: Any) -> Any:
    """The numpy array that owns ``a``'s memory."""
    b = a.base
    while b is not None and type(b) is np.ndarray:
        a, b = b, b.base
    return a


class _Ref(weakref.ref):
    """A weak reference to a tracked allocation that knows what to give back to the pool."""

    __slots__ = ("key", "dev", "size")


def track(root: Any, dev: int) -> None:
    """Account a fresh allocation of ``root`` (a numpy array) to device ``dev``."""
    key = id(root)
    ref = _tracked.get(key)
    if ref is not None and ref() is root:
        return
    if dev == _local.device:
        mem = _allocator[0](root.nbytes)
    else:
        prev = _local.device
        _local.device = dev
        try:
            mem = _allocator[0](root.nbytes)
        finally:
            _local.device = prev
    r = _Ref(root, _untrack)
    r.key, r.dev, r.size = key, mem.device_id, mem.size
    _tracked[key] = r


def _untrack(r: _Ref) -> None:
    if _tracked.get(r.key) is r:
        del _tracked[r.key]
    _pool._release(r.dev, r.size)
