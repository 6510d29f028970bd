"""Losses, functional and modules: values and gradients against PyTorch for every reduction and option,
float64 gradcheck, stability for extreme logits, clear errors for invalid targets, double backward."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op, to_numpy

import autograd as A
import nn
import nn.functional as F

if HAVE_TORCH:
    import torch
    import torch.nn.functional as tF
else:  # pragma: no cover - depends on the environment
    torch = tF = None

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(0)
W5 = RNG.uniform(0.5, 2.0, 5).astype(np.float32)  # class weights for C = 5
PW5 = RNG.uniform(0.5, 3.0, 5).astype(np.float32)
PROB = RNG.uniform(0.05, 0.95, (4, 5))  # probabilities strictly inside (0, 1)
BIN = RNG.uniform(0.0, 1.0, (4, 5))  # soft binary targets
BIN32 = BIN.astype(np.float32)
IDX = np.array([0, 3, 4, 1])
IDX_IGN = np.array([0, -100, 4, 1])
IDX_ND = RNG.integers(0, 5, (2, 3, 2))
SIGNS = np.array([1, -1, -1, 1])
COUNTS = RNG.poisson(2.0, (4, 5)).astype(np.float32)
PROBS_T = RNG.dirichlet(np.ones(5), 4)  # class-probability targets (rows sum to 1)
POS = RNG.uniform(0.1, 1.0, (4, 5))


def run(device, shapes, build, reduction, **kw):
    """check_op with ``build(F, const)``: ``const`` makes a constant tensor for our library or for torch."""
    ours = build(F, lambda a: A.tensor(a, device=device), reduction)
    ref = build(tF, torch.tensor, reduction) if HAVE_TORCH else None
    check_op(shapes, ours, ref, device=device, **kw)


CASES = {
    "mse": ([(4, 5), (4, 5)], lambda f, c, r: lambda x, y: f.mse_loss(x, y, reduction=r)),
    "mse_weight": (
        [(4, 5), (4, 5)],
        lambda f, c, r: lambda x, y: f.mse_loss(x, y, reduction=r, weight=c(BIN32)),
    ),
    "l1": ([(4, 5), (4, 5)], lambda f, c, r: lambda x, y: f.l1_loss(x, y, reduction=r)),
    "l1_weight": (
        [(4, 5), (4, 5)],
        lambda f, c, r: lambda x, y: f.l1_loss(x, y, reduction=r, weight=c(BIN32)),
    ),
    "smooth_l1": (
        [(4, 5), (4, 5)],
        lambda f, c, r: lambda x, y: f.smooth_l1_loss(x, y, reduction=r, beta=0.5),
    ),
    "smooth_l1_beta0": (
        [(4, 5), (4, 5)],
        lambda f, c, r: lambda x, y: f.smooth_l1_loss(x, y, reduction=r, beta=0.0),
    ),
    "huber": ([(4, 5), (4, 5)], lambda f, c, r: lambda x, y: f.huber_loss(x, y, reduction=r, delta=0.7)),
    "huber_weight": (
        [(4, 5), (4, 5)],
        lambda f, c, r: lambda x, y: f.huber_loss(x, y, reduction=r, delta=1.5, weight=c(BIN32)),
    ),
    "bce": ([PROB, BIN], lambda f, c, r: lambda x, y: f.binary_cross_entropy(x, y, reduction=r)),
    "bce_weight": (
        [PROB, BIN],
        lambda f, c, r: lambda x, y: f.binary_cross_entropy(x, y, weight=c(W5), reduction=r),
    ),
    "bce_logits": (
        [(4, 5), BIN],
        lambda f, c, r: lambda x, y: f.binary_cross_entropy_with_logits(x, y, reduction=r),
    ),
    "bce_logits_weights": (
        [(4, 5), BIN],
        lambda f, c, r: (
            lambda x, y: f.binary_cross_entropy_with_logits(
                x, y, weight=c(W5), pos_weight=c(PW5), reduction=r
            )
        ),
    ),
    "ce": ([(4, 5), IDX], lambda f, c, r: lambda x, t: f.cross_entropy(x, t, reduction=r)),
    "ce_weight_ignore": (
        [(4, 5), IDX_IGN],
        lambda f, c, r: lambda x, t: f.cross_entropy(x, t, weight=c(W5), reduction=r),
    ),
    "ce_smoothing": (
        [(4, 5), IDX_IGN],
        lambda f, c, r: lambda x, t: f.cross_entropy(x, t, reduction=r, label_smoothing=0.2),
    ),
    "ce_all_options_nd": (
        [(2, 5, 3, 2), IDX_ND],
        lambda f, c, r: (
            lambda x, t: f.cross_entropy(
                x, t, weight=c(W5), ignore_index=2, reduction=r, label_smoothing=0.15
            )
        ),
    ),
    "ce_1d": ([(5,), np.array(3)], lambda f, c, r: lambda x, t: f.cross_entropy(x, t, reduction=r)),
    "ce_probs": ([(4, 5), PROBS_T], lambda f, c, r: lambda x, p: f.cross_entropy(x, p, reduction=r)),
    "ce_probs_options": (
        [(2, 5, 3), np.ascontiguousarray(RNG.dirichlet(np.ones(5), (2, 3)).transpose(0, 2, 1))],
        lambda f, c, r: lambda x, p: f.cross_entropy(x, p, weight=c(W5), reduction=r, label_smoothing=0.1),
    ),
    "nll": ([(4, 5), IDX_IGN], lambda f, c, r: lambda x, t: f.nll_loss(f.log_softmax(x, 1), t, reduction=r)),
    "nll_weight_nd": (
        [(2, 5, 3, 2), IDX_ND],
        lambda f, c, r: lambda x, t: f.nll_loss(x, t, weight=c(W5), ignore_index=1, reduction=r),
    ),
    "kl": ([(4, 5), POS], lambda f, c, r: lambda x, t: f.kl_div(f.log_softmax(x, 1), t, reduction=r)),
    "kl_log_target": (
        [(4, 5), (4, 5)],
        lambda f, c, r: lambda x, t: f.kl_div(x, t, reduction=r, log_target=True),
    ),
    "cosine_embedding": (
        [(4, 5), (4, 5), SIGNS],
        lambda f, c, r: lambda a, b, y: f.cosine_embedding_loss(a, b, y, margin=0.2, reduction=r),
    ),
    "cosine_embedding_1d": (
        [(5,), (5,), np.array(-1)],
        lambda f, c, r: lambda a, b, y: f.cosine_embedding_loss(a, b, y, margin=-0.5, reduction=r),
    ),
    "margin_ranking": (
        [(4,), (4,), SIGNS.astype(np.float64)],
        lambda f, c, r: lambda a, b, y: f.margin_ranking_loss(a, b, y, margin=0.3, reduction=r),
    ),
    "hinge_embedding": (
        [(4, 5), np.sign(RNG.standard_normal((4, 5))).astype(np.int64)],
        lambda f, c, r: lambda x, y: f.hinge_embedding_loss(x, y, margin=1.5, reduction=r),
    ),
    "triplet": (
        [(4, 5), (4, 5), (4, 5)],
        lambda f, c, r: lambda a, p, n: f.triplet_margin_loss(a, p, n, reduction=r),
    ),
    "triplet_p1_swap": (
        [(4, 5), (4, 5), (4, 5)],
        lambda f, c, r: (
            lambda a, p, n: f.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True, reduction=r)
        ),
    ),
    "triplet_p3_swap": (
        [(4, 5), (4, 5), (4, 5)],
        lambda f, c, r: lambda a, p, n: f.triplet_margin_loss(a, p, n, p=3, swap=True, reduction=r),
    ),
    "soft_margin": (
        [(4, 5)],
        lambda f, c, r: lambda x: f.soft_margin_loss(x, c(np.sign(BIN32 - 0.5)), reduction=r),
    ),
    "multilabel_soft_margin": (
        [(4, 5), (BIN > 0.5).astype(np.float64)],
        lambda f, c, r: lambda x, y: f.multilabel_soft_margin_loss(x, y, weight=c(W5), reduction=r),
    ),
    "poisson_nll": (
        [(4, 5)],
        lambda f, c, r: lambda x: f.poisson_nll_loss(x, c(COUNTS), full=True, reduction=r),
    ),
    "poisson_nll_rate": (
        [POS],
        lambda f, c, r: lambda x: f.poisson_nll_loss(x, c(COUNTS), log_input=False, reduction=r),
    ),
    "gaussian_nll": (
        [(4, 5), (4, 5), POS],
        lambda f, c, r: lambda x, y, v: f.gaussian_nll_loss(x, y, v, full=True, reduction=r),
    ),
    "gaussian_nll_homoscedastic": (
        [(4, 5), (4, 5), POS[:, 0] * 1e-7],  # below eps: clamped in value, gradient passed through
        lambda f, c, r: lambda x, y, v: f.gaussian_nll_loss(x, y, v, reduction=r),
    ),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_matches_torch(device, name, reduction):
    shapes, build = CASES[name]
    kw = {}
    if name == "gaussian_nll_homoscedastic":
        kw = {"gradcheck": False}  # the clamp makes the variance a constant at finite-difference scale
    if name.startswith("kl") and reduction == "mean":
        kw["rtol"] = 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kl_div's 'mean' warning, in torch and here
        run(device, shapes, build, reduction, **kw)


def test_kl_batchmean_and_warning(device):
    x = F.log_softmax(A.randn(4, 5, device=device), 1)
    t = F.softmax(A.randn(4, 5, device=device), 1)
    total = F.kl_div(x, t, reduction="sum")
    assert np.isclose(F.kl_div(x, t, reduction="batchmean").item(), total.item() / 4, rtol=1e-6)
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)
    # 0 * log 0 = 0
    z = A.zeros(4, 5, device=device)
    assert F.kl_div(x, z, reduction="sum").item() == 0.0
    x64 = A.tensor(to_numpy(x), device=device, dtype=A.float64, requires_grad=True)
    assert A.gradcheck(lambda a: F.kl_div(a, t.double(), reduction="batchmean"), (x64,))


# ---- cross-entropy: the fused primitive vs its composite definition, without torch -------------------------


def test_cross_entropy_matches_composite(device):
    rng = np.random.default_rng(3)
    x = A.tensor(rng.standard_normal((6, 4, 3)), device=device, requires_grad=True)
    t = A.tensor(rng.integers(0, 4, (6, 3)), device=device)
    t[0, 0] = -100
    w = A.tensor(rng.uniform(0.5, 2, 4), device=device)
    for ls in (0.0, 0.3):
        for red in REDUCTIONS:
            fused = F.cross_entropy(x, t, weight=w, reduction=red, label_smoothing=ls)
            logp = F.log_softmax(x, 1)
            nll = F.nll_loss(logp, t, weight=w, reduction="none")
            smooth = -(logp * w.reshape(4, 1)).sum(1) * (t != -100).to(x.dtype)
            per = nll * (1 - ls) + smooth * (ls / 4)
            wsum = (w[t.clamp(min=0)] * (t != -100).to(x.dtype)).sum()
            ref = {"none": per, "sum": per.sum(), "mean": per.sum() / wsum}[red]
            assert np.allclose(to_numpy(fused), to_numpy(ref), atol=1e-10)
            g1 = A.grad(fused.sum(), x)[0]
            g2 = A.grad(ref.sum(), x)[0]
            assert np.allclose(to_numpy(g1), to_numpy(g2), atol=1e-10)


@pytest.mark.parametrize("shape", [(6, 4), (5, 70), (1, 3)])  # few classes (transposed kernel), many, one row
def test_cross_entropy_dense_path_matches_masked_path(device, shape):
    # every target in range and no ignore/weight/smoothing takes the lean kernels; an in-range ignore_index
    # that no target hits takes them too; both must equal the general (masked) kernels and the composite
    rng = np.random.default_rng(7)
    n, c = shape
    xa = rng.standard_normal(shape) * 4
    t = A.tensor(rng.integers(0, c, n), device=device)
    for order in ("C", "F"):  # a transposed input must be read, never written
        x = A.tensor(np.asarray(xa, order=order), device=device, requires_grad=True)
        before = to_numpy(x).copy()
        for red in REDUCTIONS:
            up = A.tensor(rng.standard_normal(() if red != "none" else (n,)), device=device)
            dense = F.cross_entropy(x, t, reduction=red)
            masked = F.cross_entropy(x, t, weight=A.ones(c, device=device, dtype=A.float64), reduction=red)
            logp = F.log_softmax(x, 1)
            per = -logp.gather(1, t.reshape(-1, 1)).reshape(-1)
            ref = {"none": per, "sum": per.sum(), "mean": per.mean()}[red]
            assert dense.grad_fn.dense and not masked.grad_fn.dense  # the lean kernels ran
            for other in (masked, ref):
                assert np.allclose(to_numpy(dense), to_numpy(other), atol=1e-12)
            g = A.grad(dense, x, up, retain_graph=True)[0]
            g_again = A.grad(dense, x, up, retain_graph=True)[0]  # the saved state is not consumed
            g_graph = A.grad(dense, x, up, create_graph=True)[0]  # the Tensor-op backward
            g_ref = A.grad(ref, x, up)[0]
            for other in (g_again, g_graph.detach(), g_ref):
                assert np.allclose(to_numpy(g), to_numpy(other), atol=1e-12)
            assert g.is_contiguous()
        np.testing.assert_array_equal(to_numpy(x), before)
    if n > 1:  # ignore_index inside [0, C): samples of that class are ignored, the others count
        hit = int(to_numpy(t)[0])
        got = F.cross_entropy(A.tensor(xa, device=device), t, ignore_index=hit)
        keep = to_numpy(t) != hit
        want = -to_numpy(F.log_softmax(A.tensor(xa, device=device), 1))[np.arange(n), to_numpy(t)][
            keep
        ].mean()
        assert np.allclose(to_numpy(got), want, atol=1e-12)
    assert A.gradgradcheck(
        lambda a: F.cross_entropy(a, t), (A.tensor(xa, device=device, requires_grad=True),)
    )


def test_cross_entropy_common_call_edges(device):
    # the common call (mean/sum, class indices, no weight or smoothing) has a short path: it must hand
    # everything unusual to the checked path and record the same node
    rng = np.random.default_rng(9)
    xa = rng.standard_normal((6, 4))
    x = A.tensor(xa, device=device, requires_grad=True)
    t = rng.integers(0, 4, 6)
    logp = xa - np.log(np.exp(xa).sum(1, keepdims=True))
    for dt in (A.int64, A.int32, A.uint8):
        got = F.cross_entropy(x, A.tensor(t, device=device, dtype=dt), reduction="sum")
        assert got.grad_fn.name() == "CrossEntropyBackward" and got.grad_fn.dense
        assert np.isclose(float(got), -logp[np.arange(6), t].sum())
    assert F.cross_entropy(x.detach(), A.tensor(t, device=device)).grad_fn is None
    with A.no_grad():
        assert not F.cross_entropy(x, A.tensor(t, device=device)).requires_grad
    bad = t.copy()
    bad[2] = 4
    with pytest.raises(IndexError, match="target class index 4 is out of range"):
        F.cross_entropy(x, A.tensor(bad, device=device))
    bad[2] = -100  # the default ignore_index: that sample is left out of the mean
    got = F.cross_entropy(x, A.tensor(bad, device=device))
    keep = np.arange(6) != 2
    assert np.isclose(float(got), -logp[np.arange(6)[keep], t[keep]].mean())
    with pytest.raises(ValueError, match="expected target of shape"):
        F.cross_entropy(x, A.tensor(t[:5], device=device))
    with pytest.raises(RuntimeError, match="integer dtype"):
        F.cross_entropy(x, A.tensor(t > 1, device=device))
    y = F.cross_entropy(x, A.tensor(t, device=device))
    with A.no_grad():
        x.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_cross_entropy_dense_float32_matches_torch(device):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((128, 10)).astype(np.float32) * 3
    t = rng.integers(0, 10, 128)
    for red in REDUCTIONS:
        xa = A.tensor(x, device=device, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        ours = F.cross_entropy(xa, A.tensor(t, device=device), reduction=red)
        ref = tF.cross_entropy(xt, torch.tensor(t), reduction=red)
        assert ours.dtype == A.float32
        np.testing.assert_allclose(to_numpy(ours), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
        up = rng.standard_normal(ref.shape).astype(np.float32)
        ours.backward(A.tensor(up, device=device))
        ref.backward(torch.tensor(up))
        np.testing.assert_allclose(to_numpy(xa.grad), xt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_raw_and_tensor_backward_agree(device):
    rng = np.random.default_rng(4)
    x = A.tensor(rng.standard_normal((5, 4)), device=device, requires_grad=True)
    t = A.tensor([0, 3, -100, 1, 2], device=device)
    w = A.tensor(rng.uniform(0.5, 2, 4), device=device)
    for red in REDUCTIONS:
        loss = F.cross_entropy(x, t, weight=w, reduction=red, label_smoothing=0.1)
        up = A.tensor(rng.standard_normal(loss.shape), device=device)
        raw = A.grad(loss, x, up, retain_graph=True)[0]  # raw kernel path
        graph = A.grad(loss, x, up, create_graph=True)[0]  # Tensor-op path
        assert np.allclose(to_numpy(raw), to_numpy(graph.detach()), atol=1e-12)


def test_double_backward(device):
    rng = np.random.default_rng(5)
    x = A.tensor(rng.standard_normal((3, 4)), device=device, requires_grad=True)
    t = A.tensor([1, -100, 3], device=device)
    w = A.tensor([0.5, 1.0, 2.0, 1.5], device=device, dtype=A.float64)
    for red in REDUCTIONS:
        fn = lambda a, r=red: F.cross_entropy(a, t, w, reduction=r, label_smoothing=0.2)  # noqa: E731
        assert A.gradgradcheck(fn, (x,))
    p = A.tensor(rng.uniform(0.1, 0.9, (3, 4)), device=device, requires_grad=True)
    y = A.tensor(rng.uniform(0, 1, (3, 4)), device=device, requires_grad=True)
    assert A.gradgradcheck(lambda a, b: F.binary_cross_entropy(a, b), (p, y))
    assert A.gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, y.detach()), (x,))


def test_all_ignored_gives_nan_and_zero_grad(device):
    x = A.randn(3, 4, device=device, requires_grad=True)
    t = A.tensor([-100, -100, -100], device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (F.cross_entropy, lambda a, b: F.nll_loss(F.log_softmax(a, 1), b)):
            x.grad = None
            loss = fn(x, t)
            assert np.isnan(loss.item())
            loss.backward()
            assert np.all(to_numpy(x.grad) == 0)
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


# ---- stability for extreme logits ------------------------------------------------------------------------

EXTREME = np.array([[1e4, -1e4, 0.0, 5.0], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, -1e4, 3.0]], dtype=np.float32)

STABLE = {
    "cross_entropy": lambda f, c: lambda x: f.cross_entropy(x, c(np.array([1, 2, 2]))),
    "cross_entropy_options": lambda f, c: (
        lambda x: f.cross_entropy(
            x,
            c(np.array([1, -100, 2])),
            weight=c(np.float32([1, 2, 3, 4])),
            label_smoothing=0.1,
            reduction="sum",
        )
    ),
    "cross_entropy_probs": lambda f, c: lambda x: f.cross_entropy(x, c(np.full((3, 4), 0.25, np.float32))),
    "nll_log_softmax": lambda f, c: lambda x: f.nll_loss(f.log_softmax(x, 1), c(np.array([1, 2, 3]))),
    "bce_with_logits": lambda f, c: (
        lambda x: f.binary_cross_entropy_with_logits(
            x, c((EXTREME < 0).astype(np.float32)), pos_weight=c(np.float32([1, 2, 3, 0.5]))
        )
    ),
    "kl_log_softmax": lambda f, c: (
        lambda x: f.kl_div(f.log_softmax(x, 1), f.log_softmax(-x, 1), reduction="batchmean", log_target=True)
    ),
    "soft_margin": lambda f, c: lambda x: f.soft_margin_loss(x, c(np.sign(EXTREME + 0.5))),
    "multilabel_soft_margin": lambda f, c: (
        lambda x: f.multilabel_soft_margin_loss(x, c((EXTREME > 0).astype(np.float32)))
    ),
}


@pytest.mark.parametrize("name", sorted(STABLE))
def test_extreme_logits_are_stable(device, name):
    build = STABLE[name]
    x = A.tensor(EXTREME, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = build(F, lambda a: A.tensor(a, device=device))(x)
        loss.backward()
    assert np.all(np.isfinite(to_numpy(loss))) and np.all(np.isfinite(to_numpy(x.grad)))
    if HAVE_TORCH and name != "soft_margin":  # torch's soft margin overflows to inf here; ours stays finite
        xt = torch.tensor(EXTREME, requires_grad=True)
        lt = build(tF, torch.tensor)(xt)
        lt.backward()
        assert np.allclose(to_numpy(loss), to_numpy(lt), rtol=1e-5)
        assert np.allclose(to_numpy(x.grad), to_numpy(xt.grad), rtol=1e-4, atol=1e-6)


def test_soft_margin_extreme_is_finite(device):
    x = A.tensor([1e4, -1e4], device=device, requires_grad=True)
    loss = F.soft_margin_loss(x, A.tensor([-1.0, 1.0], device=device), reduction="sum")
    loss.backward()
    assert np.isclose(loss.item(), 2e4) and np.allclose(to_numpy(x.grad), [1, -1])


def test_bce_saturated_probabilities(device):
    p = np.float32([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.float32([0.0, 1.0, 1.0, 0.0, 1.0])
    x = A.tensor(p, device=device, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(x, A.tensor(y, device=device), reduction="none")
        loss.sum().backward()
    assert np.allclose(to_numpy(loss), [0, 0, 100, 100, np.log(2)], atol=1e-6)  # logs clamped at -100
    assert np.all(np.isfinite(to_numpy(x.grad)))
    if HAVE_TORCH:
        xt = torch.tensor(p, requires_grad=True)
        tF.binary_cross_entropy(xt, torch.tensor(y), reduction="none").sum().backward()
        assert np.allclose(to_numpy(x.grad), to_numpy(xt.grad), rtol=1e-5)


# ---- invalid inputs --------------------------------------------------------------------------------------


def test_invalid_class_targets(device):
    x = A.randn(4, 5, device=device)
    t = lambda v: A.tensor(v, device=device)  # noqa: E731
    for fn in (F.cross_entropy, F.nll_loss):
        name = "cross_entropy" if fn is F.cross_entropy else "nll_loss"
        with pytest.raises(
            IndexError, match=rf"{name}: target class index 5 is out of range .*\(4, 5\) with 5 "
        ):
            fn(x, t([0, 1, 5, 2]))
        with pytest.raises(IndexError, match=rf"{name}: target class index -1 is out of range"):
            fn(x, t([0, -1, 3, 2]))
        fn(x, t([0, -1, 3, 2]), ignore_index=-1)  # -1 is fine when it is the ignore_index
        with pytest.raises(
            ValueError, match=rf"{name}: expected target of shape \(4,\) .*\(4, 5\).*got \(3,\)"
        ):
            fn(x, t([0, 1, 2]))
        with pytest.raises(ValueError, match=rf"{name}: expected target of shape \(2, 3\)"):
            fn(A.randn(2, 5, 3, device=device), t([[0, 1], [2, 3]]))
        with pytest.raises(RuntimeError, match=rf"{name}: expected class-index targets of an integer dtype"):
            fn(x, t([True, False, True, False]))
        with pytest.raises(
            RuntimeError, match=rf"{name}: weight should be a 1-D tensor .*\(5\), got shape \(4,\)"
        ):
            fn(x, t([0, 1, 2, 3]), weight=A.ones(4, device=device))
        with pytest.raises(ValueError, match=rf"{name}: 'avg' is not a valid value for reduction"):
            fn(x, t([0, 1, 2, 3]), reduction="avg")
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: a floating-point target holds class probabilities .*\(4, 5\), got \(4,\)",
    ):
        F.cross_entropy(x, A.tensor([0.0, 1.0, 2.0, 3.0], device=device))
    with pytest.raises(ValueError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, t([0, 1, 2, 3]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"cross_entropy: expected input of shape \(C,\)"):
        F.cross_entropy(A.tensor(1.0, device=device), t(0))
    with pytest.raises(RuntimeError, match="cross_entropy: expected a floating-point input"):
        F.cross_entropy(t([[1, 2]]), t([0]))


def test_invalid_binary_and_regression_targets(device):
    p = A.rand(3, 4, device=device)
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: target of shape \(3, 1\) must have the same shape as the input \(3, 4\)",
    ):
        F.binary_cross_entropy(p, A.rand(3, 1, device=device))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: target of shape \(4,\)"):
        F.binary_cross_entropy_with_logits(p, A.rand(4, device=device))
    with pytest.raises(RuntimeError, match="binary_cross_entropy: expected a floating-point target .*int64"):
        F.binary_cross_entropy(p, A.ones(3, 4, dtype=A.int64, device=device))
    with pytest.raises(
        RuntimeError, match="binary_cross_entropy: all elements of input should be between 0 and 1"
    ):
        F.binary_cross_entropy(p + 1, A.rand(3, 4, device=device))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\) cannot be broadcast"):
        F.binary_cross_entropy_with_logits(p, p, pos_weight=A.ones(3, device=device))
    with pytest.raises(
        ValueError,
        match=r"mse_loss: target of shape \(3, 5\) cannot be broadcast to the input's shape \(3, 4\)",
    ):
        F.mse_loss(p, A.rand(3, 5, device=device))
    with pytest.warns(
        UserWarning,
        match=r"l1_loss: using a target size \(3, 1\) that is different to the input size \(3, 4\)",
    ):
        F.l1_loss(p, A.rand(3, 1, device=device))
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(p, p, beta=-1.0)
    with pytest.raises(ValueError, match=r"mse_loss: weight of shape \(4,\)"):
        F.mse_loss(p, p, weight=A.ones(4, device=device))
    with pytest.raises(TypeError, match="mse_loss: expected target to be a Tensor"):
        F.mse_loss(p, np.ones((3, 4)))
    with pytest.raises(RuntimeError, match="cosine_embedding_loss: expected a 0-D or 1-D target"):
        F.cosine_embedding_loss(p, p, A.ones(3, 1, device=device))
    with pytest.raises(RuntimeError, match="cosine_embedding_loss: a 1-D target expects 2-D inputs"):
        F.cosine_embedding_loss(p[0], p[0], A.ones(3, device=device))
    with pytest.raises(
        RuntimeError, match="margin_ranking_loss: all input tensors should have the same number"
    ):
        F.margin_ranking_loss(p, p, A.ones(3, device=device))
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0"):
        F.triplet_margin_loss(p, p, p, margin=0.0)
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative"):
        F.gaussian_nll_loss(p, p, -p)
    with pytest.raises(ValueError, match="gaussian_nll_loss: var of shape"):
        F.gaussian_nll_loss(p, p, A.ones(2, device=device))
    with pytest.raises(ValueError, match="kl_div: 'avg' is not a valid value"):
        F.kl_div(p, p, reduction="avg")


def test_int_targets_promote_like_torch(device):
    x = A.randn(3, 4, device=device)
    y = A.ones(3, 4, dtype=A.int64, device=device)
    assert F.mse_loss(x, y).dtype == A.float32
    assert np.isclose(F.mse_loss(x, y).item(), F.mse_loss(x, y.float()).item())


# ---- modules ---------------------------------------------------------------------------------------------

# (module, args, kwargs, functional call with the same options)
MODULES = [
    ("MSELoss", (), {"reduction": "sum"}, lambda a, b: F.mse_loss(a, b, reduction="sum")),
    ("L1Loss", (), {}, F.l1_loss),
    ("SmoothL1Loss", (), {"beta": 0.3}, lambda a, b: F.smooth_l1_loss(a, b, beta=0.3)),
    ("HuberLoss", (), {"delta": 0.4, "reduction": "none"}, lambda a, b: F.huber_loss(a, b, "none", 0.4)),
    ("BCEWithLogitsLoss", (), {}, F.binary_cross_entropy_with_logits),
    ("SoftMarginLoss", (), {}, F.soft_margin_loss),
    (
        "KLDivLoss",
        (),
        {"reduction": "batchmean", "log_target": True},
        lambda a, b: F.kl_div(a, b, None, None, "batchmean", True),
    ),
    ("PoissonNLLLoss", (), {"full": True}, lambda a, b: F.poisson_nll_loss(a, b.abs(), full=True)),
    ("HingeEmbeddingLoss", (), {"margin": 0.5}, lambda a, b: F.hinge_embedding_loss(a, b.sign(), 0.5)),
    ("MultiLabelSoftMarginLoss", (), {}, lambda a, b: F.multilabel_soft_margin_loss(a, (b > 0).float())),
]


@pytest.mark.parametrize("case", range(len(MODULES)))
def test_modules_match_functional(device, case):
    name, args, kwargs, fn = MODULES[case]
    m = getattr(nn, name)(*args, **kwargs)
    a = A.randn(3, 4, device=device)
    b = A.randn(3, 4, device=device)
    if name == "PoissonNLLLoss":
        b = b.abs()
    elif name == "HingeEmbeddingLoss":
        b = b.sign()
    elif name == "MultiLabelSoftMarginLoss":
        b = (b > 0).float()
    assert np.allclose(to_numpy(m(a, b)), to_numpy(fn(a, b)))
    if HAVE_TORCH:
        assert repr(m) == repr(getattr(torch.nn, name)(*args, **kwargs))


def test_weighted_modules_and_buffers(device):
    w = A.tensor(W5, device=device)
    x = A.randn(4, 5, device=device, requires_grad=True)
    t = A.tensor(IDX_IGN, device=device)
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=-100, label_smoothing=0.1, reduction="sum")
    assert "weight" in ce.state_dict() and ce.label_smoothing == 0.1
    assert np.isclose(ce(x, t).item(), F.cross_entropy(x, t, w, reduction="sum", label_smoothing=0.1).item())
    nll = nn.NLLLoss(weight=w, ignore_index=1)
    t2 = A.tensor(IDX, device=device)
    assert np.isclose(nll(x, t2).item(), F.nll_loss(x, t2, w, ignore_index=1).item())
    bce = nn.BCEWithLogitsLoss(weight=w, pos_weight=A.tensor(PW5, device=device))
    assert set(bce.state_dict()) == {"weight", "pos_weight"}
    y = A.rand(4, 5, device=device)
    assert np.isclose(
        bce(x, y).item(), F.binary_cross_entropy_with_logits(x, y, w, pos_weight=bce.pos_weight).item()
    )
    assert np.isclose(
        nn.BCELoss(weight=w)(x.sigmoid(), y).item(), F.binary_cross_entropy(x.sigmoid(), y, w).item()
    )
    assert list(nn.MSELoss().state_dict()) == []
    trip = nn.TripletMarginLoss(margin=0.5, p=1.0, swap=True)
    assert np.isclose(
        trip(x, y, y * 2).item(), F.triplet_margin_loss(x, y, y * 2, 0.5, 1.0, swap=True).item()
    )
    cos = nn.CosineEmbeddingLoss(margin=0.1)
    s = A.tensor(SIGNS, device=device)
    assert np.isclose(cos(x, y, s).item(), F.cosine_embedding_loss(x, y, s, 0.1).item())
    rank = nn.MarginRankingLoss(margin=0.2)
    assert np.isclose(
        rank(x[:, 0], y[:, 0], s).item(), F.margin_ranking_loss(x[:, 0], y[:, 0], s, 0.2).item()
    )
    g = nn.GaussianNLLLoss(full=True)
    assert np.isclose(g(x, y, 0.5).item(), F.gaussian_nll_loss(x, y, 0.5, full=True).item())
    with pytest.raises(ValueError, match="TripletMarginLoss: margin must be greater than 0"):
        nn.TripletMarginLoss(margin=-1.0)


def test_legacy_reduction_flags(device):
    with pytest.warns(UserWarning, match="reduction='none'"):
        m = nn.MSELoss(reduce=False)
    assert m.reduction == "none"
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.L1Loss(size_average=False).reduction == "sum"
    x, y = A.randn(3, device=device), A.randn(3, device=device)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        out = F.mse_loss(x, y, size_average=False)
    assert np.isclose(out.item(), F.mse_loss(x, y, reduction="sum").item())


def test_misc_distance_functions(device):
    tf = tF if HAVE_TORCH else None
    check_op([(4, 5), (4, 5)], F.cosine_similarity, tf and tf.cosine_similarity, device=device)
    check_op(
        [(4, 1, 5), (3, 5)],
        lambda a, b: F.cosine_similarity(a, b, dim=-1),
        tf and (lambda a, b: tf.cosine_similarity(a, b, dim=-1)),
        device=device,
    )
    check_op([(4, 1), (4, 5)], F.cosine_similarity, tf and tf.cosine_similarity, device=device)
    check_op([(4, 5), (4, 5)], F.pairwise_distance, tf and tf.pairwise_distance, device=device)
    check_op(
        [(4, 5), (5,)],
        lambda a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True),
        tf and (lambda a, b: tf.pairwise_distance(a, b, p=1.0, keepdim=True)),
        device=device,
    )
    check_op([(3, 4)], F.normalize, tf and tf.normalize, device=device)
    check_op(
        [(3, 4)],
        lambda a: F.normalize(a, p=1, dim=0),
        tf and (lambda a: tf.normalize(a, p=1, dim=0)),
        device=device,
    )
    # zero vectors: the clamps keep values and gradients finite
    z = A.zeros(2, 3, device=device, requires_grad=True)
    out = F.cosine_similarity(z, A.ones(2, 3, device=device)) + F.normalize(z).sum(1)
    out.sum().backward()
    assert np.all(to_numpy(out) == 0) and np.all(np.isfinite(to_numpy(z.grad)))
    v = F.normalize(A.tensor([[3.0, 4.0]], device=device), dim=1)
    assert np.allclose(to_numpy(v), [[0.6, 0.8]])
    assert np.isclose(
        F.cosine_similarity(
            A.tensor([1.0, 0.0], device=device), A.tensor([1.0, 1.0], device=device), dim=0
        ).item(),
        2**-0.5,
    )
