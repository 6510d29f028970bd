"""nn.utils.prune: masks, hooks, iterative and global pruning, remove; deterministic methods against torch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import to_numpy

import autograd as A
import nn
from nn.utils import prune

torch = pytest.importorskip("torch")
import torch.nn.utils.prune as tprune  # noqa: E402


def _pair(device, conv=False):
    ours = (nn.Conv2d(3, 6, 3) if conv else nn.Linear(8, 6)).to(device)
    theirs = torch.nn.Conv2d(3, 6, 3) if conv else torch.nn.Linear(8, 6)
    theirs.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()})
    return ours, theirs


def _same(ours, theirs):
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        np.testing.assert_allclose(to_numpy(sd[k]), tsd[k].numpy(), rtol=1e-6, err_msg=k)
    np.testing.assert_allclose(to_numpy(ours.weight), theirs.weight.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "steps",
    [
        [("l1_unstructured", {"amount": 0.3})],
        [("l1_unstructured", {"amount": 7})],
        [("ln_structured", {"amount": 0.5, "n": 2, "dim": 0})],
        [("ln_structured", {"amount": 2, "n": 1, "dim": 1})],
        [("l1_unstructured", {"amount": 0.2}), ("l1_unstructured", {"amount": 0.5})],
        [("ln_structured", {"amount": 1, "n": 2, "dim": 0}), ("l1_unstructured", {"amount": 0.3})],
        [("l1_unstructured", {"amount": 0.4}), ("ln_structured", {"amount": 2, "n": float("inf"), "dim": 0})],
        [
            ("ln_structured", {"amount": 2, "n": 2, "dim": 0}),
            ("ln_structured", {"amount": 1, "n": 2, "dim": 0}),
        ],
    ],
)
@pytest.mark.parametrize("conv", [False, True])
def test_deterministic_pruning_matches_torch(device, steps, conv):
    ours, theirs = _pair(device, conv)
    for fn, kw in steps:
        getattr(prune, fn)(ours, "weight", **kw)
        getattr(tprune, fn)(theirs, "weight", **kw)
        _same(ours, theirs)
    assert prune.is_pruned(ours)
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5) if conv else (4, 8)).astype(np.float32)
    out = ours(A.tensor(x, device=device))
    tout = theirs(torch.tensor(x))
    np.testing.assert_allclose(to_numpy(out), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(
        to_numpy(ours.weight_orig.grad), theirs.weight_orig.grad.numpy(), rtol=1e-5, atol=1e-6
    )
    assert np.all(to_numpy(ours.weight_orig.grad)[to_numpy(ours.weight_mask) == 0] == 0)
    prune.remove(ours, "weight")
    tprune.remove(theirs, "weight")
    _same(ours, theirs)
    assert not prune.is_pruned(ours) and isinstance(ours.weight, nn.Parameter)


def test_global_and_custom_match_torch(device):
    o1, t1 = _pair(device)
    o2, t2 = _pair(device, conv=True)
    prune.l1_unstructured(o1, "weight", amount=0.1)
    tprune.l1_unstructured(t1, "weight", amount=0.1)
    prune.global_unstructured(
        [(o1, "weight"), (o2, "weight"), (o2, "bias")], prune.L1Unstructured, amount=0.4
    )
    tprune.global_unstructured(
        [(t1, "weight"), (t2, "weight"), (t2, "bias")], tprune.L1Unstructured, amount=0.4
    )
    _same(o1, t1)
    _same(o2, t2)
    total = sum(int((to_numpy(m) == 0).sum()) for m in (o1.weight_mask, o2.weight_mask, o2.bias_mask))
    assert total == 5 + round(0.4 * (48 + 162 + 6 - 5))  # 40% of what the first pruning left
    mask = A.tensor(np.random.default_rng(3).integers(0, 2, (6, 8)), device=device)
    o3, t3 = _pair(device)
    prune.custom_from_mask(o3, "bias", mask=A.tensor([1, 0, 1, 0, 1, 1], device=device))
    prune.custom_from_mask(o3, "weight", mask=mask)
    tprune.custom_from_mask(t3, "bias", mask=torch.tensor([1, 0, 1, 0, 1, 1]))
    tprune.custom_from_mask(t3, "weight", mask=torch.tensor(to_numpy(mask)))
    _same(o3, t3)
    imp = A.tensor(np.arange(48, dtype=np.float32).reshape(6, 8), device=device)
    o4, _ = _pair(device)
    prune.l1_unstructured(o4, "weight", amount=5, importance_scores=imp)
    assert to_numpy(o4.weight_mask).reshape(-1)[:5].tolist() == [0] * 5


def test_random_pruning_counts(device):
    A.manual_seed(0)
    m = nn.Linear(10, 8).to(device)
    prune.random_unstructured(m, "weight", amount=0.25)
    assert int((to_numpy(m.weight_mask) == 0).sum()) == 20
    prune.random_unstructured(m, "weight", amount=0.5)  # half of the remaining 60
    assert int((to_numpy(m.weight_mask) == 0).sum()) == 50
    c = nn.Conv2d(4, 6, 3).to(device)
    prune.random_structured(c, "weight", amount=2, dim=0)
    channels = to_numpy(c.weight_mask).reshape(6, -1)
    assert sorted(channels.max(1).tolist()) == [0, 0, 1, 1, 1, 1] and set(np.unique(channels)) <= {0.0, 1.0}
    prune.identity(c, "bias")
    assert to_numpy(c.bias_mask).tolist() == [1] * 6
    w = A.ones(4, 4)
    assert to_numpy(prune.L1Unstructured(amount=4).prune(w)).sum() == 12


def test_prune_errors():
    m = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"amount=1.5 should either be a float in the range \[0, 1\]"):
        prune.l1_unstructured(m, "weight", amount=1.5)
    with pytest.raises(ValueError, match="amount=-1 should either be"):
        prune.l1_unstructured(m, "weight", amount=-1)
    with pytest.raises(
        ValueError, match="amount=10 should be smaller than the number of parameters to prune=6"
    ):
        prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=10)
    with pytest.raises(TypeError, match="Invalid type for amount"):
        prune.l1_unstructured(nn.Linear(3, 2), "weight", amount="half")
    with pytest.raises(
        ValueError, match="Structured pruning can only be applied to multidimensional tensors"
    ):
        prune.ln_structured(nn.Linear(3, 2), "bias", amount=1, n=2, dim=0)
    with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
        prune.remove(nn.Linear(3, 2), "weight")
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        prune.global_unstructured([(nn.Linear(3, 2), "weight")], prune.RandomStructured, amount=1)
