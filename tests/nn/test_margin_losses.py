"""MultiMarginLoss, MultiLabelMarginLoss, TripletMarginWithDistanceLoss against PyTorch: every reduction,
p/margin/weight/swap options, 1-D inputs, gradients, gradchecks and target validation."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op

import autograd as A
import nn
import nn.functional as F

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch as the reference")

if HAVE_TORCH:
    import torch
    import torch.nn.functional as TF

REDUCTIONS = ["none", "mean", "sum"]


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kw,weighted,shape,target",
    [
        ({}, False, (4, 5), np.array([0, 4, 2, 2])),
        ({"p": 2, "margin": 0.5}, True, (3, 4), np.array([3, 0, 1])),
        ({"margin": 2.0}, True, (6,), np.array(4)),
        ({"p": 2}, False, (5,), np.array([1])),
    ],
    ids=str,
)
def test_multi_margin_loss_matches_torch(device, reduction, kw, weighted, shape, target):
    c = shape[-1]
    w = np.random.default_rng(2).uniform(0.2, 2.0, c)
    ow = A.tensor(w, dtype=A.float32, device=device) if weighted else None  # torch: weight gets no gradient
    tw = torch.tensor(w, dtype=torch.float32) if weighted else None
    check_op(
        [shape, target],
        lambda x, t: F.multi_margin_loss(x, t, weight=ow, reduction=reduction, **kw),
        lambda x, t: TF.multi_margin_loss(x, t, weight=tw, reduction=reduction, **kw),
        device=device,
    )
    if weighted:
        ours = nn.MultiMarginLoss(weight=A.tensor(w, dtype=A.float32), reduction=reduction, **kw).to(device)
        theirs = torch.nn.MultiMarginLoss(
            weight=torch.tensor(w, dtype=torch.float32), reduction=reduction, **kw
        )
    else:
        ours, theirs = (
            nn.MultiMarginLoss(reduction=reduction, **kw),
            torch.nn.MultiMarginLoss(reduction=reduction, **kw),
        )
    check_op([shape, target], ours, theirs, device=device, gradcheck=False)


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "shape,target",
    [
        ((3, 4), np.array([[3, 0, -1, 1], [1, 2, 3, 0], [-1, 1, 2, 3]])),
        ((2, 5), np.array([[2, 2, -1, 0, 0], [4, 0, 1, -1, -1]])),  # a repeated label counts twice
        ((4,), np.array([1, 3, -1, 0])),
    ],
    ids=str,
)
def test_multilabel_margin_loss_matches_torch(device, reduction, shape, target):
    check_op(
        [shape, target],
        lambda x, t: F.multilabel_margin_loss(x, t, reduction=reduction),
        lambda x, t: TF.multilabel_margin_loss(x, t, reduction=reduction),
        device=device,
    )
    ours, theirs = (
        nn.MultiLabelMarginLoss(reduction=reduction),
        torch.nn.MultiLabelMarginLoss(reduction=reduction),
    )
    check_op([shape, target], ours, theirs, device=device, gradcheck=False)


def test_margin_loss_target_validation(device):
    x = A.randn(3, 4, device=device)
    t = A.tensor([0, 1, 2], device=device)
    with pytest.raises(
        RuntimeError, match=r"multi_margin_loss: target out of range: class indices must be in \[0, 4\)"
    ):
        F.multi_margin_loss(x, A.tensor([0, 4, 1], device=device))
    with pytest.raises(RuntimeError, match="multi_margin_loss: target out of range"):
        F.multi_margin_loss(x, A.tensor([0, -1, 1], device=device))
    with pytest.raises(
        RuntimeError, match=r"multi_margin_loss: target should be 1-D .*expected 3 elements.*\(3, 1\)"
    ):
        F.multi_margin_loss(x, t.reshape(3, 1))
    with pytest.raises(
        RuntimeError, match="multi_margin_loss: expected an int64 .*target, got autograd.float32"
    ):
        F.multi_margin_loss(x, t.float())
    with pytest.raises(ValueError, match="multi_margin_loss: only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x, t, p=3)
    with pytest.raises(
        RuntimeError, match=r"multi_margin_loss: expected weight to be a 1-D tensor of size 4"
    ):
        F.multi_margin_loss(x, t, weight=A.ones(3, device=device))
    with pytest.raises(ValueError, match="MultiMarginLoss: only p == 1 and p == 2"):
        nn.MultiMarginLoss(p=0)
    with pytest.raises(ValueError, match="multi_margin_loss: 'avg' is not a valid value for reduction"):
        F.multi_margin_loss(x, t, reduction="avg")
    with pytest.raises(RuntimeError, match=r"multilabel_margin_loss: inconsistent target size \(3, 2\)"):
        F.multilabel_margin_loss(x, A.zeros(3, 2, dtype=A.int64, device=device))
    with pytest.raises(RuntimeError, match=r"multilabel_margin_loss: target out of range: .*\[0, 4\) or -1"):
        F.multilabel_margin_loss(x, A.full((3, 4), -2, dtype=A.int64, device=device))
    with pytest.raises(RuntimeError, match="multilabel_margin_loss: expected a 1-D .* or 2-D"):
        F.multilabel_margin_loss(x[None], A.zeros(1, 3, 4, dtype=A.int64, device=device))


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "dist,margin,swap,shape",
    [
        (None, 1.0, False, (4, 3)),
        ("cosine", 0.5, True, (5, 3)),
        ("l1", 2.0, False, (3,)),
        (None, 0.3, True, (2, 3, 4)),
    ],
    ids=str,
)
def test_triplet_margin_with_distance_loss_matches_torch(device, reduction, dist, margin, swap, shape):
    fns = {
        None: (None, None),
        "cosine": (lambda a, b: 1 - F.cosine_similarity(a, b), lambda a, b: 1 - TF.cosine_similarity(a, b)),
        "l1": (lambda a, b: (a - b).abs().sum(-1), lambda a, b: (a - b).abs().sum(-1)),
    }
    ours_d, torch_d = fns[dist]
    kw = {"margin": margin, "swap": swap, "reduction": reduction}
    check_op(
        [shape] * 3,
        lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, distance_function=ours_d, **kw),
        lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, distance_function=torch_d, **kw),
        device=device,
        low=-1.0,
        high=1.0,
    )
    ours = nn.TripletMarginWithDistanceLoss(distance_function=ours_d, **kw)
    theirs = torch.nn.TripletMarginWithDistanceLoss(distance_function=torch_d, **kw)
    check_op([shape] * 3, ours, theirs, device=device, gradcheck=False, seed=1)


def test_triplet_margin_with_distance_loss_errors(device):
    a = A.randn(3, 4, device=device)
    with pytest.raises(ValueError, match="triplet_margin_with_distance_loss: margin must be greater than 0"):
        F.triplet_margin_with_distance_loss(a, a, a, margin=0.0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: margin must be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(
        RuntimeError, match=r"same number of dimensions, but got: anchor \(3, 4\), positive \(4,\)"
    ):
        F.triplet_margin_with_distance_loss(a, a[0], a)
    with pytest.raises(TypeError):
        F.triplet_margin_with_distance_loss(a, a, a, None)  # distance_function is keyword-only, as in torch
    m = nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: (x - y).pow(2).sum(-1), margin=5.0)
    assert m(a, a, a).item() == pytest.approx(5.0)


def test_margin_losses_double_backward(device):
    x = A.randn(3, 4, dtype=A.float64, device=device, requires_grad=True)
    t = A.tensor([1, 0, 3], device=device)
    labels = A.tensor([[1, 2, -1, 0], [0, -1, 0, 0], [3, 1, 0, -1]], device=device)
    assert A.gradgradcheck(lambda v: F.multi_margin_loss(v, t, p=2, margin=2.0, reduction="none"), (x,))
    assert A.gradgradcheck(lambda v: F.multilabel_margin_loss(v * v, labels, reduction="sum"), (x,))
    assert A.gradgradcheck(
        lambda v: F.triplet_margin_with_distance_loss(v, v.flip(0), v.roll(1, 1), margin=3.0, swap=True), (x,)
    )
