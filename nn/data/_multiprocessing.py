"""The DataLoader iterator that loads batches in worker processes (``num_workers > 0``).

The main process walks the sampler and sends each batch's indices to the workers in turn (at most
``prefetch_factor`` tasks per worker in flight); workers fetch and collate, and the batches are handed out in
sampler order (``in_order=True``) or as they arrive.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import time
import weakref
from typing import Any

from . import _worker
from ._codec import decode
from .dataloader import _length, iterator_len

JOIN_TIMEOUT = 5.0  # seconds a worker gets to exit on shutdown before it is terminated


class _Pool:
    """The worker processes and queues of one iterator, and their shutdown. Kept apart from the iterator so
    that a ``weakref.finalize`` on the iterator can stop them: it runs before the garbage collector finalizes
    anything of a reference cycle the iterator is in (a caught exception's traceback, say), while every pipe
    is still open; a ``__del__`` could run after the queues' own connections were closed."""

    def __init__(self, ctx: Any) -> None:
        self.owner = os.getpid()  # a forked copy (in a worker) must not stop our workers
        self.result_queue = ctx.Queue()
        self.done_event = ctx.Event()
        self.index_queues: list = []
        self.workers: list = []
        self.down = False

    def shutdown(self, grace: float = JOIN_TIMEOUT) -> None:
        """Stop every worker (asking first, then terminating after ``grace`` seconds) and close the queues."""
        if self.down or os.getpid() != self.owner:
            return
        self.down = True
        self.done_event.set()
        for q in self.index_queues:
            q.put(None)
        deadline = time.monotonic() + grace
        for w in self.workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
                if w.is_alive():
                    w.kill()
                    w.join()
        for q in (*self.index_queues, self.result_queue):
            q.cancel_join_thread()
            q.close()


class MultiProcessingIter:
    """Owns the worker processes and queues of one DataLoader iteration (or of all, with persistent workers)."""

    def __init__(self, loader: Any) -> None:
        self._iterable = loader._iterable
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._prefetch = max(1, loader.prefetch_factor * loader.num_workers)
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._length = _length(loader)
        self._epoch = 0
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        base_seed = loader._base_seed()
        fetch_args = (
            self._iterable,
            loader._auto_collation,
            loader.collate_fn,
            loader.batch_size,
            loader.drop_last,
        )
        self._pool = pool = _Pool(ctx)
        weakref.finalize(self, pool.shutdown)  # when the iterator goes (or at exit): stop the workers
        self._result_queue, self._done_event = pool.result_queue, pool.done_event
        self._index_queues, self._workers = pool.index_queues, pool.workers
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                w = ctx.Process(
                    target=_worker.worker_loop,
                    args=(
                        loader.dataset,  # forked workers inherit it; spawned ones get it with Tensors as arrays
                        index_queue,
                        self._result_queue,
                        self._done_event,
                        fetch_args,
                        base_seed,
                        loader.worker_init_fn,
                        i,
                        self._num_workers,
                    ),
                    daemon=True,
                )
                w.start()
                self._index_queues.append(index_queue)
                self._workers.append(w)
        except BaseException:
            self._shutdown_workers(grace=0)
            raise
        self._reset(first=True)

    def _reset(self, first: bool = False) -> None:
        """Start an epoch: a fresh pass over the sampler; persistent workers restart their dataset stream."""
        self._sampler_iter = iter(self._index_sampler)
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_info: dict[int, list] = {}  # send index -> [worker id] or [worker id, result]
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first:
            self._epoch += 1  # results still in flight from an earlier epoch are dropped
            if self._iterable:
                for q in self._index_queues:
                    q.put(("resume",))
        for _ in range(self._prefetch):
            self._try_put_index()

    def __iter__(self) -> MultiProcessingIter:
        return self

    def __len__(self) -> int:
        return iterator_len(self._length)

    def _try_put_index(self) -> None:
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[wid].put(("fetch", self._epoch, self._send_idx, index))
        self._task_info[self._send_idx] = [wid]
        self._send_idx += 1

    def __next__(self) -> Any:
        if self._shutdown:
            raise StopIteration
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)  # handed out already, or its worker's stream ended
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            idx, data = self._get_data()
            if data[0] == "done":
                wid = data[1]
                self._active[wid] = False
                if not self._persistent:
                    self._index_queues[wid].put(None)
                self._try_put_index()
                continue
            if idx == self._rcvd_idx or not self._in_order:
                del self._task_info[idx]
                return self._process(data)
            self._task_info[idx].append(data)

    def _get_data(self) -> tuple[int, Any]:
        """The next result of this epoch, checking while waiting that the workers live and time is left."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _worker.STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                epoch, idx, data = self._result_queue.get(timeout=wait)
            except queue.Empty:
                dead = [w for i, w in enumerate(self._workers) if self._active[i] and not w.is_alive()]
                if dead:
                    self._shutdown_workers(grace=0)
                    pids = ", ".join(f"{w.pid} (exit code {w.exitcode})" for w in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None
                if deadline is not None and time.monotonic() >= deadline:
                    self._shutdown_workers(grace=0)
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                continue
            if epoch == self._epoch:
                return idx, data

    def _process(self, data: Any) -> Any:
        self._try_put_index()
        if data[0] == "error":  # raised here; the workers carry on, so next() goes on with the next batch
            _worker.reraise(data)
        return decode(data[1])

    @property
    def _shutdown(self) -> bool:
        return self._pool.down

    def _shutdown_workers(self, grace: float = JOIN_TIMEOUT) -> None:
        self._pool.shutdown(grace)
