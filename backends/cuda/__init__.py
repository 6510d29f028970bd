"""The CUDA backend on CuPy (imported lazily). Until it lands, asking for CUDA says why it cannot."""

from __future__ import annotations

from ..device import Device


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def get_backend(device: Device):
    raise RuntimeError(
        f"device {device}: the CUDA backend is not available: no CUDA GPU was found "
        "(install embergrad[cuda] and run on a machine with an NVIDIA GPU)"
    )
