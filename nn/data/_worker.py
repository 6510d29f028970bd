"""DataLoader worker processes: ``get_worker_info``, the worker loop, and how batches and errors cross the
process boundary.

Batches travel as data-only bytes (``_codec``: JSON plus raw array bytes, never a pickle) and errors as their
type's name and traceback text, so the main process runs no code from a worker (DESIGN: Safety). A spawned
worker gets the dataset through multiprocessing's own pickling, with Tensors reduced to NumPy arrays.
Workers are CPU-only: a CUDA tensor in a batch is an error.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from collections.abc import Callable
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

import autograd
import backends
from autograd import Tensor

from ..parameter import Parameter
from ._codec import _check_tensor, lookup
from ._codec import encode as _encode
from ._fetch import create_fetcher

STATUS_CHECK_INTERVAL = 1.0  # seconds between liveness checks while a queue is empty (both sides)


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and its copy of ``dataset``."""

    __initialized = False

    def __init__(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key: str, val: Any) -> None:
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's WorkerInfo inside a DataLoader worker process; None in the main process."""
    return _worker_info


# ---- crossing the process boundary -------------------------------------------------------------------


def _rebuild_tensor(arr: np.ndarray, requires_grad: bool, is_param: bool) -> Tensor:
    t = autograd.from_numpy(arr)
    if is_param:
        return Parameter(t, requires_grad)
    return t.requires_grad_(True) if requires_grad else t


def _reduce_tensor(t: Tensor) -> tuple:
    """How multiprocessing sends a Tensor to a spawned worker: its array (a dataset's data has no graph)."""
    _check_tensor(t)
    return _rebuild_tensor, (t.detach().numpy(), t.requires_grad, isinstance(t, Parameter))


for _cls in (Tensor, Parameter):
    ForkingPickler.register(_cls, _reduce_tensor)


class _KeyErrorMessage(str):
    def __repr__(self) -> str:  # KeyError shows repr(arg): keep the traceback's line breaks readable
        return self


def error_message(where: str) -> tuple:
    """The exception being handled, as a message of strings: ("error", module, qualname, where, traceback)."""
    exc_type, exc, _ = sys.exc_info()
    text = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__ if exc else None))
    cls = exc_type or Exception
    return ("error", cls.__module__, cls.__qualname__, where, text)


def _exception_class(module: str, qualname: str) -> type:
    """The exception class by name (RuntimeError when the main process has no such class, e.g. one defined
    inside a function)."""
    cls = lookup(module, qualname)
    return cls if cls is not None and issubclass(cls, BaseException) else RuntimeError


def reraise(message: tuple) -> None:
    """Raise, in the main process, the worker error that ``error_message`` described."""
    _, module, qualname, where, text = message
    msg = f"Caught {qualname.rsplit('.', 1)[-1]} {where}.\nOriginal {text}"
    cls = _exception_class(module, qualname)
    if cls is KeyError:
        msg = _KeyErrorMessage(msg)
    try:
        exc = cls(msg)
    except Exception:
        raise RuntimeError(msg) from None
    raise exc


def _seed_worker(seed: int) -> None:
    """Seed our CPU generator, NumPy's global one and ``random`` (the worker never touches CUDA)."""
    random.seed(seed)
    backends.cpu.manual_seed(seed)
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))


def worker_loop(
    dataset: Any,
    index_queue: Any,
    result_queue: Any,
    done_event: Any,
    fetch_args: tuple,
    base_seed: int,
    init_fn: Callable | None,
    worker_id: int,
    num_workers: int,
) -> None:
    """Fetch the batches the main process asks for until it sends None (or dies)."""
    global _worker_info
    parent = os.getppid()
    try:
        seed = base_seed + worker_id
        _seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error: tuple | None = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(dataset, *fetch_args)
        except Exception:
            init_error = error_message(where)
        ended = False
        while os.getppid() == parent:
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if task is None:
                break
            if task[0] == "resume":  # a persistent worker's next epoch over an IterableDataset
                ended = False
                try:
                    fetcher = create_fetcher(dataset, *fetch_args)
                except Exception:
                    init_error = error_message(where)
                continue
            if done_event.is_set() or ended:
                continue
            _, epoch, idx, index = task
            if init_error is not None:
                message: tuple = init_error
                init_error = None
            else:
                try:
                    message = ("batch", _encode(fetcher.fetch(index)))  # type: ignore[union-attr]
                except StopIteration:
                    if not fetch_args[0]:
                        message = error_message(where)
                    else:
                        message, ended = ("done", worker_id), True
                except Exception:
                    message = error_message(where)
            result_queue.put((epoch, idx, message))
            del message
    except KeyboardInterrupt:  # Ctrl-C reached the process group: the main process stops reading too
        result_queue.cancel_join_thread()
    if done_event.is_set():
        result_queue.cancel_join_thread()  # nobody reads any more: exit without flushing
        result_queue.close()
