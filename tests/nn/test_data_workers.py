"""nn.data.DataLoader with worker processes: same batches as num_workers=0, seeding, worker_init_fn,
get_worker_info sharding, errors from workers, timeout, and no worker process left behind."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import random
import struct
import time
from collections import namedtuple
from functools import partial

import numpy as np
import pytest

import autograd as A
import nn
from nn.data import DataLoader, Dataset, IterableDataset, TensorDataset, _worker, get_worker_info


def _no_children() -> bool:
    """True once every worker process this test started has exited (polls briefly: exit takes a moment)."""
    for _ in range(50):
        if not multiprocessing.active_children():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(autouse=True)
def _no_leftover_workers():
    yield
    gc.collect()  # an iterator kept alive by a caught exception's traceback stops its workers when collected
    assert _no_children(), f"worker processes left running: {multiprocessing.active_children()}"


def _tensor_ds(n=10):
    return TensorDataset(A.arange(n * 2).reshape(n, 2).float(), A.arange(n))


class Squares(Dataset):
    def __init__(self, n=9):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": A.tensor([float(i), -float(i)]), "sq": i * i, "name": f"s{i}"}


class Who(Dataset):
    """Each sample says which worker made it, with that worker's seed, random draws and init-fn tag."""

    def __init__(self, n=8):
        self.n = n
        self.tag = -1

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        return {
            "i": i,
            "worker": info.id,
            "seed": info.seed,
            "tag": info.dataset.tag,
            "rand": (random.random(), float(np.random.rand()), A.rand(1).item()),
        }


def _fail(exc):
    raise exc


class Scripted(Dataset):
    """Samples 0..n-1, where fetching sample i first runs ``actions[i]`` (sleep, raise, exit the worker)."""

    def __init__(self, n, actions):
        self.n, self.actions = n, actions

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i in self.actions:
            self.actions[i]()
        return i


def _first_slow():
    return Scripted(4, {0: partial(time.sleep, 0.5)})


class Stream(IterableDataset):
    """0..n-1; shards itself over the workers when ``shard`` is set."""

    def __init__(self, n=10, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if not self.shard or info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def _tag_worker(worker_id):
    get_worker_info().dataset.tag = 100 + worker_id


def _values(batches):
    return [[t.tolist() for t in b] if isinstance(b, list) else b.tolist() for b in batches]


def test_same_batches_as_main_process():
    ds = _tensor_ds(10)
    for kw in (
        dict(batch_size=3),
        dict(batch_size=3, drop_last=True),
        dict(batch_size=4, shuffle=True),
        dict(batch_size=None),
        dict(batch_sampler=[[9, 0], [5], [1, 2, 3]]),
    ):
        A.manual_seed(7)
        want = _values(DataLoader(ds, **kw))
        A.manual_seed(7)
        dl = DataLoader(ds, num_workers=2, **kw)
        got = _values(dl)
        assert got == want, kw
        assert len(dl) == len(got)
    dicts = list(DataLoader(Squares(), batch_size=4, num_workers=2, prefetch_factor=1))
    assert [d["sq"].tolist() for d in dicts] == [[0, 1, 4, 9], [16, 25, 36, 49], [64]]
    assert dicts[1]["name"] == ["s4", "s5", "s6", "s7"] and isinstance(dicts[0]["x"], A.Tensor)
    assert dicts[2]["x"].tolist() == [[8.0, -8.0]] and dicts[2]["x"].dtype == A.float32
    assert [b.tolist() for b in DataLoader(_first_slow(), batch_size=1, num_workers=2)] == [
        [0],
        [1],
        [2],
        [3],
    ]
    unordered = [b.item() for b in DataLoader(_first_slow(), batch_size=1, num_workers=2, in_order=False)]
    assert sorted(unordered) == [0, 1, 2, 3] and unordered[0] == 1  # worker 1 is done first


def test_generator_and_iterating_twice():
    ds = _tensor_ds(12)
    dl = DataLoader(ds, batch_size=5, shuffle=True, num_workers=2, generator=np.random.default_rng(3))
    first, second = _values(dl), _values(dl)
    assert sorted(v for b in first for v in b[1]) == list(range(12)) and first != second
    ref = DataLoader(ds, batch_size=5, shuffle=True, generator=np.random.default_rng(3))
    assert [_values(ref), _values(ref)] == [first, second]
    dl = DataLoader(ds, batch_size=5, shuffle=True, num_workers=2, generator=A.Generator().manual_seed(3))
    ref = DataLoader(ds, batch_size=5, shuffle=True, generator=A.Generator().manual_seed(3))
    assert [_values(dl), _values(dl)] == [_values(ref), _values(ref)]


def test_worker_seeds_and_init_fn():
    def run(seed, **kw):
        A.manual_seed(seed)
        dl = DataLoader(Who(), batch_size=None, num_workers=2, worker_init_fn=_tag_worker, **kw)
        return list(dl)

    a, b, c = run(0), run(0), run(1)
    assert a == b and a != c  # reproducible under manual_seed, different for another seed
    assert [s["worker"] for s in a] == [0, 1] * 4  # tasks go round-robin
    assert all(s["tag"] == 100 + s["worker"] for s in a)  # worker_init_fn ran in each worker
    seeds = {s["worker"]: s["seed"] for s in a}
    assert seeds[1] == seeds[0] + 1
    r0 = [s["rand"] for s in a if s["worker"] == 0]
    r1 = [s["rand"] for s in a if s["worker"] == 1]
    assert all(x != y for p, q in zip(r0, r1) for x, y in zip(p, q))  # every generator differs per worker
    random.seed(seeds[0])
    assert r0[0][0] == random.random()  # worker seed = base_seed + worker_id, applied to `random`
    assert get_worker_info() is None
    assert [s["worker"] for s in run(0, in_order=False)].count(0) == 4


def test_persistent_workers():
    dl = DataLoader(Who(4), batch_size=None, num_workers=2, persistent_workers=True)
    e1 = list(dl)
    it = dl._iterator
    pids = {w.pid for w in it._workers}
    assert len(multiprocessing.active_children()) == 2  # kept alive between epochs
    e2 = list(dl)
    assert dl._iterator is it and {w.pid for w in it._workers} == pids
    assert [s["i"] for s in e2] == [0, 1, 2, 3]
    assert [s["rand"] for s in e1] != [s["rand"] for s in e2]  # the workers' generators carry on
    for _ in DataLoader(Stream(5), batch_size=2, num_workers=2, persistent_workers=True):
        break
    del dl, it, e1, e2

    class EpochSampler:  # indices 10-13 in epoch 1, 20-23 in epoch 2, ...
        epoch = 0

        def __iter__(self):
            self.epoch += 1
            return iter(range(10 * self.epoch, 10 * self.epoch + 4))

    dl = DataLoader(Who(40), batch_size=None, sampler=EpochSampler(), num_workers=2, persistent_workers=True)
    partial = iter(dl)
    assert next(partial)["i"] == 10
    assert [s["i"] for s in dl] == [20, 21, 22, 23]  # after a partial epoch, its late batches are dropped
    assert [s["i"] for s in dl] == [30, 31, 32, 33]
    del dl, partial


def test_iterable_dataset_sharding():
    sharded = DataLoader(Stream(10), batch_size=2, num_workers=2)
    got = [b.tolist() for b in sharded]
    assert sorted(v for b in got for v in b) == list(range(10))
    assert got[:2] == [[0, 2], [1, 3]]  # worker 0 then worker 1
    dup = [v for b in DataLoader(Stream(5, shard=False), batch_size=2, num_workers=2) for v in b.tolist()]
    assert sorted(dup) == sorted(list(range(5)) * 2)  # unsharded: every worker yields the whole stream
    dl = DataLoader(Stream(7), batch_size=2, drop_last=True, num_workers=2, persistent_workers=True)
    assert [len(list(dl)) for _ in range(2)] == [
        3,
        3,
    ]  # 0,2 | 4,6 from worker 0; 1,3 | 5 dropped from worker 1
    del dl


def test_worker_error_names_the_worker():
    failing = Scripted(
        6, {3: partial(_fail, ValueError("bad sample 3")), 4: partial(_fail, KeyError("missing"))}
    )
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 1") as e:
        list(DataLoader(failing, batch_size=1, num_workers=2))
    assert "Original Traceback (most recent call last)" in str(e.value) and "bad sample 3" in str(e.value)
    assert "__getitem__" in str(e.value)
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        list(DataLoader(failing, batch_size=None, sampler=[4], num_workers=2))

    class Local(Exception):  # not importable in the main process: comes back as RuntimeError
        pass

    def init(worker_id):
        raise Local("init failed")

    with pytest.raises(RuntimeError, match="Caught Local in DataLoader worker process 0"):
        list(DataLoader(Squares(), num_workers=2, worker_init_fn=init))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_iteration_goes_on_after_a_sample_error(num_workers):
    # as in PyTorch: the error of one batch is raised by next(), and the following next() gives the next batch
    failing = Scripted(6, {3: partial(_fail, ValueError("bad sample 3"))})
    for persistent in (False, True) if num_workers else (False,):
        dl = DataLoader(failing, batch_size=1, num_workers=num_workers, persistent_workers=persistent)
        for _ in range(2):  # persistent workers serve a second epoch after the error too
            it = iter(dl)
            assert len(it) == 6
            got, errors = [], 0
            while True:
                try:
                    got.append(int(next(it)))
                except ValueError as e:
                    assert "bad sample 3" in str(e)
                    errors += 1
                except StopIteration:
                    break
            assert got == [0, 1, 2, 4, 5] and errors == 1
        del it, dl


def test_iterator_len():
    dl = DataLoader(Squares(9), batch_size=4, num_workers=2)
    it = iter(dl)
    assert len(it) == len(dl) == 3
    assert len(list(it)) == 3
    with pytest.raises(TypeError, match="has no len"):
        len(iter(DataLoader(NoLenStream(), batch_size=2, num_workers=2)))
    assert len(iter(DataLoader(Squares(9), batch_size=4, drop_last=True))) == 2


class NoLenStream(IterableDataset):
    def __iter__(self):
        return iter(range(3))


def test_timeout_and_dead_worker(monkeypatch):
    t0 = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(DataLoader(Scripted(4, {1: partial(time.sleep, 3)}), batch_size=1, num_workers=2, timeout=0.5))
    assert time.monotonic() - t0 < 2.5
    monkeypatch.setattr(_worker, "STATUS_CHECK_INTERVAL", 0.1)
    with pytest.raises(
        RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+ \(exit code 3\)\) exited unexpectedly"
    ):
        list(DataLoader(Scripted(4, {2: partial(os._exit, 3)}), batch_size=1, num_workers=2))


def test_cleanup_on_break_and_delete():
    dl = DataLoader(_tensor_ds(40), batch_size=2, num_workers=2)
    for _ in dl:
        break
    assert _no_children()
    it = iter(dl)
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    assert _no_children()
    assert len(list(dl)) == 20


def test_tensors_cross_as_arrays(device):
    class Grad(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            w = nn.Parameter(A.ones(2))
            return (w, w * 2) if i == 1 else w

    got = next(iter(DataLoader(Grad(), batch_size=None, num_workers=1)))
    assert type(got) is nn.Parameter and got.requires_grad and got.grad_fn is None
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        list(DataLoader(Grad(), batch_size=None, num_workers=1))
    ds = TensorDataset(A.arange(4, device=device))
    if device == "cpu":
        assert _values(DataLoader(ds, batch_size=2, num_workers=2)) == [[[0, 1]], [[2, 3]]]
        return
    with pytest.raises(RuntimeError, match="worker processes are CPU-only"):
        iter(DataLoader(ds, batch_size=2, num_workers=2))

    class ToDevice(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return A.tensor([i]).to(device)

    with pytest.raises(
        RuntimeError, match="Caught RuntimeError in DataLoader worker process 0(.|\n)*CPU-only"
    ):
        list(DataLoader(ToDevice(), batch_size=1, num_workers=1))


def test_spawn_context():
    dl = DataLoader(_tensor_ds(6), batch_size=4, num_workers=1, multiprocessing_context="spawn")
    assert _values(dl) == _values(DataLoader(_tensor_ds(6), batch_size=4))


def test_argument_errors():
    ds = _tensor_ds(4)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="prefetch_factor option should be non-negative"):
        DataLoader(ds, num_workers=1, prefetch_factor=-1)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(
        ValueError, match="multiprocessing_context can only be used with multi-process loading"
    ):
        DataLoader(ds, multiprocessing_context="spawn")
    with pytest.raises(ValueError, match="should specify a valid start method"):
        DataLoader(ds, num_workers=1, multiprocessing_context="threads")
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(ds, num_workers=1, multiprocessing_context=3)
    assert DataLoader(ds, num_workers=2).prefetch_factor == 2
    assert DataLoader(ds, num_workers=1, pin_memory=True).pin_memory  # accepted; batches stay CPU tensors


Pair = namedtuple("Pair", "x y")


def test_batches_cross_as_data_not_pickles():
    from nn.data._codec import decode, encode

    batch = {
        "x": A.ones(2, 3).T,
        "p": nn.Parameter(A.zeros(2)),
        "n": np.arange(3),
        "s": np.float32(2.5),
        "t": ("a", None, True, 1, 2.5),
        "b": b"raw",
        "l": [A.tensor(3)],
        7: Pair(1, A.ones(1)),
    }
    out = decode(encode(batch))
    assert out["x"].shape == (3, 2) and out["x"].tolist() == [[1.0, 1.0]] * 3
    assert type(out["p"]) is nn.Parameter and out["p"].requires_grad
    assert out["n"].tolist() == [0, 1, 2] and out["s"] == np.float32(2.5) and out["l"][0].ndim == 0
    assert out["t"] == ("a", None, True, 1, 2.5) and out["b"] == b"raw" and isinstance(out[7], Pair)
    out["x"].add_(1)  # writable, not a view of read-only bytes
    with pytest.raises(TypeError, match="cannot send a object to the main process"):
        encode({"o": object()})
    with pytest.raises(TypeError, match="cannot send a NumPy array of dtype object"):
        encode(np.array([None]))
    hostile = pickle.dumps(Pair(1, 2))  # (pickle only builds a hostile payload here)
    with pytest.raises((ValueError, struct.error)):
        decode(hostile)  # pickle bytes are not a batch: decoding fails, nothing is unpickled


class Opaque(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return object()


def test_unsendable_sample_is_a_clear_worker_error():
    dl = DataLoader(Opaque(), batch_size=2, num_workers=1, collate_fn=lambda b: b)
    with pytest.raises(
        TypeError, match=r"(?s)Caught TypeError in DataLoader worker process 0.*cannot send a object"
    ):
        next(iter(dl))
