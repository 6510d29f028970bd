"""Named-tuple results (``values, indices``) as PyTorch returns them."""

from __future__ import annotations

from typing import NamedTuple

from ..tensor import Tensor


class MaxMinResult(NamedTuple):
    values: Tensor
    indices: Tensor


ValuesIndices = MaxMinResult  # median, kthvalue, mode, cummax... return the same (values, indices) pair


class AMinMaxResult(NamedTuple):
    min: Tensor
    max: Tensor


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor
