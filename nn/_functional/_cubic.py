"""Keys' cubic convolution kernel, shared by bicubic interpolate, antialiased resizing and grid_sample.

Written with arithmetic operators only, so the same code weighs raw backend arrays (fixed positions) and
Tensors (grid_sample's positions, whose gradient flows through the weights).
"""

from __future__ import annotations

from typing import Any

CUBIC_A = -0.75  # PyTorch's coefficient for bicubic interpolate and grid_sample


def cubic_near(s: Any, a: float = CUBIC_A) -> Any:
    """The kernel for 0 <= s <= 1."""
    return ((a + 2) * s - (a + 3)) * s * s + 1


def cubic_far(s: Any, a: float = CUBIC_A) -> Any:
    """The kernel for 1 <= s <= 2."""
    return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a


def cubic_weights(t: Any, a: float = CUBIC_A) -> list:
    """The weights of the taps at offsets -1, 0, 1, 2 from ``floor(x)``, for the fraction ``t = x - floor(x)``."""
    return [cubic_far(t + 1, a), cubic_near(t, a), cubic_near(1 - t, a), cubic_far(2 - t, a)]
