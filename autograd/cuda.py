"""``autograd.cuda``: PyTorch's ``torch.cuda`` functions for the CuPy backend.

Is a CUDA device usable and how many, synchronization, seeding, the current device, and memory
statistics from CuPy's memory pool. Nothing here imports CuPy until a GPU is actually asked for.
"""

from __future__ import annotations

from typing import Any


def _mod() -> Any:
    from backends import cuda

    return cuda


def is_available() -> bool:
    """True when 'cuda' can run: CuPy with a GPU, or the strict stand-in when enabled."""
    return _mod().is_available()


def unavailable_reason() -> str | None:
    """Why 'cuda' cannot be used (None when it can)."""
    return _mod().unavailable_reason()


def device_count() -> int:
    return _mod().device_count()


def is_standin() -> bool:
    """True when 'cuda' runs on the strict CPU stand-in for CuPy rather than a GPU."""
    return _mod().standin_enabled()


def synchronize(device: Any = None) -> None:
    """Wait for the device's queued work (call before reading a clock)."""
    _mod().synchronize(device)


def current_device() -> int:
    return _mod().current_device()


def set_device(device: Any) -> None:
    _mod().set_device(device)


def device(device: Any) -> Any:
    """Context manager making a CUDA device current: ``with autograd.cuda.device(1): ...``."""
    return _mod().device(device)


def manual_seed(seed: int) -> None:
    """Seed the current CUDA device's generator."""
    _mod().manual_seed(int(seed))


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA device's generator."""
    _mod().manual_seed_all(int(seed))


def memory_allocated(device: Any = None) -> int:
    """Bytes held by live arrays on the device."""
    return _mod().memory_allocated(device)


def max_memory_allocated(device: Any = None) -> int:
    """The peak of ``memory_allocated`` since the start or the last ``reset_peak_memory_stats``."""
    return _mod().max_memory_allocated(device)


def reset_peak_memory_stats(device: Any = None) -> None:
    _mod().reset_peak_memory_stats(device)


def memory_reserved(device: Any = None) -> int:
    """Bytes held by the memory pool, in use or cached."""
    return _mod().memory_reserved(device)


def empty_cache() -> None:
    """Release the memory pool's cached blocks back to the device."""
    _mod().empty_cache()
