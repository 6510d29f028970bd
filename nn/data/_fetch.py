"""Fetchers: turn one sampler item into one batch, in the main process or in a DataLoader worker."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from .collate import default_collate
from .dataset import TensorDataset


class MapFetcher:
    """Map-style: ``index`` is a list of indices (auto-collation) or one index."""

    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn

    def fetch(self, index: Any) -> Any:
        ds = self.dataset
        if not self.auto_collation:
            return self.collate_fn(ds[index])
        index = list(index)
        if self.collate_fn is default_collate and type(ds) is TensorDataset:
            return ds._get_batch(index)  # one gather per tensor instead of a stack of single rows
        getitems = getattr(ds, "__getitems__", None)
        samples = getitems(index) if getitems else [ds[i] for i in index]
        return self.collate_fn(samples)


class IterFetcher:
    """Iterable-style: each ``fetch`` takes the next sample (or ``batch_size`` samples) from one pass over the
    dataset; raises StopIteration once the pass is over."""

    def __init__(
        self,
        dataset: Any,
        auto_collation: bool,
        collate_fn: Callable,
        batch_size: int | None,
        drop_last: bool,
    ) -> None:
        self.it = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index: Any = None) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            try:
                return self.collate_fn(next(self.it))
            except StopIteration:
                self.ended = True
                raise
        batch = list(itertools.islice(self.it, self.batch_size))
        if len(batch) < self.batch_size:  # type: ignore[operator]
            self.ended = True
            if not batch or self.drop_last:
                raise StopIteration
        return self.collate_fn(batch)


def create_fetcher(
    dataset: Any,
    iterable: bool,
    auto_collation: bool,
    collate_fn: Callable,
    batch_size: int | None,
    drop_last: bool,
) -> MapFetcher | IterFetcher:
    """The fetcher for ``dataset``'s kind."""
    if iterable:
        return IterFetcher(dataset, auto_collation, collate_fn, batch_size, drop_last)
    return MapFetcher(dataset, auto_collation, collate_fn)
