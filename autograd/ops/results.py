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


class InvExResult(NamedTuple):
    inverse: Tensor
    info: Tensor


class CholeskyExResult(NamedTuple):
    L: Tensor
    info: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class LstsqResult(NamedTuple):
    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor
