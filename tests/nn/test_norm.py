"""Normalization: batch/layer/group/instance norm against PyTorch (values, input/weight/bias grads), running
statistics over several training steps, train/eval behaviour, gradchecks, modules and errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy

import autograd as A
import nn
import nn.functional as F

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch as the reference")

if HAVE_TORCH:
    import torch
    import torch.nn.functional as TF


@needs_torch
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (4, 3, 5, 6)], ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_train_parity(device, shape, affine):
    c = shape[1]
    shapes = [shape] + ([(c,), (c,)] if affine else [])
    check_op(
        shapes,
        lambda x, *wb: F.batch_norm(x, None, None, *wb, training=True),
        lambda x, *wb: TF.batch_norm(x, None, None, *wb, training=True),
        device=device,
        atol=1e-4,
        grad_atol=1e-3,
    )


@needs_torch
def test_batch_norm_eval_parity(device):
    rng = np.random.default_rng(0)
    rm, rv = rng.standard_normal(3).astype(np.float32), (rng.random(3) + 0.5).astype(np.float32)
    check_op(
        [(4, 3, 5), (3,), (3,)],
        lambda x, w, b: F.batch_norm(x, A.tensor(rm, device=device), A.tensor(rv, device=device), w, b),
        lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b),
        device=device,
    )


def _copy_params(ours, theirs):
    for p, t in zip(ours.parameters(), theirs.parameters()):
        p._data[...] = p.backend.asarray(t.detach().numpy())


@needs_torch
@pytest.mark.parametrize(
    "cls,shape,kw",
    [
        ("BatchNorm2d", (4, 3, 5, 5), {}),
        ("BatchNorm2d", (4, 3, 5, 5), {"momentum": None}),
        ("BatchNorm1d", (8, 3), {"momentum": 0.3, "affine": False}),
        ("BatchNorm1d", (4, 3, 6), {"eps": 1e-3}),
        ("InstanceNorm2d", (4, 3, 5, 5), {"affine": True, "track_running_stats": True}),
        ("InstanceNorm2d", (4, 3, 5, 5), {}),
    ],
    ids=str,
)
def test_norm_modules_running_stats_vs_torch(device, cls, shape, kw):
    """Several train steps (running stats, num_batches_tracked, grads), then eval, as PyTorch."""
    ours = getattr(nn, cls)(shape[1], **kw).to(device)
    theirs = getattr(torch.nn, cls)(shape[1], **kw)
    _copy_params(ours, theirs)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        ax, tx = A.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = ours(ax), theirs(tx)
        up = rng.standard_normal(shape).astype(np.float32)
        (y * A.tensor(up, device=device)).sum().backward()
        (ty * torch.tensor(up)).sum().backward()
        np.testing.assert_allclose(to_numpy(y), ty.detach().numpy(), atol=1e-4, rtol=1e-4)
        np.testing.assert_allclose(to_numpy(ax.grad), tx.grad.numpy(), atol=1e-4, rtol=1e-3)
    for p, t in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(to_numpy(p.grad), t.grad.numpy(), atol=1e-3, rtol=1e-4)
    for (name, b), (tname, tb) in zip(ours.named_buffers(), theirs.named_buffers()):
        assert name == tname
        np.testing.assert_allclose(to_numpy(b), tb.numpy(), atol=1e-5, rtol=1e-5, err_msg=name)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    check_op([x], lambda t: ours(t), lambda t: theirs(t), device=device, gradcheck=False, atol=1e-4)


def test_batch_norm_train_eval_behaviour(device):
    bn = nn.BatchNorm2d(2, momentum=0.5).to(device)
    x = A.tensor(
        np.random.default_rng(0).standard_normal((8, 2, 3, 3)) * 3 + 1, dtype=A.float32, device=device
    )
    y = bn(x)
    yn = to_numpy(y)
    np.testing.assert_allclose(yn.mean(axis=(0, 2, 3)), 0, atol=1e-5)  # batch stats in training
    np.testing.assert_allclose(yn.var(axis=(0, 2, 3)), 1, atol=1e-3)
    xn = to_numpy(x)
    n = xn.size // 2
    np.testing.assert_allclose(to_numpy(bn.running_mean), 0.5 * xn.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(
        to_numpy(bn.running_var), 0.5 + 0.5 * xn.var(axis=(0, 2, 3)) * n / (n - 1), rtol=1e-5
    )
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    rm, rv = to_numpy(bn.running_mean), to_numpy(bn.running_var)
    ye = to_numpy(bn(x))  # eval: running stats, no update
    np.testing.assert_allclose(
        ye, (xn - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5), atol=1e-5
    )
    np.testing.assert_allclose(to_numpy(bn.running_mean), rm)
    assert int(bn.num_batches_tracked.item()) == 1
    # without running stats, eval normalizes with the batch's own statistics
    free = nn.BatchNorm2d(2, track_running_stats=False).to(device).eval()
    assert free.running_mean is None
    np.testing.assert_allclose(to_numpy(free(x)).mean(axis=(0, 2, 3)), 0, atol=1e-5)
    sd = bn.state_dict()
    assert set(sd) == {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"}


@needs_torch
@pytest.mark.parametrize(
    "shape,norm,affine",
    [((4, 6), (6,), True), ((2, 3, 4, 5), (4, 5), True), ((2, 3, 5), 5, False), ((3, 5), (5,), "nobias")],
    ids=str,
)
def test_layer_norm_parity(device, shape, norm, affine):
    ns = (norm,) if isinstance(norm, int) else norm
    shapes = [shape] + ([ns] if affine else []) + ([ns] if affine is True else [])

    check_op(
        shapes,
        lambda x, *wb: F.layer_norm(x, norm, *wb, eps=1e-5),
        lambda x, *wb: TF.layer_norm(x, ns, *wb, eps=1e-5),
        device=device,
        atol=1e-4,
        grad_atol=1e-3,
    )


@needs_torch
@pytest.mark.parametrize("groups,affine", [(1, True), (2, True), (6, False), (3, True)])
def test_group_norm_parity(device, groups, affine):
    shapes = [(3, 6, 4, 5)] + ([(6,), (6,)] if affine else [])
    check_op(
        shapes,
        lambda x, *wb: F.group_norm(x, groups, *wb),
        lambda x, *wb: TF.group_norm(x, groups, *wb),
        device=device,
        atol=1e-4,
        grad_atol=1e-3,
    )


@needs_torch
def test_instance_norm_and_modules_parity(device):
    check_op(
        [(3, 4, 5, 6), (4,), (4,)],
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
        device=device,
        atol=1e-4,
        grad_atol=1e-3,
    )
    rng = np.random.default_rng(0)
    for ours, theirs, shape in (
        (nn.LayerNorm((4, 5), bias=False), torch.nn.LayerNorm((4, 5), bias=False), (2, 3, 4, 5)),
        (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4), (3, 4, 5)),
        (nn.InstanceNorm1d(3, affine=True), torch.nn.InstanceNorm1d(3, affine=True), (3, 7)),  # unbatched
    ):
        ours.to(device)
        _copy_params(ours, theirs)
        with A.no_grad():
            for p in ours.parameters():
                p.uniform_(0.5, 1.5)
        _copy_back(ours, theirs)
        x = rng.standard_normal(shape).astype(np.float32)
        check_op(
            [x], lambda t, m=ours: m(t), lambda t, m=theirs: m(t), device=device, gradcheck=False, atol=1e-4
        )


def _copy_back(ours, theirs):
    with torch.no_grad():
        for p, t in zip(ours.parameters(), theirs.parameters()):
            t.copy_(torch.tensor(to_numpy(p)))


def test_norm_gradcheck_and_double_backward(device):
    rng = np.random.default_rng(0)
    x = A.tensor(rng.standard_normal((3, 2, 4)), device=device, requires_grad=True)
    w = A.tensor(rng.standard_normal(2), device=device, requires_grad=True)
    b = A.tensor(rng.standard_normal(2), device=device, requires_grad=True)
    assert A.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), (x, w, b))
    assert A.gradgradcheck(lambda x, w: F.batch_norm(x, None, None, w, None, True), (x, w))
    lw = A.tensor(rng.standard_normal(4), device=device, requires_grad=True)
    assert A.gradcheck(lambda x, w: F.layer_norm(x, (4,), w, None), (x, lw))
    assert A.gradgradcheck(lambda x: F.layer_norm(x, (2, 4)), (x,))
    assert A.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    assert A.gradcheck(lambda x: F.instance_norm(x), (x,))


def test_norm_errors(device):
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3).to(device)(A.randn(1, 3, device=device))
    with pytest.raises(ValueError, match="BatchNorm2d: expected 4D input, got 3D input"):
        nn.BatchNorm2d(3).to(device)(A.randn(2, 3, 4, device=device))
    with pytest.raises(
        ValueError, match=r"BatchNorm2d: expected input with 3 channels in dim 1.*\(2, 4, 5, 5\)"
    ):
        nn.BatchNorm2d(3).to(device)(A.randn(2, 4, 5, 5, device=device))
    with pytest.raises(RuntimeError, match=r"batch_norm: expected running_mean of shape \(4,\)"):
        F.batch_norm(A.randn(2, 4, 3, device=device), A.zeros(3, device=device), A.ones(3, device=device))
    with pytest.raises(
        RuntimeError, match=r"layer_norm: given normalized_shape=\[5\], expected input with shape \[\*, 5\]"
    ):
        F.layer_norm(A.randn(2, 4, device=device), (5,))
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(A.randn(2, 6, 3, device=device), 4)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(A.randn(2, 3, 1, device=device))
    with pytest.raises(ValueError, match="InstanceNorm2d: expected 3D \\(unbatched\\) or 4D"):
        nn.InstanceNorm2d(3)(A.randn(2, 3, device=device))


def test_sync_batch_norm_is_batch_norm_without_a_group(device):
    # no distributed package here: SyncBatchNorm normalizes as BatchNorm (PyTorch does the same without an
    # initialized process group); convert_sync_batchnorm swaps it in, keeping parameters, statistics and mode
    A.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.Sequential(nn.Flatten(), nn.BatchNorm1d(64))
    )
    model = model.to(device)
    x = A.randn(5, 2, 6, 6, device=device)
    model(x)  # one step of running statistics
    model[1].eval()
    want = model(x)
    bn_weight, running = model[1].weight, to_numpy(model[1].running_mean).copy()
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert conv is model and type(model[1]) is nn.SyncBatchNorm and type(model[2][1]) is nn.SyncBatchNorm
    assert model[1].weight is bn_weight and not model[1].training and model[2][1].training
    np.testing.assert_array_equal(to_numpy(model[1].running_mean), running)
    np.testing.assert_allclose(to_numpy(model(x)), to_numpy(want), rtol=1e-6)
    s = nn.SyncBatchNorm(3).to(device)
    b = nn.BatchNorm1d(3).to(device)
    y = A.randn(4, 3, 2, 2, 2, device=device)  # any rank >= 2
    np.testing.assert_allclose(
        to_numpy(s(y)), to_numpy(F.batch_norm(y, None, None, training=True)), rtol=1e-5
    )
    np.testing.assert_allclose(to_numpy(s(y[:, :, 0, 0, 0])), to_numpy(b(y[:, :, 0, 0, 0])), rtol=1e-6)
    assert repr(nn.SyncBatchNorm(3)).startswith(
        "SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        s(A.randn(3, device=device))
    assert nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(3, affine=False)).weight is None
