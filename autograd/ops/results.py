"""Named-tuple results (``values, indices``) as PyTorch returns them."""

from __future__ import annotations

from typing import NamedTuple

from ..tensor import Tensor


class MaxMinResult(NamedTuple):
    values: Tensor
    indices: Tensor
