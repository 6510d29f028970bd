"""Torch-style functions (and their Tensor methods) for the extra elementwise math: inverse trig,
atan2, hypot, logaddexp, logit, xlogy, sinc, fmax/fmin, float_power, sign tests and their in-place forms.

Integer and bool inputs give default-float results (as PyTorch does for these ops); Python scalars are
accepted where a second tensor is, and become 0-d tensors of the result dtype.
"""

from __future__ import annotations

import math
from typing import Any

from . import dtypes
from .grad_mode import state as _grad_state
from .ops import device as D
from .ops import elementwise as E
from .ops import elementwise_math as M
from .ops.inplace import check_inplace, inplace_apply
from .tensor import Tensor, bump_version

_DEG = math.pi / 180.0


def _need_tensor(op: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor as input, got {type(x).__name__}")
    return x


def _floating(op: str, x: Any) -> Tensor:
    """``x`` as a floating tensor (ints and bools become the default float, as PyTorch)."""
    x = _need_tensor(op, x)
    return x if x._data.dtype.kind == "f" else D.to(x, dtypes.default_float)


def operands(op: str, a: Any, b: Any) -> tuple[Any, Any]:
    """Validate a binary op's operands: at least one Tensor, the other one on its device or a scalar."""
    from .methods import _other

    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(
                f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}"
            )
        return _other(op, b, a), b
    return a, _other(op, a, b)


def _pair(op: str, a: Any, b: Any, to_float: bool = True) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of PyTorch's result dtype (a float one when ``to_float``), same device."""
    from .creation import result_type, tensor

    a, b = operands(op, a, b)
    target = result_type(a, b).np
    if to_float and target.kind != "f":
        target = dtypes.default_float
    ref = a if isinstance(a, Tensor) else b

    def conv(t: Any) -> Tensor:
        if not isinstance(t, Tensor):
            return tensor(t, dtype=target, device=ref.device)
        return t if t._data.dtype == target else D.to(t, target)

    return conv(a), conv(b)


def _operand_for(op: str, self: Tensor, other: Any) -> Tensor:
    """The second operand of an in-place binary op, as a tensor of ``self``'s dtype when self is floating
    (the result is written in self's dtype anyway; integer self fails the cast check in inplace_apply)."""
    from .creation import tensor
    from .methods import _other

    o = _other(op, self, other)
    dt = self._data.dtype if self._data.dtype.kind == "f" else None
    if not isinstance(o, Tensor):
        return tensor(o, dtype=dt or dtypes.default_float, device=self.device)
    return D.to(o, dt) if dt is not None and o._data.dtype != dt else o


# ---- unary ---------------------------------------------------------------------------------------------


def _unary(cls: Any, name: str) -> tuple:
    def f(input: Tensor) -> Tensor:
        return cls.apply(_floating(name, input))

    def f_(self: Tensor) -> Tensor:
        return inplace_apply(self, cls)

    f.__name__, f_.__name__ = name, name + "_"
    f.__doc__ = f"Elementwise ``{name}`` (integer inputs give float results), like ``torch.{name}``."
    f_.__doc__ = f"In-place ``{name}``."
    return f, f_


asin, asin_ = _unary(M.Asin, "asin")
acos, acos_ = _unary(M.Acos, "acos")
atan, atan_ = _unary(M.Atan, "atan")
asinh, asinh_ = _unary(M.Asinh, "asinh")
acosh, acosh_ = _unary(M.Acosh, "acosh")
atanh, atanh_ = _unary(M.Atanh, "atanh")
sinc, sinc_ = _unary(M.Sinc, "sinc")
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps] (gradient 0 outside)."""
    return M.Logit.apply(_floating("logit", input), eps)


def logit_(self: Tensor, eps: float | None = None) -> Tensor:
    return inplace_apply(self, M.Logit, eps)


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians."""
    return _floating("deg2rad", input) * _DEG


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees."""
    return _floating("rad2deg", input) * (1.0 / _DEG)


def _scale_(op: str, self: Tensor, factor: float) -> Tensor:
    if self._data.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: result type Float can't be cast to the desired output type {self.dtype} "
            "(in-place needs a floating tensor)"
        )
    return inplace_apply(self, E.Mul, factor, fast=lambda d, o: d.__imul__(o))


def deg2rad_(self: Tensor) -> Tensor:
    return _scale_("deg2rad_", self, _DEG)


def rad2deg_(self: Tensor) -> Tensor:
    return _scale_("rad2deg_", self, 1.0 / _DEG)


# ---- binary --------------------------------------------------------------------------------------------


def _binary(cls: Any, name: str, to_float: bool = True) -> tuple:
    def f(input: Any, other: Any) -> Tensor:
        return cls.apply(*_pair(name, input, other, to_float))

    def f_(self: Tensor, other: Any) -> Tensor:
        return inplace_apply(self, cls, _operand_for(name + "_", self, other))

    f.__name__, f_.__name__ = name, name + "_"
    f.__doc__ = f"Elementwise ``{name}`` with broadcasting and PyTorch's dtype promotion."
    f_.__doc__ = f"In-place ``{name}``."
    return f, f_


atan2, atan2_ = _binary(M.Atan2, "atan2")
hypot, hypot_ = _binary(M.Hypot, "hypot")
xlogy, xlogy_ = _binary(M.Xlogy, "xlogy")
logaddexp, _ = _binary(M.Logaddexp, "logaddexp")
logaddexp2, _ = _binary(M.Logaddexp2, "logaddexp2")
fmax, _ = _binary(M.Fmax, "fmax", to_float=False)
fmin, _ = _binary(M.Fmin, "fmin", to_float=False)
arctan2, arctan2_ = atan2, atan2_


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """The Heaviside step (``values`` where input == 0); not differentiable, as in PyTorch."""
    x = _need_tensor("heaviside", input)
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside: expected values to be a Tensor, got {type(values).__name__}")
    if x._data.dtype != values._data.dtype:
        raise RuntimeError(
            f"heaviside: input and values must have the same dtype, got {x.dtype} and {values.dtype}"
        )
    return M.Heaviside.apply(x.detach(), values.detach())


def float_power(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` computed in float64 (the result is float64)."""
    if not isinstance(input, Tensor):
        e = _need_tensor("float_power", exponent)
        return float(input) ** D.to(e, dtypes.float64)
    if isinstance(exponent, Tensor):
        exponent = D.to(exponent, dtypes.float64)
    elif isinstance(exponent, bool | int | float):
        exponent = float(exponent)
    return D.to(input, dtypes.float64) ** exponent


def float_power_(self: Tensor, exponent: Any) -> Tensor:
    if self._data.dtype != dtypes.float64.np:
        raise RuntimeError(
            f"float_power_: the base given to float_power_ has dtype {self.dtype} but the operation's "
            "result requires dtype autograd.float64"
        )
    return inplace_apply(self, E.Pow, _operand_for("float_power_", self, exponent))


# ---- tests on values (no graph) --------------------------------------------------------------------------


def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (including -0.0)."""
    x = _need_tensor("signbit", input)
    return Tensor._make(x.backend.xp.signbit(x._data))


def isposinf(input: Tensor) -> Tensor:
    x = _need_tensor("isposinf", input)
    return Tensor._make(x._data == math.inf)


def isneginf(input: Tensor) -> Tensor:
    x = _need_tensor("isneginf", input)
    return Tensor._make(x._data == -math.inf)


def is_complex(input: Tensor) -> bool:
    """Always False: there are no complex dtypes here."""
    _need_tensor("is_complex", input)
    return False


# ---- in-place forms of existing composites --------------------------------------------------------------


def nan_to_num_(self: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None):
    """In-place ``nan_to_num`` (integer and bool tensors have nothing to replace)."""
    from .methods import _assign

    if self._data.dtype.kind != "f":
        return self
    return _assign(self, self.nan_to_num(nan, posinf, neginf))


def logical_not_(self: Tensor) -> Tensor:
    """In-place logical not: writes 1/0 (True/False) in self's dtype; no gradient."""
    if _grad_state.enabled:
        check_inplace(self, "logical_not_")
    self._data[...] = self.backend.xp.logical_not(self._data)
    bump_version(self)
    return self


# ---- installing the methods ------------------------------------------------------------------------------

METHODS = {
    "asin": asin,
    "acos": acos,
    "atan": atan,
    "asinh": asinh,
    "acosh": acosh,
    "atanh": atanh,
    "sinc": sinc,
    "logit": logit,
    "deg2rad": deg2rad,
    "rad2deg": rad2deg,
    "atan2": atan2,
    "hypot": hypot,
    "xlogy": xlogy,
    "logaddexp": logaddexp,
    "logaddexp2": logaddexp2,
    "fmax": fmax,
    "fmin": fmin,
    "heaviside": heaviside,
    "float_power": float_power,
    "signbit": signbit,
    "isposinf": isposinf,
    "isneginf": isneginf,
    "is_complex": is_complex,
    "asin_": asin_,
    "acos_": acos_,
    "atan_": atan_,
    "asinh_": asinh_,
    "acosh_": acosh_,
    "atanh_": atanh_,
    "sinc_": sinc_,
    "logit_": logit_,
    "deg2rad_": deg2rad_,
    "rad2deg_": rad2deg_,
    "atan2_": atan2_,
    "hypot_": hypot_,
    "xlogy_": xlogy_,
    "float_power_": float_power_,
    "nan_to_num_": nan_to_num_,
    "logical_not_": logical_not_,
}
ALIASES = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "arctan2": "atan2",
}


def install(T: type) -> None:
    """Attach the methods (and their arc* aliases, in-place ones included) to Tensor."""
    from .methods import floor_divide

    for name, fn in METHODS.items():
        setattr(T, name, fn)
    for alias, name in ALIASES.items():
        setattr(T, alias, METHODS[name])
        setattr(T, alias + "_", METHODS[name + "_"])
    T.floor_divide = lambda self, other: floor_divide(self, other)
    T.byte = lambda self: D.to(self, dtypes.uint8)
    T.char = lambda self: D.to(self, dtypes.int8)
    T.short = lambda self: D.to(self, dtypes.int16)
