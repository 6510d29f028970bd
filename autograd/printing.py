"""``repr`` of tensors in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``.

Follows torch/_tensor_str.py: one formatter (fixed, integer-valued or scientific) for all elements,
right-aligned to a common width, summarized with ``...`` past ``threshold`` elements, wrapped at ``linewidth``
columns; ``set_printoptions`` changes these as ``torch.set_printoptions`` does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import dtypes


class _PrintOptions:
    """The current options (PyTorch's defaults: the 'default' profile)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


OPTS = _PrintOptions()
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print, like ``torch.set_printoptions``: a ``profile`` ('default', 'short', 'full')
    first, then the given options; ``sci_mode`` None lets the values choose (it is reset by every call)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(
                f"set_printoptions: profile must be one of {', '.join(_PROFILES)}, got {profile!r}"
            )
        for k, v in _PROFILES[profile].items():
            setattr(OPTS, k, v)
    for k, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems)):
        if v is not None:
            setattr(OPTS, k, v)
    if linewidth is not None:
        OPTS.linewidth = linewidth
    OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for ``set_printoptions``."""
    keys = ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")
    return {k: getattr(OPTS, k) for k in keys}


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
        auto = hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4
        self.sci_mode = auto if OPTS.sci_mode is None else bool(OPTS.sci_mode)
        p = OPTS.precision
        if self.sci_mode:
            self.max_width = max(len(f"{v:.{p}e}") for v in finite.tolist())
        elif self.int_mode:
            self.max_width = max(len(f"{v:.0f}") + 1 for v in finite.tolist())
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in finite.tolist())

    def format(self, v: Any) -> str:
        if self.floating:
            v = float(v)
            if math.isnan(v) or math.isinf(v):
                ret = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
            elif self.sci_mode:
                ret = f"{v:{self.max_width}.{OPTS.precision}e}"
            elif self.int_mode:
                ret = f"{v:.0f}."
            else:
                ret = f"{v:.{OPTS.precision}f}"
        else:
            ret = _plain(v)
        return " " * (self.max_width - len(ret)) + ret


def _plain(v: Any) -> str:
    return str(bool(v)) if isinstance(v, bool | np.bool_) else str(v)


def _summarize(arr: np.ndarray) -> np.ndarray:
    """The elements that will be shown (edges of each long dim), for choosing the format."""
    e = OPTS.edgeitems
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.ndim > 1 and not e:
        return arr.reshape(-1)[:0]
    parts = [arr[:e], arr[arr.shape[0] - e :]] if arr.shape[0] > 2 * e else [arr]
    flat = [_summarize(p[i]) if arr.ndim > 1 else p[i : i + 1] for p in parts for i in range(p.shape[0])]
    return np.concatenate(flat) if flat else arr.reshape(-1)


def _body(arr: np.ndarray, fmt: _Formatter, indent: int, summarize: bool) -> str:
    """Nested brackets of formatted elements (recursion depth is the number of dims)."""
    e = OPTS.edgeitems
    if arr.ndim == 0:
        return fmt.format(arr.item())
    n = arr.shape[0]
    if arr.ndim == 1:
        if summarize and not e:
            items = ["..."]
        elif summarize and n > 2 * e:
            items = [fmt.format(v) for v in arr[:e].tolist()]
            items += [" ..."] + [fmt.format(v) for v in arr[n - e :].tolist()]
        else:
            items = [fmt.format(v) for v in arr.tolist()]
        per_line = max(1, math.floor((OPTS.linewidth - indent) / (fmt.max_width + 2)))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    if summarize and n > 2 * e:
        rows = [_body(arr[i], fmt, indent + 1, summarize) for i in range(e)]
        rows += ["..."] + [_body(arr[i], fmt, indent + 1, summarize) for i in range(n - e, n)]
    else:
        rows = [_body(arr[i], fmt, indent + 1, summarize) for i in range(n)]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def tensor_repr(t: Any) -> str:
    arr = t.backend.to_host(t._data)
    prefix = "tensor("
    indent = len(prefix)
    summarize = arr.size > OPTS.threshold
    if arr.size == 0:
        body = "[]"
    else:
        fmt = _Formatter(_summarize(arr) if summarize else arr)
        body = _body(arr, fmt, indent, summarize)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default = (dtypes.default_float, np.dtype(np.int64), np.dtype(np.bool_))
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if arr.dtype != dtypes.default_float:
            suffixes.append(f"dtype={dtypes.from_np(arr.dtype)!r}")
    else:
        if not OPTS.edgeitems:
            suffixes.append(f"size={tuple(arr.shape)}")
        if arr.dtype not in default:
            suffixes.append(f"dtype={dtypes.from_np(arr.dtype)!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = prefix + body
    last = len(out) - out.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > OPTS.linewidth:
            out += ",\n" + " " * indent + s
            last = indent + len(s)
        else:
            out += ", " + s
            last += len(s) + 2
    return out + ")"
