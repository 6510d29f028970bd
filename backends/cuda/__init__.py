"""The CUDA backend: CuPy imported lazily, or the strict CPU stand-in for CuPy.

``get_backend(device)`` gives the backend for 'cuda' / 'cuda:N'. It runs on real CuPy when a GPU
is reachable, on the stand-in when ``EMBERGRAD_CUDA_STANDIN=1`` or ``use_standin()`` says so, and
otherwise raises an error that says why CUDA cannot be used. Importing this package imports
neither CuPy nor the stand-in.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from typing import Any

from ..device import Device, as_device

ENV_STANDIN = "EMBERGRAD_CUDA_STANDIN"

_state: dict[str, Any] = {"standin": None, "probe": None, "real": None, "fake": None, "seed": None}


# ---- which CUDA: real CuPy or the stand-in ----------------------------------------------------------


def use_standin(enabled: bool | None = True, devices: int | None = None) -> None:
    """Run 'cuda' on the strict stand-in (True), on CuPy (False), or as $EMBERGRAD_CUDA_STANDIN says (None).

    ``devices`` sets how many GPUs the stand-in simulates.
    """
    _state["standin"] = enabled
    if devices is not None:
        from .standin import _runtime

        _runtime.set_device_count(devices)


def standin_enabled() -> bool:
    s = _state["standin"]
    if s is None:
        return os.environ.get(ENV_STANDIN, "").strip().lower() in ("1", "true", "yes", "on")
    return bool(s)


def _probe() -> tuple[int, str | None]:
    """(number of real GPUs, why none can be used), computed once."""
    if _state["probe"] is None:
        try:
            import cupy
        except ImportError as e:
            _state["probe"] = (
                0,
                f"CuPy is not installed ({e}); install it with `pip install 'embergrad[cuda]'` "
                "(cupy-cuda12x) on a machine with an NVIDIA GPU",
            )
            return _state["probe"]
        try:
            n = int(cupy.cuda.runtime.getDeviceCount())
        except Exception as e:  # noqa: BLE001 - CuPy raises driver/runtime errors of several kinds
            _state["probe"] = (0, f"CuPy is installed but cannot reach a CUDA GPU: {type(e).__name__}: {e}")
            return _state["probe"]
        _state["probe"] = (n, None if n else "CuPy is installed but reports no CUDA device")
    return _state["probe"]


def has_gpu() -> bool:
    """Is a real GPU usable through CuPy (regardless of the stand-in)?"""
    return _probe()[0] > 0


def unavailable_reason() -> str | None:
    """Why 'cuda' cannot be used, or None when it can."""
    if standin_enabled():
        return None
    return _probe()[1]


def is_available() -> bool:
    return unavailable_reason() is None


def device_count() -> int:
    if standin_enabled():
        from .standin import _runtime

        return _runtime.get_device_count()
    return _probe()[0]


def _make_backend() -> Any:
    from .. import register
    from .backend import CudaBackend, StandinBackend

    if standin_enabled():
        if _state["fake"] is None:
            from .standin import cupyx, xp

            _state["fake"] = StandinBackend(xp, cupyx)
            register(_state["fake"])
            if _state["seed"] is not None:
                _state["fake"].manual_seed(_state["seed"])
        return _state["fake"]
    if _state["real"] is None:
        reason = _probe()[1]
        if reason is not None:
            raise RuntimeError(f"the CUDA backend is not available: {reason}")
        import cupy
        import cupyx

        _state["real"] = CudaBackend(cupy, cupyx, standin=False)
        register(_state["real"])
        if _state["seed"] is not None:
            _state["real"].manual_seed(_state["seed"])
    return _state["real"]


def get_backend(device: Device | str | None = None) -> Any:
    """The backend for a CUDA device; raises RuntimeError saying why when CUDA cannot be used."""
    d = as_device("cuda" if device is None else device)
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(
            f"device {d}: the CUDA backend is not available: {reason}. "
            "(Without a GPU, EMBERGRAD_CUDA_STANDIN=1 runs 'cuda' on a strict CPU stand-in for CuPy, for testing.)"
        )
    n = device_count()
    if d.index is not None and not 0 <= d.index < n:
        raise RuntimeError(
            f"device {d}: invalid CUDA device ordinal; {n} CUDA device(s) are available (cuda:0 to cuda:{n - 1})"
        )
    return _make_backend()


def _loaded() -> list:
    return [b for b in (_state["real"], _state["fake"]) if b is not None]


def _active() -> Any:
    return _make_backend() if is_available() else None


# ---- torch.cuda-style functions ---------------------------------------------------------------------


def manual_seed_all(seed: int) -> None:
    """Seed every CUDA device's generator (now, and for backends created later)."""
    _state["seed"] = int(seed)
    for b in _loaded():
        b.manual_seed(int(seed))


def manual_seed(seed: int) -> None:
    """Seed the current device's generator."""
    b = _active()
    if b is not None:
        b.manual_seed_device(b.index(None), int(seed))


def _dev(device: Any) -> Device | None:
    return None if device is None else as_device(device)


def synchronize(device: Any = None) -> None:
    """Wait until the device has finished all queued work."""
    get_backend(_dev(device)).synchronize(_dev(device))


def current_device() -> int:
    return get_backend().index(None)


def set_device(device: Any) -> None:
    d = as_device(device)
    get_backend(d).xp.cuda.Device(d.index or 0).use()


class device(AbstractContextManager):  # noqa: N801 - torch.cuda.device's name
    """``with device(1): ...`` makes cuda:1 current (ops on cuda:1 tensors need that with CuPy)."""

    def __init__(self, device: Any) -> None:
        d = as_device(device)
        self._ctx = get_backend(d).xp.cuda.Device(d.index or 0)

    def __enter__(self) -> device:
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)


def memory_allocated(device: Any = None) -> int:
    """Bytes of device memory held by live arrays (CuPy's pool: used blocks)."""
    b = _active()
    return 0 if b is None else b.memory_allocated(_dev(device))


def max_memory_allocated(device: Any = None) -> int:
    b = _active()
    return 0 if b is None else b.max_memory_allocated(_dev(device))


def reset_peak_memory_stats(device: Any = None) -> None:
    b = _active()
    if b is not None:
        b.reset_peak_memory_stats(_dev(device))


def memory_reserved(device: Any = None) -> int:
    """Bytes the pool holds, in use or cached for reuse."""
    b = _active()
    return 0 if b is None else b.memory_reserved(_dev(device))


def empty_cache() -> None:
    """Release the pool's cached free blocks."""
    b = _active()
    if b is not None:
        b.empty_cache()
