"""A strict CPU stand-in for CuPy: NumPy storage, CuPy's rules.

``xp`` plays the ``cupy`` module and ``cupyx`` plays ``cupyx``. The CUDA backend runs on it when
no GPU is present and the stand-in is enabled (``EMBERGRAD_CUDA_STANDIN=1`` or the test fixture),
so the whole CUDA code path is exercised on any machine: implicit device-to-host conversion,
host arrays mixed into device ops, arrays on a non-current device, NumPy-only functions or
keywords, and kernel argument mistakes all fail here as they would on a GPU.
Submodules load lazily, so importing the fallback registry stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["cupyx", "get_device_count", "ndarray", "register_fallback", "set_device_count", "xp"]

_LAZY = {
    "xp": ("xp", None),
    "cupyx": ("cupyx", None),
    "ndarray": ("_array", "ndarray"),
    "register_fallback": ("_registry", "register_fallback"),
    "get_device_count": ("_runtime", "get_device_count"),
    "set_device_count": ("_runtime", "set_device_count"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    mod, attr = _LAZY[name]
    m = importlib.import_module(f"{__name__}.{mod}")
    return m if attr is None else getattr(m, attr)
