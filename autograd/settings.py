"""Process-wide settings that PyTorch scripts set: ``torch.backends.*`` flags, the float32 matmul precision,
``torch.Size`` and ``__version__``.

embergrad has none of the libraries the ``backends`` flags tune (cuDNN, TF32 tensor cores, MKL-DNN, MPS): its
CUDA convolutions are im2col + a cuBLAS GEMM in full float32. So the flags are kept and reported, the
``is_available()`` queries answer truthfully, and setting them changes nothing: results are what PyTorch gives
with cuDNN/TF32 switched off.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

__all__ = ["Size", "backends", "get_float32_matmul_precision", "set_float32_matmul_precision"]


class Size(tuple):
    """``torch.Size``: a tuple of dims (``Tensor.shape`` is a plain tuple and compares equal to it)."""

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= int(d)
        return n

    def __repr__(self) -> str:
        return f"autograd.Size({list(self)})"


def _no() -> bool:
    return False


def _cuda_built() -> bool:
    """Whether the CUDA backend can be loaded at all (CuPy importable), as torch.backends.cuda.is_built."""
    import importlib.util

    return importlib.util.find_spec("cupy") is not None


backends = SimpleNamespace(
    cudnn=SimpleNamespace(
        enabled=True,
        benchmark=False,
        deterministic=False,
        allow_tf32=True,
        is_available=_no,
        version=lambda: None,
    ),
    cuda=SimpleNamespace(
        matmul=SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True),
        is_built=_cuda_built,
    ),
    mps=SimpleNamespace(is_available=_no, is_built=_no),
    mkldnn=SimpleNamespace(enabled=True, is_available=_no),
    openmp=SimpleNamespace(is_available=_no),
)

_PRECISIONS = ("highest", "high", "medium")
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Record the allowed float32 matmul precision; embergrad always multiplies in full float32 ("highest"),
    which every setting permits."""
    if precision not in _PRECISIONS:
        raise RuntimeError(
            f"set_float32_matmul_precision: invalid precision {precision!r}; expected one of {_PRECISIONS}"
        )
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision[0]


def version() -> Any:
    """The installed embergrad version (``autograd.__version__``)."""
    try:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as _v

        return _v("embergrad")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
