"""Learning-rate schedulers: lr (and momentum) sequences vs torch, closed forms, state_dict, warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH

import autograd as A
import nn
from nn import optim
from nn.optim import lr_scheduler as S

if HAVE_TORCH:
    import torch
    import torch.optim.lr_scheduler as TS

LRS = (0.1, 0.02)


def _opt(lib, kind: str = "SGD", device: str = "cpu"):
    """An optimizer with two param groups of different lrs (momentum/betas for the cycling schedulers)."""
    if lib == "ours":
        ps = [nn.Parameter(A.ones(2, device=device)), nn.Parameter(A.ones(3, device=device))]
        mod = optim
    else:
        ps = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
        mod = torch.optim
    groups = [{"params": [ps[0]], "lr": LRS[0]}, {"params": [ps[1]], "lr": LRS[1]}]
    if kind == "SGD":
        return mod.SGD(groups, lr=0.1, momentum=0.9)
    return getattr(mod, kind)(groups, lr=0.1)


def _momenta(opt) -> list:
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def _sequence(opt, sched, steps: int, metrics=None) -> list:
    """[(lrs, momenta)] at the start and after each of ``steps`` epochs."""
    out = [([g["lr"] for g in opt.param_groups], _momenta(opt))]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        out.append(([g["lr"] for g in opt.param_groups], _momenta(opt)))
        assert sched.get_last_lr() == out[-1][0]
    return out


def _build(spec, lib, kind, device="cpu"):
    opt = _opt(lib, kind, device)
    mod = S if lib == "ours" else TS
    return opt, spec(mod, opt)


# spec(mod, opt) -> scheduler; same lambda builds ours and torch's
SPECS = {
    "StepLR": (lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), "SGD"),
    "StepLR-default": (lambda m, o: m.StepLR(o, step_size=1), "SGD"),
    "MultiStepLR": (lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), "SGD"),
    "ExponentialLR": (lambda m, o: m.ExponentialLR(o, gamma=0.9), "SGD"),
    "LambdaLR-1/t": (lambda m, o: m.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.5 * t)), "SGD"),
    "LambdaLR-list": (lambda m, o: m.LambdaLR(o, [lambda t: 0.95**t, lambda t: 1.0 / (1 + t)]), "SGD"),
    "MultiplicativeLR": (lambda m, o: m.MultiplicativeLR(o, lambda t: 0.95), "SGD"),
    "LinearLR-default": (lambda m, o: m.LinearLR(o), "SGD"),
    "LinearLR-decay": (lambda m, o: m.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=7), "SGD"),
    "ConstantLR-default": (lambda m, o: m.ConstantLR(o), "SGD"),
    "ConstantLR": (lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=3), "SGD"),
    "CosineAnnealingLR": (lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001), "SGD"),
    "CosineAnnealingLR-0": (lambda m, o: m.CosineAnnealingLR(o, T_max=7), "SGD"),
    "PolynomialLR": (lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0), "SGD"),
    "PolynomialLR-default": (lambda m, o: m.PolynomialLR(o), "SGD"),
    "WarmRestarts": (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01), "SGD"),
    "WarmRestarts-1": (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4), "SGD"),
    "OneCycle-cos-sgd": (lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=40), "SGD"),
    "OneCycle-linear-adam": (
        lambda m, o: m.OneCycleLR(o, max_lr=[0.5, 0.1], total_steps=40, anneal_strategy="linear"),
        "Adam",
    ),
    "OneCycle-3phase": (
        lambda m, o: m.OneCycleLR(
            o, max_lr=0.3, epochs=4, steps_per_epoch=10, pct_start=0.25, three_phase=True
        ),
        "SGD",
    ),
    "OneCycle-nomomentum": (
        lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=40, cycle_momentum=False, div_factor=10.0),
        "Adagrad",
    ),
    "CyclicLR-triangular": (lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4), "SGD"),
    "CyclicLR-triangular2": (
        lambda m, o: m.CyclicLR(
            o, [0.01, 0.001], [0.1, 0.05], step_size_up=3, step_size_down=5, mode="triangular2"
        ),
        "SGD",
    ),
    "CyclicLR-exp_range-adam": (
        lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4, mode="exp_range", gamma=0.95),
        "Adam",
    ),
    "SequentialLR": (
        lambda m, o: m.SequentialLR(
            o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.ExponentialLR(o, gamma=0.9)], milestones=[5]
        ),
        "SGD",
    ),
    "SequentialLR-3": (
        lambda m, o: m.SequentialLR(
            o,
            [
                m.ConstantLR(o, factor=0.5, total_iters=2),
                m.StepLR(o, 2, 0.5),
                m.CosineAnnealingLR(o, T_max=6),
            ],
            milestones=[3, 10],
        ),
        "SGD",
    ),
    "ChainedScheduler": (
        lambda m, o: m.ChainedScheduler(
            [m.ConstantLR(o, factor=0.5, total_iters=4), m.ExponentialLR(o, gamma=0.9)]
        ),
        "SGD",
    ),
}


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("name", list(SPECS))
def test_lr_sequence_matches_torch(name, device):
    spec, kind = SPECS[name]
    steps = 40 if name.startswith("OneCycle") else 45
    opt, sched = _build(spec, "ours", kind, device)
    topt, tsched = _build(spec, "torch", kind)
    got, want = _sequence(opt, sched, steps), _sequence(topt, tsched, steps)
    for i, ((lr, mom), (tlr, tmom)) in enumerate(zip(got, want)):
        np.testing.assert_allclose(lr, tlr, rtol=1e-12, atol=1e-15, err_msg=f"{name}: lr at step {i}")
        np.testing.assert_allclose(mom, tmom, rtol=1e-12, atol=1e-15, err_msg=f"{name}: momentum at step {i}")


PLATEAU = {
    "min-rel": dict(),
    "min-abs-cooldown": dict(
        mode="min", threshold_mode="abs", threshold=0.05, patience=2, cooldown=2, factor=0.5
    ),
    "max-rel": dict(mode="max", patience=1, factor=0.3, min_lr=[0.01, 0.005]),
    "max-abs-eps": dict(mode="max", threshold_mode="abs", patience=0, factor=0.5, eps=0.02, min_lr=0.001),
}


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("name", list(PLATEAU))
def test_reduce_on_plateau_matches_torch(name, device):
    rng = np.random.default_rng(1)
    metrics = list(np.concatenate([np.linspace(1, 0.5, 10), 0.5 + rng.normal(0, 0.02, 50)]))
    if PLATEAU[name].get("mode") == "max":
        metrics = [-m for m in metrics]
    opt = _opt("ours", "SGD", device)
    topt = _opt("torch", "SGD")
    sched = S.ReduceLROnPlateau(opt, **PLATEAU[name])
    tsched = TS.ReduceLROnPlateau(topt, **PLATEAU[name])
    got, want = _sequence(opt, sched, 60, metrics), _sequence(topt, tsched, 60, metrics)
    assert got == want
    assert got[-1][0] != got[0][0], "the schedule never reduced the lr: the test would not catch anything"


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_epoch_argument_uses_closed_form_like_torch(device):
    for spec in (
        lambda m, o: m.StepLR(o, 3, 0.5),
        lambda m, o: m.ExponentialLR(o, 0.9),
        lambda m, o: m.CosineAnnealingLR(o, 10),
        lambda m, o: m.MultiStepLR(o, [2, 4]),
        lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    ):
        opt, sched = _build(spec, "ours", "SGD", device)
        topt, tsched = _build(spec, "torch", "SGD")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in (3, 7, 5, 12):
                opt.step()
                topt.step()
                sched.step(e)
                tsched.step(e)
                np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-12)


# ---- closed forms (no torch needed) --------------------------------------------------------------------


def _lrs(sched, opt, steps):
    out = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def test_step_exponential_and_inverse_time_decay(device):
    opt = _opt("ours", device=device)
    got = _lrs(S.StepLR(opt, step_size=3, gamma=0.5), opt, 9)
    np.testing.assert_allclose(got, [0.1 * 0.5 ** (t // 3) for t in range(10)], rtol=1e-12)
    opt = _opt("ours", device=device)
    got = _lrs(S.ExponentialLR(opt, gamma=0.9), opt, 20)
    np.testing.assert_allclose(got, [0.1 * 0.9**t for t in range(21)], rtol=1e-12)
    # 1/t decay: lr_t = lr_0 / (1 + k t)
    opt = _opt("ours", device=device)
    got = _lrs(S.LambdaLR(opt, lambda t: 1.0 / (1.0 + 0.25 * t)), opt, 20)
    np.testing.assert_allclose(got, [0.1 / (1 + 0.25 * t) for t in range(21)], rtol=1e-12)
    opt = _opt("ours", device=device)
    got = _lrs(S.MultiStepLR(opt, milestones=[2, 5], gamma=0.1), opt, 6)
    np.testing.assert_allclose(got, [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001], rtol=1e-12)


def test_cosine_and_polynomial_closed_forms(device):
    opt = _opt("ours", device=device)
    got = _lrs(S.CosineAnnealingLR(opt, T_max=10, eta_min=0.01), opt, 10)
    want = [0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(11)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    opt = _opt("ours", device=device)
    got = _lrs(S.PolynomialLR(opt, total_iters=4, power=2.0), opt, 6)
    np.testing.assert_allclose(
        got, [0.1 * (1 - min(t, 4) / 4) ** 2 for t in range(7)], rtol=1e-10, atol=1e-15
    )
    opt = _opt("ours", device=device)
    got = _lrs(S.LinearLR(opt, start_factor=0.25, total_iters=3), opt, 5)
    np.testing.assert_allclose(got, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], rtol=1e-10)
    opt = _opt("ours", device=device)
    got = _lrs(S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2), opt, 4)
    np.testing.assert_allclose(
        got, [0.1, 0.05, 0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05], rtol=1e-10, atol=0
    )


def test_one_cycle_shape(device):
    opt = _opt("ours", device=device)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=20, pct_start=0.25)
    got = _lrs(sched, opt, 19)
    assert got[0] == pytest.approx(1.0 / 25) and max(got) == pytest.approx(1.0) and int(np.argmax(got)) == 4
    assert got[-1] == pytest.approx(1.0 / 25 / 1e4)
    assert all(a <= b for a, b in zip(got[:5], got[1:5])) and all(a >= b for a, b in zip(got[4:-1], got[5:]))
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    opt.step()
    sched.step()  # step 20 is still allowed (as in PyTorch), step 21 is not
    with pytest.raises(ValueError, match="Tried to step 21 times"):
        opt.step()
        sched.step()
    adam = optim.Adam([nn.Parameter(A.ones(1, device=device))])
    S.OneCycleLR(adam, max_lr=0.1, total_steps=10)
    assert adam.param_groups[0]["betas"] == (0.95, 0.999)
    with pytest.raises(ValueError, match="momentum or beta1"):
        S.OneCycleLR(optim.Adagrad([nn.Parameter(A.ones(1))]), max_lr=0.1, total_steps=10)


def test_reduce_on_plateau_closed_form(device):
    opt = _opt("ours", device=device)
    sched = S.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1, min_lr=0.03)
    lrs = []
    for m in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]:
        sched.step(m)
        lrs.append(sched.get_last_lr()[0])
    # bad epochs 1, 2, 3 -> reduce at the 3rd; one cooldown epoch; then 3 more bad -> reduce (clamped to min_lr)
    assert lrs == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.03, 0.03]
    assert sched.get_last_lr()[1] == 0.02  # below min_lr already: a reduction never raises an lr
    with pytest.raises(ValueError, match="Factor|factor"):
        S.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        S.ReduceLROnPlateau(opt, mode="median")


def test_scheduler_state_dict_round_trip(device):
    def build():
        opt = _opt("ours", device=device)
        return opt, S.SequentialLR(
            opt,
            [S.LinearLR(opt, start_factor=0.1, total_iters=4), S.MultiStepLR(opt, [3, 6], 0.5)],
            milestones=[4],
        )

    opt, sched = build()
    for _ in range(6):
        opt.step()
        sched.step()
    osd, ssd = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in ssd and isinstance(ssd["_schedulers"], list)
    opt2, sched2 = build()
    opt2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    a, b = _lrs(sched, opt, 8), _lrs(sched2, opt2, 8)
    assert a == b and len(set(a)) > 2

    # lambdas are not saved, callable objects' attributes are
    class Decay:
        def __init__(self, k):
            self.k = k

        def __call__(self, t):
            return 1 / (1 + self.k * t)

    opt = _opt("ours", device=device)
    sd = S.LambdaLR(opt, Decay(0.5)).state_dict()
    assert sd["lr_lambdas"] == [{"k": 0.5}, {"k": 0.5}]
    s2 = S.LambdaLR(_opt("ours", device=device), Decay(9.0))
    s2.load_state_dict(sd)
    assert s2.lr_lambdas[0].k == 0.5


def test_multistep_state_dict_with_string_keys(device):
    opt = _opt("ours", device=device)
    sched = S.MultiStepLR(opt, [2, 4])
    sd = sched.state_dict()
    sd["milestones"] = {str(k): v for k, v in sd["milestones"].items()}  # as a JSON round trip returns it
    sched2 = S.MultiStepLR(_opt("ours", device=device), [7])
    sched2.load_state_dict(sd)
    assert 2 in sched2.milestones and 7 not in sched2.milestones


def test_resume_needs_initial_lr(device):
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt("ours", device=device), 2, last_epoch=3)


def test_warnings(device):
    opt = _opt("ours", device=device)
    sched = S.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    opt = _opt("ours", device=device)
    sched = S.ExponentialLR(opt, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()


def test_errors(device):
    opt = _opt("ours", device=device)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR(object(), 2)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        S.LambdaLR(opt, [lambda t: 1.0])
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        S.SequentialLR(opt, [S.ExponentialLR(opt, 0.9)], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        S.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=5)
    with pytest.raises(ValueError, match="T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
