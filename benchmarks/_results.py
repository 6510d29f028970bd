"""Where the benchmarks leave their numbers: benchmarks/results/<name>.json, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def write_json(name: str, obj: Any) -> str:
    """Write ``obj`` to results/<name>.json through a temporary file and a rename, so a reader (or an
    interrupted run) never sees half a file. Returns the path."""
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, name + ".json")
    fd, tmp = tempfile.mkstemp(dir=RESULTS, prefix="." + name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
