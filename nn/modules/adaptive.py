"""AdaptiveLogSoftmaxWithLoss: the efficient softmax for many classes of Grave et al. (PyTorch's module).

Classes are split by ``cutoffs`` into a frequent shortlist and tail clusters. The head scores the shortlist
plus one entry per cluster; each cluster has its own small two-layer projection (its hidden size shrinks by
``div_value`` per cluster). log p(class) = head log-prob of the class (shortlist) or of its cluster, plus
the log-prob of the class within its cluster. Parameter names and shapes are PyTorch's (``head``,
``tail.i.0``, ``tail.i.1``), so a PyTorch state dict loads one to one.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import autograd as A
from autograd import Tensor

from .._functional.activation import log_softmax
from ..module import Module
from .container import ModuleList, Sequential
from .linear import Linear

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """``forward(input, target)`` gives (per-sample target log-probabilities, mean negative log-likelihood);
    ``log_prob(input)`` the full (N, n_classes) log-probabilities; ``predict(input)`` the most likely class."""

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Any,
        div_value: float = 4.0,
        head_bias: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if not cutoffs:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (
            cutoffs != sorted(cutoffs)
            or min(cutoffs) <= 0
            or max(cutoffs) > n_classes - 1
            or len(set(cutoffs)) != len(cutoffs)
            or any(int(c) != c for c in cutoffs)
        ):
            raise ValueError(
                "cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where "
                f"each value is between 1 and n_classes-1 (got cutoffs={cutoffs}, n_classes={n_classes})"
            )
        self.in_features, self.n_classes, self.div_value, self.head_bias = (
            in_features,
            n_classes,
            div_value,
            head_bias,
        )
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        kw = {"device": device, "dtype": dtype}
        self.head = Linear(in_features, self.head_size, bias=head_bias, **kw)
        self.tail = ModuleList(
            Sequential(
                Linear(in_features, int(in_features // div_value ** (i + 1)), bias=False, **kw),
                Linear(int(in_features // div_value ** (i + 1)), hi - lo, bias=False, **kw),
            )
            for i, (lo, hi) in enumerate(zip(self.cutoffs, self.cutoffs[1:]))
        )

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for proj in self.tail:
            for layer in proj:
                layer.reset_parameters()

    def forward(self, input: Tensor, target: Tensor) -> _ASMoutput:
        if target.ndim == 1:
            if input.shape[0] != target.shape[0]:
                raise RuntimeError(
                    "AdaptiveLogSoftmaxWithLoss: input and target should have the same size in the batch "
                    f"dimension, got input {tuple(input.shape)} and target {tuple(target.shape)}"
                )
            if input.ndim != 2:
                raise RuntimeError(
                    f"AdaptiveLogSoftmaxWithLoss: a 1-D target expects a 2-D input, got input {tuple(input.shape)}"
                )
        elif target.ndim == 0:
            if input.ndim != 1:
                raise RuntimeError(
                    f"AdaptiveLogSoftmaxWithLoss: a 0-D target expects a 1-D input, got input {tuple(input.shape)}"
                )
        else:
            raise RuntimeError(
                f"AdaptiveLogSoftmaxWithLoss: 0-D or 1-D target expected, multi-target not supported (got target "
                f"of shape {tuple(target.shape)})"
            )
        batched = target.ndim == 1
        x = input if batched else input.unsqueeze(0)
        t = target if batched else target.unsqueeze(0)
        td = t._data
        if td.size and bool((td.min() < 0) | (td.max() >= self.n_classes)):
            raise RuntimeError(
                f"AdaptiveLogSoftmaxWithLoss: target values should be in [0, {self.n_classes - 1}], but values in "
                f"range [{int(td.min())}, {int(td.max())}] were found"
            )
        xp = x.backend.xp
        head_col = td.copy()  # the head entry each sample's log-prob starts from: its class, or its cluster
        within = []  # (rows, log-prob within the cluster) for the samples of each tail cluster
        for i, (lo, hi) in enumerate(zip(self.cutoffs, self.cutoffs[1:])):
            rows = xp.nonzero((td >= lo) & (td < hi))[0]
            if not rows.size:
                continue
            head_col[rows] = self.shortlist_size + i
            r = Tensor._make(rows)
            local = log_softmax(self.tail[i](x.index_select(0, r)), 1)
            rel = Tensor._make((td[rows] - lo).reshape(-1, 1))
            within.append((r, local.gather(1, rel).reshape(-1)))
        head_lp = log_softmax(self.head(x), 1)
        output = head_lp.gather(1, Tensor._make(head_col.reshape(-1, 1))).reshape(-1)
        for r, lp in within:
            output = output.index_add(0, r, lp)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _full_log_prob(self, x: Tensor, head_out: Tensor) -> Tensor:
        head_lp = log_softmax(head_out, 1)
        parts = [head_lp[:, : self.shortlist_size]]
        for i, proj in enumerate(self.tail):
            parts.append(log_softmax(proj(x), 1) + head_lp[:, self.shortlist_size + i].unsqueeze(1))
        return A.cat(parts, 1)

    def log_prob(self, input: Tensor) -> Tensor:
        """log p(class | input) for every class: (N, n_classes), or (n_classes,) for a 1-D input."""
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        out = self._full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input: Tensor) -> Tensor:
        """The most likely class of each row (only the rows whose best head entry is a cluster need the tail)."""
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        head_out = self.head(x)
        best = head_out.argmax(1)
        tail_rows = best._data >= self.shortlist_size
        if bool(tail_rows.any()):
            r = Tensor._make(x.backend.xp.nonzero(tail_rows)[0])
            full = self._full_log_prob(x.index_select(0, r), head_out.index_select(0, r)).argmax(1)
            best = best.index_copy(0, r, full)
        return best if batched else best.squeeze(0)
