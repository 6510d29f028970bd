"""nn.data: autograd.Generator in samplers/splits/DataLoader, WeightedRandomSampler, ChainDataset, StackDataset."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as A
from nn.data import (
    ChainDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    StackDataset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)


def test_random_split_with_generator_is_reproducible_and_leaves_global_stream():
    data = list(range(20))
    A.manual_seed(0)
    before = A.rand(3).tolist()
    A.manual_seed(0)
    a = random_split(data, [0.7, 0.3], generator=A.Generator().manual_seed(42))
    after = A.rand(3).tolist()
    b = random_split(data, [14, 6], generator=A.Generator().manual_seed(42))
    assert [list(s) for s in a] == [list(s) for s in b]
    assert sorted(list(a[0]) + list(a[1])) == data
    assert before == after  # the split drew from its own stream, not the global one
    c = random_split(data, [14, 6], generator=A.Generator().manual_seed(43))
    assert [list(s) for s in c] != [list(s) for s in a]


def test_samplers_and_loader_follow_their_generator():
    ds = TensorDataset(A.arange(12))
    g1, g2 = A.Generator().manual_seed(5), A.Generator().manual_seed(5)
    assert list(RandomSampler(ds, generator=g1)) == list(RandomSampler(ds, generator=g2))
    assert sorted(RandomSampler(ds, generator=g1)) == list(range(12))
    draws = list(RandomSampler(ds, replacement=True, num_samples=30, generator=g1))
    assert len(draws) == 30 and all(0 <= i < 12 for i in draws)
    assert list(SubsetRandomSampler([3, 5, 7], generator=A.Generator().manual_seed(1))) == list(
        SubsetRandomSampler([3, 5, 7], generator=A.Generator().manual_seed(1))
    )
    epochs = [
        [
            b[0].tolist()
            for b in DataLoader(ds, batch_size=4, shuffle=True, generator=A.Generator().manual_seed(9))
        ]
        for _ in range(2)
    ]
    assert epochs[0] == epochs[1]
    loader = DataLoader(ds, batch_size=4, shuffle=True, generator=A.Generator().manual_seed(9))
    e1, e2 = [[b[0].tolist() for b in loader] for _ in range(2)]
    assert e1 == epochs[0] and e1 != e2  # one generator advances from epoch to epoch
    # a NumPy Generator still works
    assert sorted(RandomSampler(ds, generator=np.random.default_rng(0))) == list(range(12))


def test_weighted_random_sampler():
    A.manual_seed(0)
    w = [0.0, 1.0, 0.0, 3.0]
    draws = list(WeightedRandomSampler(w, 4000))
    assert set(draws) <= {1, 3}
    frac3 = draws.count(3) / len(draws)
    assert 0.7 < frac3 < 0.8  # expected 0.75
    s = WeightedRandomSampler(A.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), 5, replacement=False)
    assert sorted(s) == [0, 1, 2, 3, 4] and len(s) == 5
    g = A.Generator().manual_seed(2)
    assert list(WeightedRandomSampler(w, 10, generator=g)) != [] and len(WeightedRandomSampler(w, 10)) == 10
    a = list(WeightedRandomSampler([1.0] * 10, 10, generator=A.Generator().manual_seed(3)))
    assert a == list(WeightedRandomSampler([1.0] * 10, 10, generator=A.Generator().manual_seed(3)))
    loader = DataLoader(TensorDataset(A.arange(4)), batch_size=5, sampler=WeightedRandomSampler(w, 10))
    (batch,) = next(iter(loader))
    assert set(batch.tolist()) <= {1, 3}
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler(w, 0)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        WeightedRandomSampler(w, 3, replacement=1)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 3)
    with pytest.raises(RuntimeError, match="not enough non-negative category"):
        list(WeightedRandomSampler(w, 3, replacement=False))


class _Stream(IterableDataset):
    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi

    def __iter__(self):
        return iter(range(self.lo, self.hi))

    def __len__(self) -> int:
        return self.hi - self.lo


def test_chain_dataset():
    chained = _Stream(0, 3) + _Stream(10, 12)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 2, 10, 11] and len(chained) == 5
    assert [b.tolist() for b in DataLoader(chained, batch_size=2)] == [[0, 1], [2, 10], [11]]
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([[1, 2]]))


def test_stack_dataset():
    x, y = A.arange(6).reshape(3, 2), A.tensor([7, 8, 9])
    s = StackDataset(x, y)
    assert len(s) == 3 and s[1][0].tolist() == [2, 3] and s[1][1].item() == 8
    d = StackDataset(inp=x, label=y)
    assert set(d[2]) == {"inp", "label"} and d[2]["label"].item() == 9
    batch = next(iter(DataLoader(d, batch_size=3)))
    assert batch["label"].tolist() == [7, 8, 9] and batch["inp"].shape == (3, 2)
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(x, A.tensor([1, 2]))
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(x, label=y)
