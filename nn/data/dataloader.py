"""DataLoader: iterate a dataset in (shuffled) batches, collated into tensors.

With ``num_workers=0`` batches are loaded in the main process; with ``num_workers > 0`` worker processes,
each with its own copy of the dataset, fetch and collate them (see ``_multiprocessing`` and ``_worker``), as
torch.utils.data does. ``pin_memory`` is accepted and does nothing (batches are CPU tensors).
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._fetch import create_fetcher
from .collate import default_collate, default_convert
from .dataset import ConcatDataset, IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _randint


class DataLoader:
    """Batches from a dataset: ``batch_size``, ``shuffle`` (seeded by ``autograd.manual_seed``), ``drop_last``,
    custom ``sampler`` / ``batch_sampler`` / ``collate_fn``, ``num_workers`` loader processes; ``len()`` is the
    number of batches."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 to enable "
                "multiprocessing, otherwise set prefetch_factor to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.pin_memory = pin_memory  # accepted; batches are CPU tensors already
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = _mp_context(multiprocessing_context, num_workers)
        self.generator = generator
        self._iterator: Any = None  # the persistent workers' iterator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                    f"batch_sampler={batch_sampler}"
                )
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = (
                default_collate if batch_size is not None or batch_sampler is not None else default_convert
            )
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    @property
    def _index_sampler(self) -> Iterable:
        """What each fetch gets: index lists (auto-collation), single indices, or None for a stream."""
        if self._iterable:
            return itertools.repeat(None)
        return self.batch_sampler if self._auto_collation else self.sampler

    def _base_seed(self) -> int:
        """The workers' base seed, drawn each epoch from ``generator`` or the seeded CPU generator."""
        return _randint(2**63 - 1, 1, self.generator)[0]

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            self._base_seed()  # drawn as with workers, so a seeded shuffle gives the same order either way
            fetcher = create_fetcher(
                self.dataset,
                self._iterable,
                self._auto_collation,
                self.collate_fn,
                self.batch_size,
                self.drop_last,
            )
            return _SingleProcessIter(fetcher, iter(self._index_sampler), self._iterable, _length(self))
        from ._multiprocessing import MultiProcessingIter

        _check_cpu_dataset(self.dataset, self.num_workers)
        if not self.persistent_workers:
            return MultiProcessingIter(self)
        if self._iterator is None or self._iterator._shutdown:
            self._iterator = MultiProcessingIter(self)
        else:
            self._iterator._reset()
            self._iterator._length = _length(self)
        return self._iterator

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)


def _length(loader: DataLoader) -> int | None:
    """``len(loader)`` for the iterator's ``__len__``, or None when the dataset has no length."""
    try:
        return len(loader)
    except TypeError:
        return None


def iterator_len(length: int | None) -> int:
    """An epoch iterator's ``len()``: the loader's length when it started (as in PyTorch)."""
    if length is None:
        raise TypeError("this DataLoader's dataset has no len(), so neither has its iterator")
    return length


class _SingleProcessIter:
    """The batches of one epoch loaded in this process (``num_workers=0``). As in PyTorch, a batch whose loading
    raised is skipped: the next ``next()`` goes on with the following one. ``len()`` is the loader's."""

    __slots__ = ("_fetcher", "_indices", "_stream", "_length", "_ended")

    def __init__(self, fetcher: Any, indices: Iterator, stream: bool, length: int | None) -> None:
        self._fetcher, self._indices, self._stream, self._length = fetcher, indices, stream, length
        self._ended = False

    def __iter__(self) -> _SingleProcessIter:
        return self

    def __next__(self) -> Any:
        if self._ended:
            raise StopIteration
        index = next(self._indices)
        if not self._stream:
            return self._fetcher.fetch(index)
        try:
            return self._fetcher.fetch(index)
        except StopIteration:  # the IterableDataset's pass is over
            self._ended = True
            raise

    def __len__(self) -> int:
        return iterator_len(self._length)


def _mp_context(ctx: Any, num_workers: int) -> Any:
    """A multiprocessing context from a start-method name or context (None: the platform default)."""
    if ctx is None:
        return None
    if num_workers == 0:
        raise ValueError(
            "multiprocessing_context can only be used with multi-process loading (num_workers > 0), but got "
            f"num_workers={num_workers}"
        )
    if isinstance(ctx, str):
        methods = multiprocessing.get_all_start_methods()
        if ctx not in methods:
            raise ValueError(
                f"multiprocessing_context option should specify a valid start method in {methods!r}, but got "
                f"multiprocessing_context={ctx!r}"
            )
        ctx = multiprocessing.get_context(ctx)
    if not isinstance(ctx, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string specifying the start "
            f"method, but got multiprocessing_context={ctx}"
        )
    return ctx


def _check_cpu_dataset(dataset: Any, num_workers: int) -> None:
    """Refuse, before any worker starts, a TensorDataset (maybe inside Subset/ConcatDataset) holding CUDA tensors."""
    if isinstance(dataset, Subset):
        _check_cpu_dataset(dataset.dataset, num_workers)
    elif isinstance(dataset, ConcatDataset):
        for d in dataset.datasets:
            _check_cpu_dataset(d, num_workers)
    elif isinstance(dataset, TensorDataset):
        for t in dataset.tensors:
            if t.device.type != "cpu":
                raise RuntimeError(
                    f"DataLoader: num_workers={num_workers} with a TensorDataset holding tensors on {t.device}: "
                    "worker processes are CPU-only (CUDA cannot be used in a forked worker). Keep the dataset on "
                    "the CPU and move each batch to the device in the loop, or use num_workers=0."
                )
