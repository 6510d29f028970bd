"""``repr`` of tensors in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes

_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def _float_formatter(arr: np.ndarray) -> Any:
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    amax = float(np.abs(finite).max())
    nz = np.abs(finite[finite != 0])
    amin = float(nz.min()) if nz.size else 0.0
    if np.all(finite == np.round(finite)) and amax < 1e8:
        return lambda v: _special(v) or f"{v:.0f}."
    if amax >= 1e8 or (amin and amin < 1e-4) or (amin and amax / amin > 1e3 and amax > 1e3):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v: float) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def tensor_repr(t: Any) -> str:
    arr = t.backend.to_host(t._data)
    prefix = "tensor("
    if arr.dtype.kind == "f" and arr.size:
        fmt = _float_formatter(arr.astype(np.float64))
        body = np.array2string(
            arr, separator=", ", prefix=prefix, formatter={"float_kind": fmt}, threshold=1000, edgeitems=3
        )
    elif arr.dtype.kind == "b":
        body = np.array2string(
            arr,
            separator=", ",
            prefix=prefix,
            formatter={"bool": lambda v: str(bool(v))},
            threshold=1000,
            edgeitems=3,
        )
    else:
        body = np.array2string(arr, separator=", ", prefix=prefix, threshold=1000, edgeitems=3)
    extras = []
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size={tuple(arr.shape)}")
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if arr.dtype not in _DEFAULT_DTYPES or (arr.size == 0 and arr.dtype != np.float32):
        extras.append(f"dtype={dtypes.from_np(arr.dtype)!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
