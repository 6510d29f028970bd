"""Shared fixtures: every op/layer test takes ``device`` and so runs on each available device."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from devices import device_params  # noqa: E402


@pytest.fixture(params=device_params())
def device(request) -> str:
    """A device name: 'cpu', then 'cuda' (the strict CPU stand-in for CuPy, or a real GPU)."""
    return request.param


@pytest.fixture(autouse=True)
def _seed() -> None:
    import autograd

    autograd.manual_seed(0)
