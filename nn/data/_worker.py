"""DataLoader worker processes: ``get_worker_info``, the worker loop, and how batches and errors cross the
process boundary.

Batches travel as pickled bytes in which every Tensor is reduced to its NumPy array (no graph state) and
rebuilt as a CPU Tensor in the main process. This pickling is in-memory IPC between our own processes, never
a file (DESIGN: Safety). Workers are CPU-only: a CUDA tensor in a batch is an error.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import random
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
import backends
from autograd import Tensor

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


def _rebuild_tensor(arr: np.ndarray, requires_grad: bool, cls: type) -> Tensor:
    t = autograd.from_numpy(arr)
    if cls is not Tensor:
        t.__class__ = cls
    if requires_grad:
        t.requires_grad_(True)
    return t


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if not isinstance(obj, Tensor):
            return NotImplemented
        if obj.device.type != "cpu":
            raise RuntimeError(
                f"DataLoader worker: the batch holds a tensor on {obj.device}, but worker processes are CPU-only "
                "(CUDA cannot be used in a forked worker). Return CPU tensors from the dataset and move each batch "
                f"with .to('{obj.device}') in the main process."
            )
        if obj.requires_grad and obj.grad_fn is not None:
            raise RuntimeError(
                "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not "
                "support crossing process boundaries.  If you just want to transfer the data, call detach() on "
                "the tensor before serializing (e.g., putting it on the queue)."
            )
        return _rebuild_tensor, (obj.detach().numpy(), obj.requires_grad, type(obj))


def dumps(obj: Any) -> bytes:
    """Pickle ``obj`` for another of our processes, Tensors as NumPy arrays."""
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    """Rebuild what ``dumps`` sent (Tensors come back as CPU tensors)."""
    return pickle.loads(data)


class _KeyErrorMessage(str):
    def __repr__(self) -> str:  # KeyError shows repr(arg): keep the traceback's line breaks readable
        return self


class WorkerError:
    """An exception caught in a worker, carried to the main process as its type and traceback text."""

    def __init__(self, where: str) -> None:
        exc_type, exc, _ = sys.exc_info()
        self.type_name = exc_type.__name__ if exc_type else "Exception"
        try:
            pickle.dumps(exc_type)
            self.exc_type = exc_type
        except Exception:  # a type the main process could not import: raise it as RuntimeError
            self.exc_type = RuntimeError
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__ if exc else None))

    def reraise(self) -> None:
        msg = f"Caught {self.type_name} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class WorkerDone:
    """A worker's IterableDataset copy is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


def _seed_worker(seed: int) -> None:
    """Seed our CPU generator, NumPy's global one and ``random`` (the worker never touches CUDA)."""
    random.seed(seed)
    backends.cpu.manual_seed(seed)
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))


def worker_loop(
    dataset: Any,
    dataset_bytes: bytes | None,
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
        if dataset_bytes is not None:
            dataset = loads(dataset_bytes)
        seed = base_seed + worker_id
        _seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_error: WorkerError | None = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(dataset, *fetch_args)
        except Exception:
            init_error = WorkerError(where)
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
                    init_error = WorkerError(where)
                continue
            if done_event.is_set() or ended:
                continue
            _, epoch, idx, index = task
            if init_error is not None:
                data: Any = init_error
                init_error = None
            else:
                try:
                    data = dumps(fetcher.fetch(index))  # type: ignore[union-attr]
                except StopIteration:
                    if not fetch_args[0]:
                        data = WorkerError(where)
                    else:
                        data, ended = WorkerDone(worker_id), True
                except Exception:
                    data = WorkerError(where)
            result_queue.put((epoch, idx, data))
            del data
    except KeyboardInterrupt:  # Ctrl-C reached the process group: the main process stops reading too
        result_queue.cancel_join_thread()
    if done_event.is_set():
        result_queue.cancel_join_thread()  # nobody reads any more: exit without flushing
        result_queue.close()
