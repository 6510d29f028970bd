"""Pooling kernels, written against ``self.xp``."""

from __future__ import annotations


class PoolKernels:
    """Max/avg pooling forward and backward; mixed into every Backend."""
