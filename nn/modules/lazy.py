"""Lazy modules (``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm2d``...): the input size is read from the first
batch, as in PyTorch, so a model can be written without working out ``in_features`` by hand.

Until that first call their weights are ``UninitializedParameter``s (no shape yet). The first forward
materializes them with the inferred shape, runs the layer's usual ``reset_parameters`` and turns the module into
its ordinary class (``LazyLinear`` becomes ``Linear``). Loading a state dict materializes them too.
"""

from __future__ import annotations

from typing import Any

import autograd
from autograd import Tensor

from ..parameter import Parameter
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .norm import BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = [
    "UninitializedParameter", "UninitializedBuffer", "LazyLinear",
    "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
    "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
]  # fmt: skip

_NO_SHAPE = (
    "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
    "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call `forward` "
    "to initialize the parameters before accessing their attributes."
)


class _Uninitialized:
    """Shared by UninitializedParameter/Buffer: a placeholder that knows its device and dtype, not its shape."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the tensor ``shape`` (uninitialized memory) and make it an ordinary Parameter/Tensor."""
        data = autograd.empty(
            tuple(shape),
            device=self.device if device is None else device,
            dtype=self.dtype if dtype is None else dtype,
        )
        self._data = data._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self) -> tuple:
        raise RuntimeError(_NO_SHAPE)

    def size(self, dim: int | None = None) -> Any:
        raise RuntimeError(_NO_SHAPE)

    def numel(self) -> int:
        raise RuntimeError(_NO_SHAPE)

    @property
    def ndim(self) -> int:
        raise RuntimeError(_NO_SHAPE)

    def dim(self) -> int:
        raise RuntimeError(_NO_SHAPE)

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """A placeholder on the new device/dtype, still uninitialized (``Module.to`` before the first forward)."""
        moved = Tensor.to(self, *args, **kwargs)
        if moved is self:
            return self
        return type(self)(self.requires_grad, moved.device, moved.dtype)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's weight before its first forward)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(
        cls, requires_grad: bool = True, device: Any = None, dtype: Any = None
    ) -> UninitializedParameter:
        return super().__new__(cls, autograd.empty(0, device=device, dtype=dtype), requires_grad)

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        pass

    def __deepcopy__(self, memo: dict) -> UninitializedParameter:
        p = UninitializedParameter(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = p
        return p


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet (a lazy BatchNorm's running statistics)."""

    __slots__ = ()

    def __new__(
        cls, requires_grad: bool = False, device: Any = None, dtype: Any = None
    ) -> UninitializedBuffer:
        b = object.__new__(cls)
        b._data = autograd.empty(0, device=device, dtype=dtype)._data
        b.grad = b.grad_fn = b._extra = None
        b.requires_grad = requires_grad
        b._vc, b._oi = [0], 0
        return b

    def __init__(self, requires_grad: bool = False, device: Any = None, dtype: Any = None) -> None:
        pass

    def __deepcopy__(self, memo: dict) -> UninitializedBuffer:
        b = UninitializedBuffer(self.requires_grad, self.device, self.dtype)
        memo[id(self)] = b
        return b


def is_lazy(t: Any) -> bool:
    return isinstance(t, _Uninitialized)


def _infer_parameters(module: Any, args: tuple, kwargs: dict) -> None:
    """The forward pre-hook of a lazy module: shape the parameters from this input, then become the plain class."""
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    module.__class__ = module.cls_to_become


class LazyModuleMixin:
    """Registers the inferring pre-hook and lets ``load_state_dict`` materialize uninitialized tensors."""

    cls_to_become: type | None = None

    def _lazy_init(self) -> None:
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        return any(is_lazy(t) for t in (*self._parameters.values(), *self._buffers.values()))

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define initialize_parameters")

    def _materialize(self, shapes: dict[str, tuple]) -> None:
        for name, shape in shapes.items():
            t = self._parameters.get(name, self._buffers.get(name))
            if is_lazy(t):
                t.materialize(shape)

    def _load_from_state_dict(self, state_dict: Any, prefix: str, *args: Any) -> None:
        for name, t in (*self._parameters.items(), *self._buffers.items()):
            src = state_dict.get(prefix + name)
            if is_lazy(t) and src is not None and hasattr(src, "shape"):
                t.materialize(tuple(src.shape))
                self._loaded_shape(name, tuple(src.shape))
        super()._load_from_state_dict(state_dict, prefix, *args)  # type: ignore[misc]

    def _loaded_shape(self, name: str, shape: tuple) -> None:
        """Record the size a loaded tensor implies (in_features, in_channels, num_features)."""


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dim of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__(1, out_features, bias, device, dtype)
        self.in_features = 0
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._lazy_init()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if self.has_uninitialized_params():
            if input.ndim == 0:
                raise RuntimeError("LazyLinear: input must have at least 1 dimension, got a 0-d tensor")
            self.in_features = input.shape[-1]
            self._materialize({"weight": (self.out_features, self.in_features), "bias": (self.out_features,)})
            self.reset_parameters()

    def _loaded_shape(self, name: str, shape: tuple) -> None:
        if name == "weight":
            self.in_features = shape[1]


class _LazyConvMixin(LazyModuleMixin):
    """Reads ``in_channels`` from dim 1 of a batched input (dim 0 of an unbatched one)."""

    def _lazy_conv(self, bias: bool, device: Any, dtype: Any) -> None:
        self.in_channels = 0
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)
        self._lazy_init()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if not self.has_uninitialized_params():
            return
        nd = self._nd  # type: ignore[attr-defined]
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(
                f"{type(self).__name__}: expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, got "
                f"{input.ndim}D input of shape {tuple(input.shape)}"
            )
        c = input.shape[1] if input.ndim == nd + 2 else input.shape[0]
        g = self.groups  # type: ignore[attr-defined]
        if c % g:
            raise ValueError(f"{type(self).__name__}: in_channels={c} must be divisible by groups={g}")
        self.in_channels = c
        out, k = self.out_channels, self.kernel_size  # type: ignore[attr-defined]
        w = (c, out // g) + k if self._transposed else (out, c // g) + k  # type: ignore[attr-defined]
        self._materialize({"weight": w, "bias": (out,)})
        self.reset_parameters()

    def _loaded_shape(self, name: str, shape: tuple) -> None:
        if name == "weight":
            g = self.groups  # type: ignore[attr-defined]
            self.in_channels = shape[0] if self._transposed else shape[1] * g  # type: ignore[attr-defined]


def _lazy_conv_class(base: type) -> type:
    """LazyConv{1,2,3}d: ``base``'s signature without in_channels."""

    def __init__(
        self: Any,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        base.__init__(
            self, groups, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
            device, dtype,
        )  # fmt: skip
        self._lazy_conv(bias, device, dtype)

    doc = f"``{base.__name__}`` whose ``in_channels`` is read from its first input."
    attrs = {"__init__": __init__, "__doc__": doc, "cls_to_become": base}
    return type(f"Lazy{base.__name__}", (_LazyConvMixin, base), attrs)


def _lazy_conv_transpose_class(base: type) -> type:
    """LazyConvTranspose{1,2,3}d: ``base``'s signature without in_channels."""

    def __init__(
        self: Any,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        base.__init__(
            self, groups, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation,
            padding_mode, device, dtype,
        )  # fmt: skip
        self._lazy_conv(bias, device, dtype)

    doc = f"``{base.__name__}`` whose ``in_channels`` is read from its first input."
    attrs = {"__init__": __init__, "__doc__": doc, "cls_to_become": base}
    return type(f"Lazy{base.__name__}", (_LazyConvMixin, base), attrs)


class _LazyNormMixin(LazyModuleMixin):
    """Reads ``num_features`` from the channel dim of the first input."""

    def _lazy_norm(self, device: Any, dtype: Any) -> None:
        self.num_features = 0
        if self.affine:  # type: ignore[attr-defined]
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if self.bias is not None:  # type: ignore[has-type]
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if self.track_running_stats:  # type: ignore[attr-defined]
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
        self._lazy_init()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()  # type: ignore[misc]

    _unbatched_ndim = -1  # instance norms: an input of this many dims has its channels in dim 0

    def initialize_parameters(self, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if self.num_features != 0:
            return
        self._check_input(input)  # type: ignore[attr-defined]
        self.num_features = input.shape[0 if input.ndim == self._unbatched_ndim else 1]
        n = (self.num_features,)
        self._materialize({"weight": n, "bias": n, "running_mean": n, "running_var": n})
        self.reset_parameters()

    def _loaded_shape(self, name: str, shape: tuple) -> None:
        if shape:
            self.num_features = shape[0]


def _lazy_norm_class(base: type, affine: bool, track: bool, unbatched_ndim: int = -1) -> type:
    def __init__(
        self: Any,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = affine,
        track_running_stats: bool = track,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        base.__init__(self, 1, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self._lazy_norm(device, dtype)

    doc = f"``{base.__name__}`` whose ``num_features`` is read from its first input."
    attrs = {"__init__": __init__, "__doc__": doc, "cls_to_become": base, "_unbatched_ndim": unbatched_ndim}
    return type(f"Lazy{base.__name__}", (_LazyNormMixin, base), attrs)


LazyConv1d = _lazy_conv_class(Conv1d)
LazyConv2d = _lazy_conv_class(Conv2d)
LazyConv3d = _lazy_conv_class(Conv3d)
LazyConvTranspose1d = _lazy_conv_transpose_class(ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv_transpose_class(ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv_transpose_class(ConvTranspose3d)
LazyBatchNorm1d = _lazy_norm_class(BatchNorm1d, True, True)
LazyBatchNorm2d = _lazy_norm_class(BatchNorm2d, True, True)
LazyBatchNorm3d = _lazy_norm_class(BatchNorm3d, True, True)
# (torch's lazy instance norms default to affine=True, track_running_stats=True, unlike InstanceNorm*d)
LazyInstanceNorm1d = _lazy_norm_class(InstanceNorm1d, True, True, 2)
LazyInstanceNorm2d = _lazy_norm_class(InstanceNorm2d, True, True, 3)
LazyInstanceNorm3d = _lazy_norm_class(InstanceNorm3d, True, True, 4)
