"""Optimizer update kernels (in place), written against ``self.xp``; CUDA fuses them."""

from __future__ import annotations


class OptimKernels:
    """In-place parameter updates for SGD, Adam and friends; mixed into every Backend."""
