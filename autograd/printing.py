"""``repr`` of tensors in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``.

Follows torch/_tensor_str.py: one formatter (fixed, integer-valued or scientific) for all elements,
right-aligned to a common width, summarized with ``...`` past 1000 elements, wrapped at 80 columns.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import dtypes

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
_DEFAULT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


class _Formatter:
    """Chooses one number format (and width) from the values that will be shown."""

    def __init__(self, arr: np.ndarray) -> None:
        self.floating = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if not self.floating:
            for v in arr.reshape(-1).tolist():
                self.max_width = max(self.max_width, len(_plain(v)))
            return
        vals = arr.astype(np.float64).reshape(-1)
        finite = vals[np.isfinite(vals) & (vals != 0)]
        if finite.size == 0:
            return
        absv = np.abs(finite)
        lo, hi = float(absv.min()), float(absv.max())
        if np.any(finite != np.ceil(finite)):
            self.int_mode = False
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1e8:
                self.sci_mode = True
                self.max_width = max(len(f"{v:.{PRECISION}e}") for v in finite.tolist())
            else:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        elif hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4:
            self.sci_mode = True
            self.max_width = max(len(f"{v:.{PRECISION}e}") for v in finite.tolist())
        else:
            self.max_width = max(len(f"{v:.{PRECISION}f}") for v in finite.tolist())

    def format(self, v: Any) -> str:
        if self.floating:
            v = float(v)
            if math.isnan(v) or math.isinf(v):
                ret = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
            elif self.sci_mode:
                ret = f"{v:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                ret = f"{v:.0f}."
            else:
                ret = f"{v:.{PRECISION}f}"
        else:
            ret = _plain(v)
        return " " * (self.max_width - len(ret)) + ret


def _plain(v: Any) -> str:
    return str(bool(v)) if isinstance(v, bool | np.bool_) else str(v)


def _summarize(arr: np.ndarray) -> np.ndarray:
    """The elements that will be shown (edges of each long dim), for choosing the format."""
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.shape[0] > 2 * EDGEITEMS:
        parts = [arr[:EDGEITEMS], arr[-EDGEITEMS:]]
    else:
        parts = [arr]
    flat = [_summarize(p[i]) if arr.ndim > 1 else p[i : i + 1] for p in parts for i in range(p.shape[0])]
    return np.concatenate(flat) if flat else arr.reshape(-1)


def _body(arr: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    """Nested brackets of formatted elements (recursion depth is the number of dims)."""
    if arr.ndim == 0:
        return fmt.format(arr.item())
    if arr.ndim == 1:
        n = arr.shape[0]
        if summarize and n > 2 * EDGEITEMS:
            items = [fmt.format(v) for v in arr[:EDGEITEMS].tolist()]
            items += [" ..."] + [fmt.format(v) for v in arr[-EDGEITEMS:].tolist()]
        else:
            items = [fmt.format(v) for v in arr.tolist()]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    n = arr.shape[0]
    if summarize and n > 2 * EDGEITEMS:
        rows = [_body(arr[i], fmt, indent + 1, summarize) for i in range(EDGEITEMS)]
        rows += ["..."] + [_body(arr[i], fmt, indent + 1, summarize) for i in range(n - EDGEITEMS, n)]
    else:
        rows = [_body(arr[i], fmt, indent + 1, summarize) for i in range(n)]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def tensor_repr(t: Any) -> str:
    arr = t.backend.to_host(t._data)
    prefix = "tensor("
    indent = len(prefix)
    summarize = arr.size > THRESHOLD
    if arr.size == 0:
        body = "[]"
    else:
        fmt = _Formatter(_summarize(arr) if summarize else arr)
        body = _body(arr, fmt, indent, summarize)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if arr.dtype != np.float32:
            suffixes.append(f"dtype={dtypes.from_np(arr.dtype)!r}")
    elif arr.dtype not in _DEFAULT_DTYPES:
        suffixes.append(f"dtype={dtypes.from_np(arr.dtype)!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    for s in suffixes:
        last = len(out) - out.rfind("\n") + 1
        if len(s) + last > LINEWIDTH:
            out += ",\n" + " " * indent + s
        else:
            out += ", " + s
    return out + ")"
