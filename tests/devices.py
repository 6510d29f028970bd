"""The devices tests run on: 'cpu', then 'cuda' (a real GPU, or the strict CPU stand-in for CuPy).

Without a GPU the stand-in is switched on, so every op/layer test also runs the CUDA backend's
code path. ``EMBERGRAD_TEST_DEVICES=cpu`` (comma-separated) restricts the list for quick runs.
"""

from __future__ import annotations

import os


def device_params() -> list:
    from backends import cuda

    wanted = [d.strip() for d in os.environ.get("EMBERGRAD_TEST_DEVICES", "cpu,cuda").split(",") if d.strip()]
    out = [d for d in wanted if d == "cpu"]
    if "cuda" in wanted:
        if not cuda.standin_enabled() and not cuda.has_gpu():
            cuda.use_standin(True)
        out.append("cuda")
    return out


def gpu_available() -> bool:
    """A real GPU reachable through CuPy (what @pytest.mark.gpu tests need)."""
    from backends import cuda

    return cuda.has_gpu()
