"""MixtureSameFamily (``torch.distributions.MixtureSameFamily``): a Categorical choosing among the last
batch dim of one component distribution (Gaussian mixtures and the like)."""

from __future__ import annotations

from typing import Any

from ..grad_mode import no_grad
from ..tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution, as_shape


class MixtureSameFamily(Distribution):
    """p(x) = sum_k pi_k p_k(x): ``mixture_distribution`` gives pi, ``component_distribution``'s last batch
    dim indexes the components."""

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(
        self,
        mixture_distribution: Categorical,
        component_distribution: Distribution,
        validate_args: bool | None = None,
    ) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(
                " The Mixture distribution needs to be an  instance of torch.distributions.Categorical"
            )
        if not isinstance(component_distribution, Distribution):
            raise ValueError(
                "The Component distribution need to be an instance of torch.distributions.Distribution"
            )
        mdbs = tuple(mixture_distribution.batch_shape)
        cdbs = tuple(component_distribution.batch_shape[:-1])
        for a, b in zip(reversed(mdbs), reversed(cdbs)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(
                    f"`mixture_distribution.batch_shape` ({mdbs}) is not compatible with "
                    f"`component_distribution.batch_shape`({cdbs})"
                )
        km = mixture_distribution.logits.shape[-1]
        kc = component_distribution.batch_shape[-1] if component_distribution.batch_shape else None
        if km != kc:
            raise ValueError(
                f"`mixture_distribution component` ({km}) does not equal "
                f"`component_distribution.batch_shape[-1]` ({kc})"
            )
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = km
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(cdbs, component_distribution.event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MixtureSameFamily:
        shape = as_shape(batch_shape)
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        new._component_distribution = self._component_distribution.expand(shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(shape)
        new._num_component = self._num_component
        new._event_ndims = self._event_ndims
        return self._finish_expand(new, shape, self.event_shape)

    @property
    def support(self) -> Any:
        return self._component_distribution.support

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    def _pad(self, x: Tensor) -> Tensor:
        return x.unsqueeze(-1 - self._event_ndims)

    def _pad_mixture_dimensions(self, x: Tensor) -> Tensor:
        n_cat = len(self._mixture_distribution.batch_shape)
        pad = 0 if n_cat == 1 else len(self._batch_shape) - n_cat
        xs = tuple(x.shape)
        return x.reshape(xs[:-1] + (1,) * pad + xs[-1:] + (1,) * self._event_ndims)

    @property
    def mean(self) -> Tensor:
        probs = self._pad_mixture_dimensions(self._mixture_distribution.probs)
        return (probs * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        probs = self._pad_mixture_dimensions(self._mixture_distribution.probs)
        axis = -1 - self._event_ndims
        comp = self._component_distribution
        within = (probs * comp.variance).sum(axis)
        between = (probs * (comp.mean - self._pad(self.mean)).pow(2)).sum(axis)
        return within + between

    def cdf(self, x: Any) -> Tensor:
        cdf_x = self._component_distribution.cdf(self._pad(x))
        return (cdf_x * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(x)
        lp = self._component_distribution.log_prob(self._pad(x))
        log_mix = self._mixture_distribution.logits.log_softmax(-1)
        return (lp + log_mix).logsumexp(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = as_shape(sample_shape)
        with no_grad():
            gather_dim = len(shape) + len(self._batch_shape)
            es = tuple(self._event_shape)
            mix = self._mixture_distribution.sample(shape)
            comp = self._component_distribution.sample(shape)  # sample + batch + (K,) + event
            # the chosen index, its batch dims aligned to the right of the mixture's (broadcast, unlike torch)
            mix_batch = tuple(self._mixture_distribution.batch_shape)
            pad = (1,) * (len(self._batch_shape) - len(mix_batch))
            idx = mix.reshape(shape + pad + mix_batch + (1,) * (len(es) + 1))
            idx = idx.expand(shape + self._batch_shape + (1,) + es)
            return comp.gather(gather_dim, idx).squeeze(gather_dim)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(\n  {self._mixture_distribution!r},\n  {self._component_distribution!r})"
