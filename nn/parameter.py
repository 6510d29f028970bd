"""Parameter: a Tensor that a Module registers as a learnable weight."""

from __future__ import annotations

from typing import Any

from autograd import Tensor
from autograd.tensor import _init


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is registered when assigned to a Module."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        import autograd

        if data is None:
            data = autograd.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: expected a Tensor, got {type(data).__name__}")
        p = object.__new__(cls)
        _init(p, data._data)
        p._vc = data._vc
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        p = Parameter(Tensor._make(self._data.copy()), self.requires_grad)
        if self.grad is not None:
            p.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = p
        return p

    def __reduce_ex__(self, protocol: Any):
        raise TypeError("Parameters are not pickled (DESIGN: Safety); save a state_dict with nn.save instead")


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module (``nn.Buffer``)."""

    __slots__ = ()

    def __new__(cls, data: Tensor, persistent: bool = True) -> Buffer:
        b = object.__new__(cls)
        _init(b, data._data)
        b._ext()["persistent"] = persistent
        return b

    def __init__(self, data: Tensor, persistent: bool = True) -> None:
        pass
