"""CTCLoss / ctc_loss: values and gradients against PyTorch (padded and concatenated targets, repeated labels,
blank not 0, every reduction, zero_infinity, impossible alignments, float32/float64), a brute-force reference
over all alignments, a gradcheck, input validation, and a tiny model that learns an alignment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
import nn.functional as F

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch as the reference")

if HAVE_TORCH:
    import torch
    import torch.nn.functional as TF

DTYPES = {"float32": (A.float32, np.float32), "float64": (A.float64, np.float64)}


def _case(seed: int, t_len: int, n: int, c: int, blank: int, repeats: bool = False, normalized: bool = True):
    """Random log-probs (T, N, C), padded targets (N, S) without the blank, and lengths."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((t_len, n, c)) * 2
    if normalized:
        x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    labels = [k for k in range(c) if k != blank]
    s = max(1, t_len // 2)
    tl = rng.integers(0, s + 1, n)
    tl[0] = s  # the longest target fills the padded width
    il = rng.integers(np.minimum(2 * tl + 1, t_len), t_len + 1)  # long enough for any target
    tg = rng.choice(labels, (n, s))
    if repeats:
        tg[:, 1::2] = tg[:, ::2][:, : tg[:, 1::2].shape[1]]  # pairs of one label: need a blank between
    return x, tg, [int(v) for v in il], [int(v) for v in tl]


def _concat(tg: np.ndarray, tl: list[int]) -> np.ndarray:
    return np.concatenate([tg[i, :k] for i, k in enumerate(tl)]).astype(np.int64)


def _compare(x, tg, il, tl, device, dtype="float64", upstream=None, **kw):
    """Loss and d loss / d log_probs of ours and torch's, for the same arguments."""
    ad, nd = DTYPES[dtype]
    ours = A.tensor(x.astype(nd), device=device, requires_grad=True)
    theirs = torch.tensor(x.astype(nd), requires_grad=True)
    lo = F.ctc_loss(ours, A.tensor(tg, device=device), il, tl, **kw)
    lt = TF.ctc_loss(theirs, torch.tensor(tg), il, tl, **kw)
    assert lo.dtype == ad and lo.shape == tuple(lt.shape)
    w = np.ones(lt.shape) if upstream is None else upstream
    (lo * A.tensor(w.astype(nd), device=device)).sum().backward()
    (lt * torch.tensor(w.astype(nd))).sum().backward()
    tol = {"atol": 1e-4, "rtol": 1e-4} if dtype == "float32" else {"atol": 1e-10, "rtol": 1e-8}
    np.testing.assert_allclose(to_numpy(lo), to_numpy(lt), equal_nan=True, err_msg="forward", **tol)
    np.testing.assert_allclose(
        to_numpy(ours.grad), to_numpy(theirs.grad), equal_nan=True, err_msg="grad", **tol
    )
    return lo, ours.grad


CASES = {  # (seed, T, N, C, blank, repeated labels, normalized, concatenated targets, dtype)
    "n1": (0, 6, 1, 4, 0, False, True, False, "float64"),
    "n3-concat": (1, 8, 3, 5, 0, False, True, True, "float64"),
    "n5-repeats": (2, 10, 5, 4, 0, True, True, False, "float32"),
    "blank-last": (3, 9, 4, 6, 5, True, True, True, "float64"),
    "blank-mid-f32": (4, 12, 6, 7, 3, False, True, False, "float32"),
    "unnormalized": (5, 7, 3, 5, 1, True, False, False, "float64"),
    "unnormalized-concat-f32": (6, 7, 4, 5, 0, False, False, True, "float32"),
}


@needs_torch
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_ctc_loss_matches_torch(device, case, reduction):
    seed, t_len, n, c, blank, repeats, normalized, concat, dtype = CASES[case]
    x, tg, il, tl = _case(seed, t_len, n, c, blank, repeats, normalized)
    if concat:
        tg = _concat(tg, tl)
    up = np.random.default_rng(seed).uniform(0.5, 2.0, n) if reduction == "none" else None
    _compare(x, tg, il, tl, device, dtype, upstream=up, blank=blank, reduction=reduction)


@needs_torch
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_impossible_alignments_and_zero_infinity(device, reduction, zero_infinity):
    x, tg, _, _ = _case(7, 6, 5, 4, 0)
    tg[:, :3] = [[1, 2, 3], [1, 1, 2], [2, 2, 2], [3, 1, 0], [1, 2, 3]]
    il = [2, 3, 5, 0, 0]  # 3 labels in 2 steps; 1,1,2 needs 4 steps; 2,2,2 needs 5; 1 label in 0 steps
    tl = [3, 3, 3, 1, 0]
    lo, grad = _compare(x, tg, il, tl, device, reduction=reduction, zero_infinity=zero_infinity)
    per = to_numpy(
        F.ctc_loss(A.tensor(x, device=device), A.tensor(tg, device=device), il, tl, reduction="none")
    )
    assert np.isinf(per[[0, 1, 3]]).all() and np.isfinite(per[[2, 4]]).all() and per[4] == 0
    g = to_numpy(grad)
    if zero_infinity:
        assert np.isfinite(to_numpy(lo)).all() and (g[:, [0, 1, 3]] == 0).all()
    else:
        assert np.isnan(g[:2, 0]).all() and (g[2:, 0] == 0).all()  # torch's nan within the input length


@needs_torch
def test_minus_inf_log_probs_give_torchs_nan_gradients(device):
    x, tg, il, tl = _case(8, 6, 3, 4, 0)
    x[0, 1, 2] = x[3, 2, 0] = -np.inf
    _compare(x, tg, il, tl, device)


@needs_torch
@pytest.mark.parametrize("targets_2d", [False, True])
def test_unbatched_input_and_length_tensors(device, targets_2d):
    x, tg, il, tl = _case(9, 7, 1, 5, 0)
    ours = A.tensor(x[:, 0], device=device, requires_grad=True)
    theirs = torch.tensor(x[:, 0], requires_grad=True)
    t = tg if targets_2d else tg[0, : tl[0]]
    for red in ("none", "mean"):
        lo = F.ctc_loss(
            ours, A.tensor(t, device=device), A.tensor(il[0]), A.tensor(tl, device=device), reduction=red
        )
        lt = TF.ctc_loss(theirs, torch.tensor(t), torch.tensor(il[0]), torch.tensor(tl), reduction=red)
        assert lo.shape == () and lt.shape == ()
        lo.backward()
        lt.backward()
        np.testing.assert_allclose(to_numpy(lo), to_numpy(lt), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(ours.grad), to_numpy(theirs.grad), rtol=1e-8, atol=1e-12)


@needs_torch
def test_module_matches_torch_and_host_targets(device):
    x, tg, il, tl = _case(10, 8, 4, 6, 2)
    ours = nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
    theirs = torch.nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
    lp = A.tensor(x, device=device)
    want = theirs(torch.tensor(x), torch.tensor(tg), torch.tensor(il), torch.tensor(tl)).item()
    got = ours(lp, A.tensor(tg), A.tensor(il, dtype=A.int32), tuple(tl))  # targets and lengths on the host
    assert got.device == lp.device
    assert got.item() == pytest.approx(want, rel=1e-10)


def _brute_force_nll(lp: np.ndarray, target: list[int], blank: int) -> float:
    """-log of the summed probability of every length-T path that collapses to ``target``."""
    t_len, c = lp.shape
    total = 0.0
    for path in itertools.product(range(c), repeat=t_len):
        collapsed = [k for i, k in enumerate(path) if k != blank and (i == 0 or path[i - 1] != k)]
        if collapsed == target:
            total += np.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def test_forward_matches_brute_force_over_alignments(device):
    x, _, _, _ = _case(11, 5, 4, 3, 0)
    targets = [[1, 2], [2, 2], [1], []]
    il = [5, 5, 3, 4]
    tg = np.array([[1, 2], [2, 2], [1, 0], [0, 0]])
    per = F.ctc_loss(
        A.tensor(x, device=device), A.tensor(tg, device=device), il, [2, 2, 1, 0], reduction="none"
    )
    want = [_brute_force_nll(x[: il[i], i], targets[i], 0) for i in range(4)]
    np.testing.assert_allclose(to_numpy(per), want, rtol=1e-10)
    blank2 = F.ctc_loss(
        A.tensor(x[:, :1], device=device), A.tensor([[0, 1]], device=device), [5], [2], blank=2
    )
    assert blank2.item() == pytest.approx(_brute_force_nll(x[:, 0], [0, 1], 2) / 2, rel=1e-10)


def test_gradcheck_through_log_softmax(device):
    x, tg, il, tl = _case(12, 6, 3, 4, 1, repeats=True, normalized=False)
    il[1], tl[1] = 3, 1  # one sample shorter than T
    xt = A.tensor(x, device=device, requires_grad=True)
    tgt = A.tensor(_concat(tg, tl), device=device)
    assert A.gradcheck(lambda v: F.ctc_loss(v.log_softmax(2), tgt, il, tl, blank=1, reduction="none"), (xt,))


def test_double_backward_raises(device):
    x, tg, il, tl = _case(13, 5, 2, 4, 0)
    xt = A.tensor(x, device=device, requires_grad=True)
    (g,) = A.grad(F.ctc_loss(xt.log_softmax(2), A.tensor(tg, device=device), il, tl), xt, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()


_ERRORS = [  # (change to the good arguments, exception, message part)
    (
        {"log_probs": np.zeros((3, 2, 4, 1))},
        RuntimeError,
        r"ctc_loss: expected log_probs of shape \(T, N, C\)",
    ),
    ({"log_probs": np.zeros((0, 2, 4))}, RuntimeError, "must not be empty"),
    ({"log_probs": np.zeros((5, 2, 4), dtype=np.int64)}, RuntimeError, "floating-point log_probs"),
    ({"blank": 4}, RuntimeError, r"blank must be in label range \[0, 3\]"),
    ({"blank": -1}, RuntimeError, "blank must be in label range"),
    ({"input_lengths": [5, 6]}, RuntimeError, r"input_lengths to have values in \[0, 5\].*got 6"),
    ({"input_lengths": [-1, 5]}, RuntimeError, r"input_lengths to have values in \[0, 5\].*got -1"),
    ({"input_lengths": [5]}, RuntimeError, r"input_lengths must be of size batch_size \(2"),
    ({"target_lengths": [2, 2, 2]}, RuntimeError, "target_lengths must be of size batch_size"),
    ({"target_lengths": [-1, 2]}, RuntimeError, "target_lengths to have value at least 0, got -1"),
    ({"target_lengths": [4, 2]}, RuntimeError, r"max\(target_lengths\) = 4, got \(2, 3\)"),
    ({"input_lengths": 5}, TypeError, "input_lengths must be an integer Tensor or a tuple/list of ints"),
    ({"input_lengths": [5.0, 5]}, TypeError, "input_lengths must be a tuple or list of ints"),
    ({"input_lengths": np.array([5.0, 5.0])}, RuntimeError, "input_lengths must be integral"),
    ({"targets": np.array([[1.0, 2, 3], [1, 2, 3]])}, RuntimeError, "targets of an integer dtype"),
    ({"targets": np.array([[1, 2, 3]])}, RuntimeError, r"shape \(2, S\)"),
    (
        {"targets": np.array([1, 2, 3, 1])},
        RuntimeError,
        r"sum\(target_lengths\) = 5 elements, got shape \(4,\)",
    ),
    ({"targets": np.ones((2, 3, 1), dtype=np.int64)}, RuntimeError, r"targets of shape \(N, S\)"),
    ({"targets": np.array([[1, 2, 4], [1, 2, 3]])}, IndexError, r"target label 4 is out of range.*\[0, 3\]"),
    ({"targets": np.array([[1, -2, 3], [1, 2, 3]])}, IndexError, "target label -2 is out of range"),
    ({"reduction": "avg"}, ValueError, "'avg' is not a valid value for reduction"),
]


@pytest.mark.parametrize(
    "change,exc,msg", _ERRORS, ids=[f"{next(iter(c))}-{i}" for i, (c, _, _) in enumerate(_ERRORS)]
)
def test_errors(device, change, exc, msg):
    args = {
        "log_probs": np.zeros((5, 2, 4)),
        "targets": np.array([[1, 2, 3], [1, 2, 3]]),
        "input_lengths": [5, 4],
        "target_lengths": [3, 2],
    }
    args.update({k: v for k, v in change.items() if k in args})
    kw = {k: v for k, v in change.items() if k not in args}
    args = {k: A.tensor(v, device=device) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    with pytest.raises(exc, match=msg):
        F.ctc_loss(**args, **kw)
    if device == "cpu":  # the argument is wrong for PyTorch too (it silently accepts out-of-range labels)
        if HAVE_TORCH and "out of range" not in msg and "integer dtype" not in msg:
            targs = {k: torch.tensor(to_numpy(v)) if isinstance(v, A.Tensor) else v for k, v in args.items()}
            with pytest.raises((RuntimeError, ValueError, TypeError, NotImplementedError)):
                TF.ctc_loss(**targs, **kw)


def test_model_learns_a_trivial_alignment(device):
    """Per-step features -> Linear -> log_softmax, trained with CTCLoss: greedy decoding gives the targets."""
    t_len, n, c = 6, 3, 4
    feats = A.tensor(
        np.eye(t_len)[:, None, :].repeat(n, 1) + 0.1 * np.arange(n)[None, :, None], dtype=A.float32
    )
    feats = feats.to(device)
    targets = [[1, 2], [3, 3], [2, 1, 3]]
    tg = A.tensor([[1, 2, 0], [3, 3, 0], [2, 1, 3]], device=device)
    model = nn.Sequential(nn.Linear(t_len, 16), nn.Tanh(), nn.Linear(16, c)).to(device)
    crit = nn.CTCLoss()
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = crit(model(feats).log_softmax(2), tg, [t_len] * n, [2, 2, 3])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 < losses[0]
    best = to_numpy(model(feats).argmax(2))  # (T, N)
    for i, want in enumerate(targets):
        path = best[:, i]
        got = [int(k) for j, k in enumerate(path) if k != 0 and (j == 0 or path[j - 1] != k)]
        assert got == want
