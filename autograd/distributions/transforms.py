"""Invertible elementwise transforms for TransformedDistribution (``torch.distributions.transforms``):
ExpTransform, AffineTransform, SigmoidTransform, TanhTransform, AbsTransform, StickBreakingTransform and
their composition."""

from __future__ import annotations

import math
from typing import Any

from ..tensor import Tensor
from . import constraints


class Transform:
    """y = f(x) with its inverse and log|det J|; ``event_dim`` 0: elementwise."""

    bijective = True
    domain: constraints.Constraint = constraints.real
    codomain: constraints.Constraint = constraints.real
    sign = 1

    @property
    def event_dim(self) -> int:
        return max(self.domain.event_dim, self.codomain.event_dim)

    def __call__(self, x: Tensor) -> Tensor:
        return self._call(x)

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError

    @property
    def inv(self) -> Transform:
        return _InverseTransform(self)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError

    def forward_shape(self, shape: tuple) -> tuple:
        return shape

    def inverse_shape(self, shape: tuple) -> tuple:
        return shape

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return self.__class__.__name__ + "()"


class _InverseTransform(Transform):
    def __init__(self, base: Transform) -> None:
        self._inv = base
        self.domain, self.codomain, self.sign = base.codomain, base.domain, base.sign

    @property
    def inv(self) -> Transform:
        return self._inv

    def _call(self, x: Tensor) -> Tensor:
        return self._inv._inverse(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self._inv._call(y)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -self._inv.log_abs_det_jacobian(y, x)

    def forward_shape(self, shape: tuple) -> tuple:
        return self._inv.inverse_shape(shape)

    def inverse_shape(self, shape: tuple) -> tuple:
        return self._inv.forward_shape(shape)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._inv == other._inv

    __hash__ = Transform.__hash__


class ExpTransform(Transform):
    """y = exp(x)."""

    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return x


class SigmoidTransform(Transform):
    """y = sigmoid(x), onto (0, 1)."""

    codomain = constraints.unit_interval

    def _call(self, x: Tensor) -> Tensor:
        return x.sigmoid()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log() - (-y).log1p()

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return -(-x).softplus() - x.softplus()


class TanhTransform(Transform):
    """y = tanh(x), onto (-1, 1) (squashed Gaussian policies)."""

    codomain = constraints.interval(-1.0, 1.0)

    def _call(self, x: Tensor) -> Tensor:
        return x.tanh()

    def _inverse(self, y: Tensor) -> Tensor:
        return 0.5 * (y.log1p() - (-y).log1p())

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        return 2.0 * (math.log(2.0) - x - (-2.0 * x).softplus())  # log(1 - tanh^2), stable


class AbsTransform(Transform):
    """y = |x| (not bijective: the inverse picks the non-negative root; HalfNormal, HalfCauchy)."""

    bijective = False
    codomain = constraints.positive

    def _call(self, x: Tensor) -> Tensor:
        return x.abs()

    def _inverse(self, y: Tensor) -> Tensor:
        return y


class AffineTransform(Transform):
    """y = loc + scale * x (elementwise; ``event_dim`` > 0 sums the log-det over those dims)."""

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0) -> None:
        self.loc, self.scale, self._event_dim = loc, scale, event_dim

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self._event_dim

    @property
    def sign(self) -> Any:  # type: ignore[override]
        return self.scale.sign() if isinstance(self.scale, Tensor) else (1 if self.scale > 0 else -1)

    def _call(self, x: Tensor) -> Tensor:
        return self.loc + self.scale * x

    def _inverse(self, y: Tensor) -> Tensor:
        return (y - self.loc) / self.scale

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        scale = self.scale
        if isinstance(scale, Tensor):
            out = scale.abs().log().expand(x.shape)
        else:
            out = x.new_zeros(x.shape) + math.log(abs(scale))
        if self._event_dim:
            out = out.reshape(tuple(out.shape[: out.ndim - self._event_dim]) + (-1,)).sum(-1)
        return out

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__


class StickBreakingTransform(Transform):
    """R^K onto the (K+1)-simplex by stick breaking: piece i takes sigmoid(x_i - log(K - i)) of what is left,
    so x = 0 maps to the uniform point (LogisticNormal)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    @staticmethod
    def _log_offset(x: Tensor) -> Tensor:
        k = x.shape[-1]
        return (k + 1 - x.new_ones(k).cumsum(-1)).log()  # log(K), log(K - 1), ..., log(1)

    def _call(self, x: Tensor) -> Tensor:
        from ..ops.shape import cat

        z = (x - self._log_offset(x)).sigmoid()
        ones = x.new_ones(tuple(x.shape[:-1]) + (1,))
        left = cat([ones, (1 - z).cumprod(-1)], -1)  # the stick remaining before each piece
        return cat([z, ones], -1) * left

    def _inverse(self, y: Tensor) -> Tensor:
        head = y[..., :-1]
        rest = (1 - head.cumsum(-1)).clamp(min=float(y.backend.xp.finfo(y._data.dtype).tiny))
        return head.log() - rest.log() + self._log_offset(head)

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        u = x - self._log_offset(x)
        return (-u - (-u).softplus() + y[..., :-1].log()).sum(-1)  # log sigmoid(u) = -softplus(-u)

    def forward_shape(self, shape: tuple) -> tuple:
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape: tuple) -> tuple:
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class ComposeTransform(Transform):
    """Apply ``parts`` in order."""

    def __init__(self, parts: list) -> None:
        self.parts = list(parts)

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return max((p.event_dim for p in self.parts), default=0)

    def _call(self, x: Tensor) -> Tensor:
        for p in self.parts:
            x = p(x)
        return x

    def _inverse(self, y: Tensor) -> Tensor:
        for p in reversed(self.parts):
            y = p.inv(y)
        return y

    def forward_shape(self, shape: tuple) -> tuple:
        for p in self.parts:
            shape = p.forward_shape(shape)
        return shape

    def inverse_shape(self, shape: tuple) -> tuple:
        for p in reversed(self.parts):
            shape = p.inverse_shape(shape)
        return shape

    def log_abs_det_jacobian(self, x: Tensor, y: Tensor) -> Tensor:
        total: Any = 0
        for p in self.parts:
            nxt = p(x)
            total = total + p.log_abs_det_jacobian(x, nxt)
            x = nxt
        return total

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__


exp_transform = ExpTransform()
identity_transform = ComposeTransform([])
