"""Convolution kernels (im2col + GEMM), written against ``self.xp``."""

from __future__ import annotations


class ConvKernels:
    """Convolution forward and gradients; mixed into every Backend."""
