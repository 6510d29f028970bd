"""nn.data: datasets, samplers, DataLoader batching/shuffling/collation, Subset, random_split, ConcatDataset."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
from helpers import to_numpy

import autograd as A
from nn.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)


def _ds(device, n=10):
    x = A.arange(n * 2, device=device).reshape(n, 2).float()
    y = A.arange(n, device=device)
    return TensorDataset(x, y)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"x": float(i), "sq": i * i, "name": f"s{i}", "pair": (i, [i, -i])}


def test_tensor_dataset(device):
    ds = _ds(device)
    assert len(ds) == 10
    x, y = ds[3]
    assert to_numpy(x).tolist() == [6.0, 7.0] and int(y) == 3
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(A.zeros(3, 2), A.zeros(4))


def test_dataloader_sequential_batches(device):
    ds = _ds(device)
    dl = DataLoader(ds, batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    assert [tuple(b[0].shape) for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert to_numpy(batches[1][1]).tolist() == [4, 5, 6, 7]
    assert batches[0][0].device == A.device(device) and batches[0][1].dtype == A.int64
    dl = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dl) == 2 and [len(b[1]) for b in dl] == [4, 4]
    assert len(DataLoader(ds)) == 10


def test_dataloader_shuffle_is_seeded_permutation(device):
    ds = _ds(device, 20)
    A.manual_seed(3)
    first = np.concatenate([to_numpy(y) for _, y in DataLoader(ds, batch_size=6, shuffle=True)])
    second = np.concatenate([to_numpy(y) for _, y in DataLoader(ds, batch_size=6, shuffle=True)])
    A.manual_seed(3)
    again = np.concatenate([to_numpy(y) for _, y in DataLoader(ds, batch_size=6, shuffle=True)])
    assert sorted(first.tolist()) == list(range(20))  # a permutation: every sample exactly once
    assert not np.array_equal(first, np.arange(20)) and not np.array_equal(first, second)
    np.testing.assert_array_equal(first, again)
    for xb, yb in DataLoader(ds, batch_size=6, shuffle=True):  # rows stay paired with their labels
        np.testing.assert_array_equal(to_numpy(xb)[:, 0], 2 * to_numpy(yb))


def test_default_collate_structures():
    batch = [Squares(3)[i] for i in range(3)]
    out = default_collate(batch)
    assert out["x"].dtype == A.float64 and to_numpy(out["x"]).tolist() == [0.0, 1.0, 2.0]
    assert out["sq"].dtype == A.int64 and to_numpy(out["sq"]).tolist() == [0, 1, 4]
    assert out["name"] == ["s0", "s1", "s2"]
    assert isinstance(out["pair"], list)  # tuples come back as lists, like PyTorch
    assert to_numpy(out["pair"][0]).tolist() == [0, 1, 2]
    assert to_numpy(out["pair"][1][1]).tolist() == [0, -1, -2]
    assert default_collate([True, False]).dtype == A.bool
    arrs = default_collate([np.ones(2, np.float32), np.zeros(2, np.float32)])
    assert arrs.shape == (2, 2) and arrs.dtype == A.float32
    P = namedtuple("P", "a b")
    nt = default_collate([P(1, 2.0), P(3, 4.0)])
    assert isinstance(nt, P) and to_numpy(nt.a).tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([A.zeros(2), A.zeros(3)])
    with pytest.raises(TypeError, match="found set"):
        default_collate([{1}, {2}])


def test_dataloader_custom_dataset_and_collate_fn():
    dl = DataLoader(Squares(5), batch_size=2, collate_fn=lambda b: [s["sq"] for s in b])
    assert list(dl) == [[0, 1], [4, 9], [16]]
    unbatched = list(DataLoader(Squares(2), batch_size=None))
    assert unbatched[1]["sq"] == 1  # no batching: samples converted as they are
    assert len(DataLoader(Squares(5), batch_size=2)) == 3


def test_samplers(device):
    ds = _ds(device)
    assert list(SequentialSampler(ds)) == list(range(10))
    A.manual_seed(0)
    perm = list(RandomSampler(ds))
    assert sorted(perm) == list(range(10)) and perm != list(range(10))
    draws = list(RandomSampler(ds, replacement=True, num_samples=30))
    assert len(draws) == 30 and all(0 <= d < 10 for d in draws)
    assert len(list(RandomSampler(ds, num_samples=25))) == 25
    assert sorted(SubsetRandomSampler([1, 5, 7])) == [1, 5, 7]
    bs = BatchSampler(SequentialSampler(ds), 4, drop_last=False)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(bs) == 3
    dl = DataLoader(ds, batch_sampler=[[9, 0], [5]])
    assert [to_numpy(y).tolist() for _, y in dl] == [[9, 0], [5]]
    dl = DataLoader(ds, batch_size=3, sampler=[2, 4, 6, 8])
    assert [to_numpy(y).tolist() for _, y in dl] == [[2, 4, 6], [8]]
    gen = np.random.default_rng(5)
    assert sorted(RandomSampler(ds, generator=gen)) == list(range(10))


def test_dataloader_argument_errors(device):
    ds = _ds(device)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(ds, batch_size=0)


def test_iterable_dataset():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [to_numpy(b).tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(list(DataLoader(Stream(), batch_size=3, drop_last=True))) == 2
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(), shuffle=True)


def test_subset_concat(device):
    ds = _ds(device)
    sub = Subset(ds, [7, 2])
    assert len(sub) == 2 and int(sub[0][1]) == 7
    cat = ConcatDataset([sub, ds])
    assert len(cat) == 12 and int(cat[1][1]) == 2 and int(cat[2][1]) == 0 and int(cat[-1][1]) == 9
    assert len(sub + ds) == 12
    with pytest.raises(IndexError):
        cat[12]
    assert [to_numpy(y).tolist() for _, y in DataLoader(cat, batch_size=5)][0] == [7, 2, 0, 1, 2]


def test_random_split(device):
    ds = _ds(device, 10)
    A.manual_seed(1)
    a, b = random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10)) and a.indices != list(range(7))
    A.manual_seed(1)
    a2, _ = random_split(ds, [7, 3])
    assert a2.indices == a.indices
    parts = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(Squares(11), [0.5, 0.5])
    assert [len(p) for p in parts] == [6, 5]  # the remainder goes round-robin from the first split
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 6])
