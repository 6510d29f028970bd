"""How a batch crosses from a DataLoader worker to the main process: data only, never a pickle (DESIGN: Safety).

A batch is a tree of tensors, NumPy arrays and scalars, numbers, strings, bytes and None inside lists, tuples,
namedtuples and dicts. ``encode`` writes the tree as JSON and the arrays' raw bytes after it; ``decode`` reads
them back with nothing but ``json`` and ``numpy.frombuffer``, so decoding can fail but never runs code. Tensors
arrive as CPU tensors without graph state (a Parameter stays a Parameter, ``requires_grad`` is kept).
"""

from __future__ import annotations

import base64
import json
import struct
import sys
from typing import Any

import numpy as np

import autograd
from autograd import Tensor

from ..parameter import Parameter

_ALLOWED = (
    "a batch may hold tensors, NumPy arrays and scalars, numbers, strings, bytes and None inside lists, tuples, "
    "namedtuples and dicts (worker results never cross as pickles)"
)


def _check_tensor(t: Tensor) -> None:
    if t.device.type != "cpu":
        raise RuntimeError(
            f"DataLoader worker: the batch holds a tensor on {t.device}, but worker processes are CPU-only "
            "(CUDA cannot be used in a forked worker). Return CPU tensors from the dataset and move each batch "
            f"with .to('{t.device}') in the main process."
        )
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not "
            "support crossing process boundaries.  If you just want to transfer the data, call detach() on "
            "the tensor before serializing (e.g., putting it on the queue)."
        )


def encode(obj: Any) -> bytes:
    """The batch as bytes: an 8-byte header length, the JSON tree, then each array's raw bytes."""
    arrays: list[np.ndarray] = []

    def array_ref(a: np.ndarray) -> int:
        if a.dtype.hasobject or a.dtype.fields is not None:
            raise TypeError(f"DataLoader worker: cannot send a NumPy array of dtype {a.dtype}; {_ALLOWED}")
        arrays.append(a if a.flags.c_contiguous else a.copy(order="C"))  # (ascontiguousarray makes 0-d 1-d)
        return len(arrays) - 1

    def walk(x: Any) -> Any:
        if x is None or isinstance(x, bool | int | float | str):
            return x
        if isinstance(x, Tensor):
            _check_tensor(x)
            return {
                "T": array_ref(x.detach().numpy()),
                "grad": x.requires_grad,
                "param": isinstance(x, Parameter),
            }
        if isinstance(x, np.ndarray):
            return {"A": array_ref(x)}
        if isinstance(x, np.generic):
            return {"S": array_ref(np.asarray(x))}
        if isinstance(x, bytes):
            return {"B": base64.b64encode(x).decode("ascii")}
        if isinstance(x, tuple) and hasattr(type(x), "_fields"):
            cls = type(x)
            return {"N": [cls.__module__, cls.__qualname__], "v": [walk(v) for v in x]}
        if isinstance(x, tuple):
            return {"U": [walk(v) for v in x]}
        if isinstance(x, list):
            return {"L": [walk(v) for v in x]}
        if isinstance(x, dict):
            return {"D": [[walk(k), walk(v)] for k, v in x.items()]}
        raise TypeError(
            f"DataLoader worker: cannot send a {type(x).__name__} to the main process; {_ALLOWED}"
        )

    tree = walk(obj)
    header = json.dumps({"tree": tree, "arrays": [[a.dtype.str, list(a.shape)] for a in arrays]}).encode()
    return b"".join([struct.pack("<Q", len(header)), header, *(a.tobytes() for a in arrays)])


def lookup(module: str, qualname: str) -> Any:
    """A class by name from modules the process has already imported (nothing is imported or run), or None."""
    obj: Any = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, type) else None


def _namedtuple_class(module: str, qualname: str) -> type:
    cls = lookup(module, qualname)
    if cls is None or not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
        raise RuntimeError(
            f"DataLoader: a worker sent a {module}.{qualname} namedtuple, a class the main process does not have"
        )
    return cls


def decode(data: bytes) -> Any:
    """Rebuild what ``encode`` wrote (arrays are views of one writable copy of ``data``)."""
    buf = bytearray(data)
    (n,) = struct.unpack_from("<Q", buf)
    header = json.loads(bytes(buf[8 : 8 + n]))
    offset = 8 + n
    arrays = []
    for dtype, shape in header["arrays"]:  # stored back to back, in order
        dt = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        arrays.append(np.frombuffer(buf, dtype=dt, count=count, offset=offset).reshape(tuple(shape)))
        offset += count * dt.itemsize

    def build(x: Any) -> Any:
        if not isinstance(x, dict):
            return x
        if "T" in x:
            t = autograd.from_numpy(arrays[x["T"]])
            if x["param"]:
                return Parameter(t, x["grad"])
            return t.requires_grad_(True) if x["grad"] else t
        if "A" in x:
            return arrays[x["A"]]
        if "S" in x:
            return arrays[x["S"]][()]
        if "B" in x:
            return base64.b64decode(x["B"])
        if "N" in x:
            return _namedtuple_class(*x["N"])(*(build(v) for v in x["v"]))
        if "U" in x:
            return tuple(build(v) for v in x["U"])
        if "L" in x:
            return [build(v) for v in x["L"]]
        return {build(k): build(v) for k, v in x["D"]}

    return build(header["tree"])
