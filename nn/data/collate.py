"""default_collate: stack a list of samples into a batch (tensors stacked, numbers to tensors, recursing
into tuples, lists and dicts), as PyTorch's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import autograd
from autograd import Tensor


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays (and scalars) into tensors, recursing into containers; no batching."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return autograd.tensor(data)
    if isinstance(data, np.generic) and np.dtype(type(data)).kind in "biuf":
        return autograd.tensor(data)
    if isinstance(data, Mapping):
        return (
            type(data)({k: default_convert(v) for k, v in data.items()})
            if not isinstance(data, dict)
            else {k: default_convert(v) for k, v in data.items()}
        )
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack samples: tensors -> stacked tensor, ints -> int64, floats -> float64, bools -> bool tensor,
    str -> list, and recursively for dicts and sequences (tuples come back as lists, like PyTorch)."""
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        shapes = {tuple(b.shape) for b in batch}
        if len(shapes) > 1:
            raise RuntimeError(
                f"default_collate: stack expects each tensor to be equal size, but got shapes {sorted(shapes)}"
            )
        return autograd.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind not in "biuf":
            raise TypeError(
                f"default_collate: batch must contain tensors, numbers, dicts or lists; found {elem.dtype}"
            )
        return default_collate([autograd.tensor(b) for b in batch])
    if isinstance(elem, np.generic):
        return autograd.tensor(np.array(batch))
    if isinstance(elem, bool):
        return autograd.tensor(list(batch), dtype=autograd.bool)
    if isinstance(elem, int):
        return autograd.tensor(list(batch), dtype=autograd.int64)
    if isinstance(elem, float):
        return autograd.tensor(list(batch), dtype=autograd.float64)
    if isinstance(elem, str | bytes):
        return list(batch)
    if isinstance(elem, Mapping):
        return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        n = len(elem)
        if any(len(e) != n for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    if elem is None:
        return list(batch)
    raise TypeError(
        f"default_collate: batch must contain tensors, NumPy arrays, numbers, dicts or lists; found {type(elem).__name__}"
    )
