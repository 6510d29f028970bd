"""``autograd.cuda``: is a CUDA device usable, how many, and their memory statistics."""

from __future__ import annotations

from typing import Any


def _mod() -> Any:
    from backends import cuda

    return cuda


def is_available() -> bool:
    """True when the CUDA backend can run (CuPy with a GPU, or the strict stand-in when enabled)."""
    return _mod().is_available()


def device_count() -> int:
    return _mod().device_count()


def synchronize(device: Any = None) -> None:
    m = _mod()
    if hasattr(m, "synchronize"):
        m.synchronize(device)


def manual_seed(seed: int) -> None:
    manual_seed_all(seed)


def manual_seed_all(seed: int) -> None:
    m = _mod()
    if hasattr(m, "manual_seed_all"):
        m.manual_seed_all(int(seed))


def memory_allocated(device: Any = None) -> int:
    m = _mod()
    return m.memory_allocated(device) if hasattr(m, "memory_allocated") else 0


def max_memory_allocated(device: Any = None) -> int:
    m = _mod()
    return m.max_memory_allocated(device) if hasattr(m, "max_memory_allocated") else 0


def reset_peak_memory_stats(device: Any = None) -> None:
    m = _mod()
    if hasattr(m, "reset_peak_memory_stats"):
        m.reset_peak_memory_stats(device)


def empty_cache() -> None:
    m = _mod()
    if hasattr(m, "empty_cache"):
        m.empty_cache()
