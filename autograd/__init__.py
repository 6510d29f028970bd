"""embergrad's autograd: Tensor, Function, the backward engine, grad modes and the op library.

The names follow PyTorch (``autograd.tensor`` is ``torch.tensor``, ``autograd.no_grad`` is
``torch.no_grad``...), so a script ports by changing imports.
"""

from __future__ import annotations

from backends import Device
from backends import Device as device

from . import cuda, distributions, functional, linalg, profiler, special, viz
from . import methods as _methods  # noqa: F401  (attaches ops to Tensor)
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_rng_state,
    initial_seed,
    linspace,
    logspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    result_type,
    seed,
    set_rng_state,
    tensor,
    zeros,
    zeros_like,
)
from .dtype_info import can_cast, finfo, get_default_dtype, iinfo, promote_types, set_default_dtype
from .dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from .engine import backward, grad
from .function import Function, once_differentiable
from .generator import Generator
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .math_ops import (
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    deg2rad,
    float_power,
    fmax,
    fmin,
    heaviside,
    hypot,
    is_complex,
    isneginf,
    isposinf,
    logaddexp,
    logaddexp2,
    logit,
    nan_to_num_,
    rad2deg,
    signbit,
    sinc,
    xlogy,
)
from .memory_format import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format
from .methods import clamp, floor_divide, logical_not, where
from .methods_extra import addcdiv, addcmul
from .ops.bits import (
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
)
from .ops.bucketing import bucketize, histogram, searchsorted
from .ops.combine import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    broadcast_shapes,
    broadcast_tensors,
    cartesian_prod,
    column_stack,
    combinations,
    dstack,
    meshgrid,
)
from .ops.contract import mv, tensordot, vdot
from .ops.counting import bincount, histc, unique_consecutive
from .ops.covariance import corrcoef, cov
from .ops.differences import diff, trapezoid, trapz
from .ops.distance import cdist
from .ops.einsum import einsum
from .ops.householder import geqrf
from .ops.householder import householder_product as orgqr
from .ops.index import gather, index_select, masked_fill, one_hot, scatter, scatter_add, tril, triu
from .ops.linalg import bmm, dot, mm, outer
from .ops.matrix import (
    addbmm,
    addmv,
    addr,
    baddbmm,
    cross,
    inner,
    kron,
    matrix_power,
    renorm,
)
from .ops.nan_reduce import nanmean, nansum, std_mean, var_mean
from .ops.random import multinomial
from .ops.reduce import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    cumprod,
    cumsum,
    logsumexp,
    mean,
    norm,
    prod,
    std,
    sum,
    var,
)
from .ops.shape import (
    broadcast_to,
    cat,
    chunk,
    flatten,
    flip,
    hstack,
    movedim,
    narrow,
    permute,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    tile,
    transpose,
    unbind,
    unflatten,
    unsqueeze,
    vstack,
)
from .ops.shape_extra import argwhere, fliplr, flipud, moveaxis
from .ops.signs import copysign, fix, frac, nextafter, sgn
from .ops.solvers import det, inverse, logdet, slogdet
from .ops.stats import (
    aminmax,
    cummax,
    cummin,
    kthvalue,
    logcumsumexp,
    median,
    mode,
    nanmedian,
    nanquantile,
    quantile,
)
from .ops.structured import tril_indices, triu_indices, vander
from .printing import set_printoptions
from .settings import Size, backends, get_float32_matmul_precision, set_float32_matmul_precision
from .settings import version as _version
from .special import digamma, erfinv, i0, lgamma, mvlgamma, polygamma
from .tensor import Tensor

concat = concatenate = cat
matmul = Tensor.matmul  # the single-frame fast path; falls back to ops.linalg.matmul's checks


def _unary_fn(name: str):
    def f(x: Tensor, *args, **kwargs) -> Tensor:
        return getattr(x, name)(*args, **kwargs)

    f.__name__ = name
    f.__doc__ = f"Functional form of ``Tensor.{name}``."
    return f


for _n in (
    "softmax",
    "log_softmax",
    "sort",
    "topk",
    "argsort",
    "nonzero",
    "unique",
    "isclose",
    "diag",
    "diagonal",
    "trace",
    "addmm",
    "nan_to_num",
    "count_nonzero",
    "repeat_interleave",
    "masked_select",
    "sinh",
    "cosh",
    "clamp_min",
    "clamp_max",
    "bernoulli",
    "swapaxes",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sigmoid",
    "relu",
    "sign",
    "floor",
    "ceil",
    "round",
    "trunc",
    "reciprocal",
    "erf",
    "erfc",
    "abs",
    "neg",
    "square",
    "log2",
    "log10",
    "exp2",
    "softplus",
    "maximum",
    "minimum",
    "lerp",
    "pow",
    "add",
    "sub",
    "mul",
    "div",
    "remainder",
    "fmod",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "logical_and",
    "logical_or",
    "logical_xor",
    "isnan",
    "isinf",
    "isfinite",
    "allclose",
    "equal",
    "max",
    "min",
    "expand",
    "repeat",
    "clone",
    "t",
    "masked_fill_",
    "view_as",
    "numel",
    "clip",
    "absolute",
    "negative",
    "multiply",
    "divide",
    "subtract",
    "index_add",
    "index_copy",
    "index_fill",
    "index_put",
    "index_put_",
    "scatter_reduce",
    "masked_scatter",
    "take",
    "take_along_dim",
    "put",
    "select",
    "select_scatter",
    "slice_scatter",
    "diagonal_scatter",
    "diag_embed",
    "tensor_split",
    "rot90",
    "narrow_copy",
    "as_strided",
):
    globals()[_n] = _unary_fn(_n)
del _n

is_tensor = lambda x: isinstance(x, Tensor)  # noqa: E731


def is_floating_point(x: Tensor) -> builtins_bool:
    return x.is_floating_point()


import builtins as _builtins  # noqa: E402

builtins_bool = _builtins.bool


def numel(x: Tensor) -> _builtins.int:
    return x.numel()


__version__ = _version()
