"""ContinuousBernoulli(probs= or logits=) on [0, 1] (``torch.distributions.ContinuousBernoulli``): density
proportional to p^x (1 - p)^(1 - x); near p = 1/2, where the closed forms divide 0 by 0, Taylor
expansions are used (inside ``lims``)."""

from __future__ import annotations

import math
from typing import Any

from ..creation import rand
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import constraints
from .bernoulli import BinaryParam, set_probs_or_logits
from .distribution import as_shape
from .utils import bce_with_logits, clamp_probs, lazy_property, logits_to_probs


class ContinuousBernoulli(BinaryParam):
    """The continuous relaxation of Bernoulli of Loaiza-Ganem and Cunningham (2019); reparameterized."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self,
        probs: Any = None,
        logits: Any = None,
        lims: tuple = (0.499, 0.501),
        validate_args: bool | None = None,
    ) -> None:
        batch = set_probs_or_logits(self, probs, logits)
        if probs is not None:
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ContinuousBernoulli:
        new = self._get_checked_instance(ContinuousBernoulli, _instance)
        shape = as_shape(batch_shape)
        new._lims = self._lims
        self._expand_param(new, shape)
        return self._finish_expand(new, shape)

    @lazy_property
    def probs(self) -> Tensor:
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _stable(self) -> Tensor:
        """Where p is far enough from 1/2 for the closed forms."""
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return self.probs.where(self._stable(), self._lims[0])

    def _cont_bern_log_norm(self) -> Tensor:
        """log C(p), C(p) = 2 atanh(1 - 2p) / (1 - 2p) the normalizing constant."""
        p = self._cut_probs()
        below = p.where(p <= 0.5, 0.0)
        above = p.where(p >= 0.5, 1.0)
        denom = (-2.0 * below).log1p().where(p <= 0.5, (2.0 * above - 1.0).log())
        log_norm = ((-p).log1p() - p.log()).abs().log() - denom
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return log_norm.where(self._stable(), taylor)

    @property
    def mean(self) -> Tensor:
        p = self._cut_probs()
        mus = p / (2.0 * p - 1.0) + 1.0 / ((-p).log1p() - p.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return mus.where(self._stable(), taylor)

    @property
    def variance(self) -> Tensor:
        p = self._cut_probs()
        v = p * (p - 1.0) / (1.0 - 2.0 * p).pow(2) + 1.0 / ((-p).log1p() - p.log()).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return v.where(self._stable(), taylor)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = rand(self._extended_shape(sample_shape), dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -bce_with_logits(self.logits, value) + self._cont_bern_log_norm()

    def cdf(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        cdfs = (p.pow(value) * (1.0 - p).pow(1.0 - value) + p - 1.0) / (2.0 * p - 1.0)
        inside = cdfs.where(self._stable(), value)
        return inside.where(value > 0.0, 0.0).where(value < 1.0, 1.0)

    def icdf(self, value: Any) -> Tensor:
        p = self._cut_probs()
        x = ((-p + value * (2.0 * p - 1.0)).log1p() - (-p).log1p()) / (p.log() - (-p).log1p())
        return x.where(self._stable(), value)

    def entropy(self) -> Tensor:
        log_p0, log_p1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_p0 - log_p1) - self._cont_bern_log_norm() - log_p0
