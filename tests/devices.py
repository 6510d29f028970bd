"""The devices tests run on. The CUDA backend adds 'cuda' here (real GPU or strict stand-in)."""

from __future__ import annotations


def device_params() -> list:
    return ["cpu"]
