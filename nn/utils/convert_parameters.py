"""Flatten parameters into one vector and back (``parameters_to_vector`` / ``vector_to_parameters``)."""

from __future__ import annotations

from collections.abc import Iterable

import autograd
from autograd import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(params: list[Tensor], op: str) -> None:
    if params:
        first = params[0].device
        for i, p in enumerate(params):
            if p.device != first:
                raise TypeError(
                    f"{op}: found two parameters on different devices ({first} and {p.device} at index {i}), "
                    "this is currently not supported"
                )


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor holding every parameter's values in order (differentiable, like ``torch.cat``)."""
    params = list(parameters)
    _check_same_device(params, "parameters_to_vector")
    if not params:
        raise RuntimeError("parameters_to_vector: expected at least one parameter, got none")
    return autograd.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter's data at its slice of ``vec`` (the inverse of ``parameters_to_vector``)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    _check_same_device(params, "vector_to_parameters")
    if vec.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape {tuple(vec.shape)}")
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        shapes = ", ".join(str(tuple(p.shape)) for p in params)
        raise ValueError(
            f"vector_to_parameters: vec has {vec.numel()} elements but the parameters hold {total} "
            f"(shapes {shapes})"
        )
    if params and vec.device != params[0].device:
        raise TypeError(
            f"vector_to_parameters: vec is on {vec.device} but the parameters are on {params[0].device}"
        )
    data = vec.detach()._data
    offset = 0
    for p in params:
        n = p.numel()
        p.data = Tensor._make(data[offset : offset + n].reshape(p.shape))
        offset += n
