"""Rearrangement and distance layers against PyTorch: PixelShuffle/Unshuffle, ChannelShuffle,
CosineSimilarity, PairwiseDistance, pdist, cdist, Softmax2d (values, gradients, gradchecks, errors)."""

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


# ---- pixel / channel shuffle -----------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize(
    "name,arg,shape",
    [
        ("pixel_shuffle", 2, (2, 8, 2, 3)),
        ("pixel_shuffle", 3, (9, 1, 2)),
        ("pixel_shuffle", 1, (2, 1, 3, 2, 2)),
        ("pixel_shuffle", 2, (2, 1, 4, 1, 2)),
        ("pixel_unshuffle", 2, (2, 2, 4, 6)),
        ("pixel_unshuffle", 3, (1, 3, 3)),
        ("pixel_unshuffle", 2, (2, 1, 1, 2, 4)),
        ("channel_shuffle", 3, (2, 6, 3)),
        ("channel_shuffle", 2, (1, 4, 2, 3)),
        ("channel_shuffle", 1, (2, 3, 2, 1, 2)),
    ],
    ids=str,
)
def test_shuffles_match_torch(device, name, arg, shape):
    check_op([shape], lambda t: getattr(F, name)(t, arg), lambda t: getattr(TF, name)(t, arg), device=device)
    layer = {"pixel_shuffle": "PixelShuffle", "pixel_unshuffle": "PixelUnshuffle"}.get(name, "ChannelShuffle")
    ours, theirs = getattr(nn, layer)(arg), getattr(torch.nn, layer)(arg)
    check_op([shape], ours, theirs, device=device, gradcheck=False, noncontig=True)
    assert repr(ours) == repr(theirs)


def test_pixel_shuffle_roundtrip_and_errors(device):
    x = A.randn(2, 12, 3, 4, device=device)
    np.testing.assert_array_equal(to_numpy(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2)), to_numpy(x))
    with pytest.raises(
        RuntimeError, match=r"pixel_shuffle: .*channel dim \(size 12.*upscale_factor\*\*2 = 9"
    ):
        F.pixel_shuffle(x, 3)
    with pytest.raises(RuntimeError, match="pixel_unshuffle: .*divisible by downscale_factor = 3"):
        F.pixel_unshuffle(x, 3)
    with pytest.raises(RuntimeError, match="pixel_shuffle: expects a positive upscale_factor, but got 0"):
        nn.PixelShuffle(0)(x)
    with pytest.raises(RuntimeError, match=r"pixel_unshuffle: .*at least 3 dimensions.*\(3, 4\)"):
        F.pixel_unshuffle(x[0, 0], 1)
    with pytest.raises(RuntimeError, match="channel_shuffle: number of channels must be divisible by groups"):
        nn.ChannelShuffle(5)(x)
    with pytest.raises(RuntimeError, match=r"channel_shuffle: expects input with > 2 dims"):
        F.channel_shuffle(x[0, 0], 2)
    with pytest.raises(TypeError, match="channel_shuffle: groups must be an int"):
        F.channel_shuffle(x, 2.0)


# ---- distances ------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize(
    "kw,shapes",
    [
        ({}, [(4, 5), (4, 5)]),
        ({"dim": 0}, [(3, 4), (3, 1)]),
        ({"dim": -1, "eps": 0.5}, [(2, 3, 4), (4,)]),
    ],
    ids=str,
)
def test_cosine_similarity_matches_torch(device, kw, shapes):
    check_op(shapes, nn.CosineSimilarity(**kw), torch.nn.CosineSimilarity(**kw), device=device)


@needs_torch
def test_cosine_similarity_eps_clamps_small_norms(device):
    """Near-zero vectors: norms are clamped to eps in value, the gradient flows through the norm (torch's)."""
    x1 = np.array([[1e-5, -2e-5, 1e-5], [1.0, 2.0, 3.0]])
    x2 = np.array([[3.0, 1.0, -1.0], [2e-9, 1e-9, 0.0]])
    check_op(
        [x1, x2],
        lambda a, b: F.cosine_similarity(a, b, eps=1e-3),
        lambda a, b: TF.cosine_similarity(a, b, eps=1e-3),
        device=device,
        gradcheck=False,
    )


@needs_torch
@pytest.mark.parametrize(
    "kw,shapes",
    [
        ({}, [(4, 5), (4, 5)]),
        ({"p": 1.0, "keepdim": True}, [(3, 4), (1, 4)]),
        ({"p": 3.0, "eps": 1e-2}, [(2, 3, 4), (4,)]),
        ({"p": float("inf")}, [(5,), (5,)]),
    ],
    ids=str,
)
def test_pairwise_distance_matches_torch(device, kw, shapes):
    check_op(shapes, nn.PairwiseDistance(**kw), torch.nn.PairwiseDistance(**kw), device=device)


@needs_torch
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf"), 0.0])
def test_pdist_matches_torch(device, p):
    check_op(
        [(5, 3)],
        lambda t: F.pdist(t, p),
        lambda t: TF.pdist(t, p),
        device=device,
        grad=p != 0.0,
        gradcheck=p not in (0.0, 1.0),
    )


@needs_torch
@pytest.mark.parametrize(
    "p,shapes",
    [
        (2.0, [(4, 3), (5, 3)]),
        (1.0, [(2, 3, 2), (2, 4, 2)]),
        (3.0, [(2, 1, 3, 2), (3, 2, 2)]),
        (float("inf"), [(3, 2), (1, 3, 2)]),
        (0.7, [(3, 2), (2, 2)]),
    ],
    ids=str,
)
def test_cdist_matches_torch(device, p, shapes):
    check_op(shapes, lambda a, b: A.cdist(a, b, p), lambda a, b: torch.cdist(a, b, p), device=device)


@needs_torch
@pytest.mark.parametrize("p", [2.0, 3.0])
def test_distances_have_zero_gradient_at_zero_distance(device, p):
    """Identical rows: torch's subgradient 0, never NaN; and double backward works."""
    data = np.array([[1.0, 2.0], [1.0, 2.0], [0.5, -1.0]])
    x = A.tensor(data, device=device, requires_grad=True)
    (F.pdist(x, p).sum() + A.cdist(x, x, p).sum()).backward()
    t = torch.tensor(data, requires_grad=True)
    (TF.pdist(t, p).sum() + torch.cdist(t, t, p).sum()).backward()
    np.testing.assert_allclose(to_numpy(x.grad), t.grad.numpy(), rtol=1e-6, atol=1e-9)
    y = A.tensor(data + np.arange(6).reshape(3, 2) * 0.1, device=device, requires_grad=True)
    assert A.gradgradcheck(lambda a: F.pdist(a, p), (y,))


def test_distance_errors(device):
    x = A.randn(3, 4, device=device)
    with pytest.raises(RuntimeError, match=r"pdist: only supports 2-D .*\(1, 3, 4\)"):
        F.pdist(x.unsqueeze(0))
    with pytest.raises(RuntimeError, match="pdist: only supports non-negative p"):
        F.pdist(x, -1.0)
    with pytest.raises(RuntimeError, match="pdist: only supports floating-point dtypes"):
        F.pdist(A.ones(3, 2, dtype=A.int64, device=device))
    with pytest.raises(
        RuntimeError, match=r"cdist: x1 and x2 must have the same number of columns.*\(2, 5\)"
    ):
        A.cdist(x, A.randn(2, 5, device=device))
    with pytest.raises(RuntimeError, match="cdist: only supports at least 2-D"):
        A.cdist(x[0], x)
    with pytest.raises(RuntimeError, match="cdist: the batch dims"):
        A.cdist(A.randn(2, 3, 4, device=device), A.randn(3, 3, 4, device=device))
    assert F.pdist(x[:1]).shape == (0,)


# ---- Softmax2d ------------------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("shape", [(2, 3, 4, 2), (3, 2, 2)])
def test_softmax2d_matches_torch(device, shape):
    check_op([shape], nn.Softmax2d(), torch.nn.Softmax2d(), device=device)
    with pytest.raises(ValueError, match=r"Softmax2d: expected input to be 3D or 4D.*\(2, 3\)"):
        nn.Softmax2d()(A.randn(2, 3, device=device))


# ---- RMSNorm / LocalResponseNorm -----------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize(
    "args,kw,shape",
    [
        ((4,), {}, (3, 4)),
        (((2, 3),), {"eps": 1e-2}, (2, 2, 3)),
        ([3], {"elementwise_affine": False}, (2, 3)),
        ((5,), {"eps": 0.5}, (5,)),
    ],
    ids=str,
)
def test_rms_norm_matches_torch(device, args, kw, shape):
    ours, theirs = nn.RMSNorm(*args, **kw), torch.nn.RMSNorm(*args, **kw)
    assert ours.extra_repr() == theirs.extra_repr()
    if ours.weight is not None:
        w = np.random.default_rng(1).uniform(0.5, 1.5, ours.weight.shape)
        check_op(
            [shape, w],
            lambda x, w: F.rms_norm(x, ours.normalized_shape, w, kw.get("eps")),
            lambda x, w: TF.rms_norm(x, list(ours.normalized_shape), w, kw.get("eps")),
            device=device,
        )
    ours.to(device)
    check_op([shape], ours, theirs, device=device, gradcheck=False)


def test_rms_norm_default_eps_is_dtype_eps_and_errors(device):
    x = A.zeros(2, 3, device=device, dtype=A.float64)
    x64 = x + 1e-9
    want = 1e-9 / np.sqrt(1e-18 + np.finfo(np.float64).eps)
    np.testing.assert_allclose(to_numpy(F.rms_norm(x64, (3,))), want, rtol=1e-6)
    assert F.rms_norm(x.float(), [3]).dtype == A.float32
    with pytest.raises(RuntimeError, match=r"rms_norm: given normalized_shape=\[4\].*\(2, 3\)"):
        nn.RMSNorm(4).to(device)(x)
    with pytest.raises(RuntimeError, match=r"rms_norm: expected weight of shape \(3,\)"):
        F.rms_norm(x, 3, A.ones(2, device=device, dtype=A.float64))
    y = A.randn(2, 3, 4, dtype=A.float64, device=device, requires_grad=True)
    w = A.rand(4, dtype=A.float64, device=device, requires_grad=True)
    assert A.gradgradcheck(lambda a, b: F.rms_norm(a, 4, b), (y, w))


@needs_torch
@pytest.mark.parametrize(
    "args,shape",
    [((2,), (2, 5, 3)), ((3, 1e-2, 0.5, 2.0), (2, 4, 3, 2)), ((5, 0.1), (1, 3, 2, 1, 2)), ((1,), (2, 2, 3))],
    ids=str,
)
def test_local_response_norm_matches_torch(device, args, shape):
    ours, theirs = nn.LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args)
    assert repr(ours) == repr(theirs)
    check_op([shape], ours, theirs, device=device)
    with pytest.raises(ValueError, match=r"local_response_norm: expected 3D or higher.*\(2, 3\)"):
        F.local_response_norm(A.randn(2, 3, device=device), 2)


# ---- RReLU / gumbel_softmax (random: statistics, reproducibility, gradients) ----------------------------
@needs_torch
@pytest.mark.parametrize("lower,upper", [(1.0 / 8, 1.0 / 3), (0.1, 0.1), (-0.5, 0.25)])
def test_rrelu_eval_matches_torch(device, lower, upper):
    check_op([(3, 5)], lambda t: F.rrelu(t, lower, upper), lambda t: TF.rrelu(t, lower, upper), device=device)
    m, tm = nn.RReLU(lower, upper).eval(), torch.nn.RReLU(lower, upper).eval()
    check_op([(2, 3, 4)], m, tm, device=device, gradcheck=False)
    assert repr(m) == repr(tm)


def test_rrelu_training_statistics_and_grad(device):
    x = A.tensor(-np.linspace(0.5, 2.0, 4000), device=device, requires_grad=True)
    A.manual_seed(7)
    y = nn.RReLU(0.1, 0.3)(x)
    slope = to_numpy(y) / to_numpy(x)
    assert slope.min() >= 0.1 and slope.max() <= 0.3
    assert abs(slope.mean() - 0.2) < 0.005 and abs(np.median(slope) - 0.2) < 0.01
    assert abs(np.quantile(slope, 0.25) - 0.15) < 0.01 and slope.std() > 0.05
    y.sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), slope, rtol=1e-12)
    A.manual_seed(7)
    np.testing.assert_array_equal(to_numpy(F.rrelu(x.detach(), 0.1, 0.3, training=True)), to_numpy(y))
    pos = A.tensor([0.5, 2.0], device=device)
    np.testing.assert_array_equal(to_numpy(F.rrelu(pos, training=True)), [0.5, 2.0])
    z = A.tensor([-1.0, 3.0], device=device)
    assert F.rrelu_(z, 0.2, 0.2, training=True) is z and to_numpy(z).tolist() == pytest.approx([-0.2, 3.0])
    with pytest.raises(RuntimeError, match="rrelu: lower bound should be less than or equal"):
        F.rrelu(x, 0.5, 0.2)


def test_rrelu_training_gradgradcheck(device):
    x = A.randn(3, 4, dtype=A.float64, device=device, requires_grad=True)

    def fn(t):
        A.manual_seed(3)
        return F.rrelu(t, training=True) ** 2

    assert A.gradcheck(fn, (x,)) and A.gradgradcheck(fn, (x,))


def test_gumbel_softmax_statistics(device):
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    logits = A.tensor(np.tile(np.log(probs), (6000, 1)), device=device)
    A.manual_seed(1)
    hard = to_numpy(F.gumbel_softmax(logits, tau=0.7, hard=True))
    assert set(np.unique(hard).tolist()) == {0.0, 1.0} and (hard.sum(1) == 1).all()
    np.testing.assert_allclose(hard.mean(0), probs, atol=0.02)  # hard samples follow softmax(logits)
    soft = to_numpy(F.gumbel_softmax(logits, tau=0.7))
    np.testing.assert_allclose(soft.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose((soft.argmax(1)[:, None] == np.arange(4)).mean(0), probs, atol=0.02)
    cold = to_numpy(F.gumbel_softmax(logits[:100], tau=0.01))
    assert (cold.max(1) > 0.99).mean() > 0.9  # low temperature: nearly one-hot
    along0 = to_numpy(F.gumbel_softmax(logits[:5].T, hard=True, dim=0))
    assert (along0.sum(0) == 1).all()


def test_gumbel_softmax_reproducible_and_straight_through(device):
    x = A.randn(3, 5, dtype=A.float64, device=device, requires_grad=True)

    def soft(t):
        A.manual_seed(11)
        return F.gumbel_softmax(t, tau=0.5)

    def hard(t):
        A.manual_seed(11)
        return F.gumbel_softmax(t, tau=0.5, hard=True)

    np.testing.assert_array_equal(to_numpy(soft(x)), to_numpy(soft(x)))
    assert A.gradcheck(soft, (x,)) and A.gradgradcheck(soft, (x,))
    np.testing.assert_array_equal(to_numpy(hard(x).argmax(1)), to_numpy(soft(x).argmax(1)))
    w = A.randn(3, 5, dtype=A.float64, device=device)
    (gh,) = A.grad((hard(x) * w).sum(), x)
    (gs,) = A.grad((soft(x) * w).sum(), x)
    np.testing.assert_allclose(to_numpy(gh), to_numpy(gs), rtol=1e-12)
    with pytest.raises(ValueError, match="gumbel_softmax: tau must be positive"):
        F.gumbel_softmax(x, tau=0)


@needs_torch
def test_noncontiguous_inputs_and_lrn_double_backward(device):
    check_op(
        [(2, 4, 3)],
        lambda t: F.rms_norm(t, [3]),
        lambda t: TF.rms_norm(t, [3]),
        device=device,
        noncontig=True,
    )
    check_op(
        [(2, 3, 4)], nn.LocalResponseNorm(2), torch.nn.LocalResponseNorm(2), device=device, noncontig=True
    )
    check_op([(2, 3, 4)], lambda t: F.pdist(t[0]), lambda t: TF.pdist(t[0]), device=device, noncontig=True)
    x = A.randn(1, 4, 3, dtype=A.float64, device=device, requires_grad=True)
    assert A.gradgradcheck(lambda t: F.local_response_norm(t, 3, alpha=0.5), (x,))
