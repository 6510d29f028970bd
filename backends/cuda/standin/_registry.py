"""Kernel name -> xp fallback, filled by backends/cuda/kernels.py (kept import-free on purpose)."""

from __future__ import annotations

from collections.abc import Callable

FALLBACKS: dict[str, Callable] = {}


def register_fallback(name: str, fn: Callable) -> None:
    """The xp implementation that a kernel named ``name`` runs on the stand-in: ``fn(xp, *args)``."""
    FALLBACKS[name] = fn
