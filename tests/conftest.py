"""Shared fixtures: every op/layer test takes ``device`` and so runs on each available device."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from devices import device_params, gpu_available  # noqa: E402


@pytest.fixture(params=device_params())
def device(request) -> str:
    """A device name: 'cpu', then 'cuda' (the strict CPU stand-in for CuPy, or a real GPU)."""
    return request.param


@pytest.fixture(autouse=True)
def _seed() -> None:
    import autograd

    autograd.manual_seed(0)


def pytest_collection_modifyitems(config, items) -> None:
    """@pytest.mark.gpu tests need real CuPy on a GPU; skip them (saying why) otherwise."""
    if any(item.get_closest_marker("gpu") for item in items) and not gpu_available():
        from backends import cuda

        skip = pytest.mark.skip(reason=f"needs a CUDA GPU: {cuda._probe()[1]}")
        for item in items:
            if item.get_closest_marker("gpu"):
                item.add_marker(skip)
