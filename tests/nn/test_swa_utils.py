"""nn.optim.swa_utils: AveragedModel (SWA / EMA), SWALR, update_bn, compared with torch.optim.swa_utils."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import to_numpy

import autograd as A
import nn
from nn.optim import swa_utils

torch = pytest.importorskip("torch")
from torch.optim import swa_utils as tswa  # noqa: E402


def _pair(device):
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).to(device)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    )
    theirs.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in ours.state_dict().items()})
    return ours, theirs


def _perturb(ours, theirs, rng, device):
    """Move both models' weights the same way and run a training batch (changes the BN buffers)."""
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        d = rng.standard_normal(p.shape).astype(np.float32)
        with A.no_grad():
            p.add_(A.tensor(d, device=device))
        with torch.no_grad():
            q.add_(torch.tensor(d))
    x = rng.standard_normal((5, 3)).astype(np.float32)
    ours.train()(A.tensor(x, device=device))
    theirs.train()(torch.tensor(x))


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        np.testing.assert_allclose(to_numpy(sa[k]), sb[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize(
    "kind", ["swa", "ema_multi", "ema_single", "swa_single", "swa_buffers", "ema_buffers"]
)
def test_averaged_model_matches_torch(device, kind):
    rng = np.random.default_rng(0)
    ours, theirs = _pair(device)
    kw_o, kw_t = {}, {}
    if kind.startswith("ema_multi") or kind == "ema_buffers":
        kw_o["multi_avg_fn"], kw_t["multi_avg_fn"] = (
            swa_utils.get_ema_multi_avg_fn(0.9),
            tswa.get_ema_multi_avg_fn(0.9),
        )
    if kind == "ema_single":
        kw_o["avg_fn"], kw_t["avg_fn"] = swa_utils.get_ema_avg_fn(0.8), tswa.get_ema_avg_fn(0.8)
    if kind == "swa_single":
        kw_o["avg_fn"], kw_t["avg_fn"] = swa_utils.get_swa_avg_fn(), tswa.get_swa_avg_fn()
    if kind.endswith("buffers"):
        kw_o["use_buffers"] = kw_t["use_buffers"] = True
    avg_o, avg_t = swa_utils.AveragedModel(ours, **kw_o), tswa.AveragedModel(theirs, **kw_t)
    for _ in range(4):
        _perturb(ours, theirs, rng, device)
        avg_o.update_parameters(ours)
        avg_t.update_parameters(theirs)
    _same_state(avg_o, avg_t)
    assert int(avg_o.n_averaged.item()) == 4
    x = rng.standard_normal((6, 3)).astype(np.float32)
    avg_o.eval(), avg_t.eval()
    np.testing.assert_allclose(
        to_numpy(avg_o(A.tensor(x, device=device))),
        avg_t(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )
    # the source model is untouched and separate from the copy
    assert all(p is not q for p, q in zip(avg_o.parameters(), ours.parameters()))


def test_averaged_model_plain_mean(device):
    m = nn.Linear(2, 1).to(device)
    avg = swa_utils.AveragedModel(m)
    seen = []
    for v in (1.0, 2.0, 6.0):
        with A.no_grad():
            m.weight.fill_(v)
        seen.append(v)
        avg.update_parameters(m)
    np.testing.assert_allclose(to_numpy(avg.module.weight), np.full((1, 2), np.mean(seen)), rtol=1e-6)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(
            m, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn()
        )
    with pytest.raises(RuntimeError, match="pass the model this AveragedModel was made from"):
        avg.update_parameters(nn.Linear(3, 3, bias=False).to(device))
    with pytest.raises(ValueError, match="Invalid decay value"):
        swa_utils.get_ema_multi_avg_fn(1.5)
    # state_dict round trip, with n_averaged
    other = swa_utils.AveragedModel(nn.Linear(2, 1).to(device))
    other.load_state_dict(avg.state_dict())
    assert int(other.n_averaged.item()) == 3


def test_update_bn_matches_torch(device):
    rng = np.random.default_rng(1)
    ours, theirs = _pair(device)
    batches = [rng.standard_normal((8, 3)).astype(np.float32) for _ in range(5)]
    ours.eval(), theirs.eval()
    swa_utils.update_bn([(A.tensor(b, device=device), 0) for b in batches], ours)
    tswa.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    _same_state(ours, theirs)
    assert not ours.training and ours[1].momentum == 0.1
    swa_utils.update_bn([A.tensor(b) for b in batches], ours, device=device)  # plain tensors, moved to device
    _same_state(ours, theirs)
    swa_utils.update_bn([A.tensor(b) for b in batches], nn.Linear(3, 2))  # no BatchNorm: nothing to do


@pytest.mark.parametrize("strategy,epochs", [("cos", 3), ("linear", 4), ("cos", 0), ("linear", 1)])
def test_swalr_matches_torch(strategy, epochs):
    ours_opt = nn.optim.SGD([nn.Parameter(A.zeros(2)), nn.Parameter(A.zeros(1))], lr=0.5)
    p, q = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(1))
    t_opt = torch.optim.SGD([p, q], lr=0.5)
    s_o = swa_utils.SWALR(ours_opt, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
    s_t = tswa.SWALR(t_opt, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
    for _ in range(7):
        np.testing.assert_allclose(s_o.get_last_lr(), s_t.get_last_lr(), rtol=1e-12)
        ours_opt.step(), t_opt.step()
        s_o.step(), s_t.step()
    state = s_o.state_dict()
    again = swa_utils.SWALR(ours_opt, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
    again.load_state_dict(state)
    assert again.last_epoch == s_o.last_epoch and again.anneal_func(0.5) == s_o.anneal_func(0.5)
    with pytest.raises(ValueError, match="anneal_strategy must by one of 'cos' or 'linear'"):
        swa_utils.SWALR(ours_opt, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0"):
        swa_utils.SWALR(ours_opt, 0.1, anneal_epochs=-1)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        swa_utils.SWALR(ours_opt, [0.1, 0.2, 0.3])
