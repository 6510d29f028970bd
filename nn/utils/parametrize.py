"""Parametrizations (``torch.nn.utils.parametrize``): a module's tensor computed from other tensors on access.

``register_parametrization(m, "weight", P())`` moves ``m.weight`` to ``m.parametrizations.weight.original``;
reading ``m.weight`` then returns ``P()(original)`` (a fresh graph each time, so gradients reach ``original``) and
assigning to it stores ``P.right_inverse(value)``. Several parametrizations chain; ``cached()`` computes each one
once inside its block; ``remove_parametrizations`` puts a plain tensor back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import autograd
from autograd import Tensor

from ..module import Module
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "type_before_parametrizations",
]

_cache: dict[tuple[int, str], Tensor] = {}
_cache_depth = [0]


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Inside the block each parametrized tensor is computed once and reused (e.g. a weight used every step of an
    RNN loop); leaving the outermost block drops the cache."""
    _cache_depth[0] += 1
    try:
        yield
    finally:
        _cache_depth[0] -= 1
        if not _cache_depth[0]:
            _cache.clear()


def _set_data(t: Tensor, value: Tensor) -> None:
    """Give ``t`` the values (and shape) of ``value``, keeping the object (optimizers hold it): torch's ``set_``."""
    t._data = value.detach()._data
    t._vc[0] += 1


def _register(module: Module, name: str, t: Tensor) -> None:
    if isinstance(t, Parameter):
        module.register_parameter(name, t)
    else:
        module.register_buffer(name, t)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in order, plus the unconstrained ``original`` (or ``original0``,
    ``original1``... when the first one's ``right_inverse`` returns several tensors)."""

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        with autograd.no_grad():
            new = original
            for m in reversed(self):
                if hasattr(m, "right_inverse"):
                    new = m.right_inverse(new)
        if not isinstance(new, Tensor) and not isinstance(new, Sequence):
            raise ValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(new).__name__}"
            )
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if not unsafe and (new.dtype != original.dtype or tuple(new.shape) != tuple(original.shape)):
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype or shape.\n"
                    f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}\n"
                    f"original.shape: {tuple(original.shape)}\nright_inverse(original).shape: {tuple(new.shape)}"
                )
            with autograd.no_grad():
                _set_data(original, new)
            _register(self, "original", original)
        else:
            for i, t in enumerate(new):
                if not isinstance(t, Tensor):
                    raise ValueError(
                        f"'right_inverse' must return a Tensor or a Sequence of tensors. Got element {i} of type "
                        f"{type(t).__name__}"
                    )
                if isinstance(original, Parameter):
                    t = Parameter(t.detach(), original.requires_grad)
                else:
                    t = t.detach()
                _register(self, f"original{i}", t)
        if not unsafe:  # the parametrized tensor must look like the one it replaces
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != original.dtype or tuple(z.shape) != tuple(original.shape):
                raise ValueError(
                    "Registering a parametrization may not change the dtype or shape of the tensor, unless the "
                    f"`unsafe` flag is enabled.\nunparametrized: {tuple(original.shape)} {original.dtype}\n"
                    f"parametrized: {tuple(z.shape)} {z.dtype}"
                )

    def right_inverse(self, value: Tensor) -> None:
        """Store ``value`` (what the parametrized tensor should equal) into the originals."""
        with autograd.no_grad():
            for m in reversed(self):
                if not hasattr(m, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(m).__name__} does not implement right_inverse."
                    )
                value = m.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                orig = self.original
                if not self.unsafe and (value.dtype != orig.dtype or tuple(value.shape) != tuple(orig.shape)):
                    raise ValueError(
                        f"The tensor returned by `right_inverse` has dtype {value.dtype} and shape "
                        f"{tuple(value.shape)} while `original` has dtype {orig.dtype} and shape {tuple(orig.shape)}"
                    )
                _set_data(orig, value)
            else:
                if not isinstance(value, Sequence) or len(value) != self.ntensors:
                    raise ValueError(
                        f"'right_inverse' must return a sequence of {self.ntensors} tensors, got "
                        f"{type(value).__name__}"
                    )
                for i, t in enumerate(value):
                    _set_data(getattr(self, f"original{i}"), t)

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in list(self)[1:]:
            x = m(x)
        return x


def _inject_property(module: Module, name: str) -> None:
    def get(self: Module) -> Tensor:
        plist = self.parametrizations[name]
        if not _cache_depth[0]:
            return plist()
        key = (id(self), name)
        t = _cache.get(key)
        if t is None:
            t = _cache[key] = plist()
        return t

    def set_(self: Module, value: Tensor) -> None:
        self.parametrizations[name].right_inverse(value)

    setattr(type(module), name, property(get, set_))


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has any parametrization (or one on ``tensor_name``)."""
    plist = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plist, ModuleDict):
        return False
    return len(plist) > 0 if tensor_name is None else tensor_name in plist


def type_before_parametrizations(module: Module) -> type:
    """The module's class as it was before ``register_parametrization`` subclassed it."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` be computed by ``parametrization`` (appended if one exists already)."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            y = getattr(module, tensor_name)
            z = parametrization(y)
            if not isinstance(z, Tensor) or z.dtype != y.dtype or tuple(z.shape) != tuple(y.shape):
                raise ValueError(
                    "Registering a parametrization may not change the dtype or shape of the tensor, unless the "
                    f"`unsafe` flag is enabled: {tuple(y.shape)} {y.dtype} -> "
                    f"{tuple(getattr(z, 'shape', ()))} {getattr(z, 'dtype', type(z).__name__)}"
                )
        plist.append(parametrization)
        plist.unsafe |= unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(
            f"Module '{type(module).__name__}' does not have a parameter, a buffer, or a parametrized element with "
            f"name '{tensor_name}'"
        )
    original = getattr(module, tensor_name)
    if original is None:
        raise ValueError(f"register_parametrization: '{tensor_name}' of {type(module).__name__} is None")
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        cls = type(module)
        module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    _inject_property(module, tensor_name)
    return module


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Undo ``register_parametrization`` on ``tensor_name``: with ``leave_parametrized`` the tensor keeps its
    current (parametrized) value, else it goes back to ``original``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {type(module).__name__} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with autograd.no_grad():
                _set_data(original, getattr(module, tensor_name))
    else:
        if not leave_parametrized:
            raise ValueError(
                "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in terms "
                "of a sequence of tensors."
            )
        with autograd.no_grad():
            t = getattr(module, tensor_name).detach()
        first = plist.original0
        original = Parameter(t, first.requires_grad) if isinstance(first, Parameter) else t
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        del module.parametrizations
        module.__class__ = type(module).__bases__[0]
    return module
