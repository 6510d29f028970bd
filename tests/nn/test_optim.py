"""Optimizers: trajectories vs torch.optim, closed-form single steps, state_dict round trips, the API."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
from nn import optim

if HAVE_TORCH:
    import torch

# ---- a small MLP problem, identical for both libraries ---------------------------------------------

SHAPES = {"w1": (6, 3), "b1": (6,), "w2": (2, 6), "b2": (2,), "unused": (4,)}


def _problem(seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    init = {k: rng.normal(size=s) * 0.5 for k, s in SHAPES.items()}
    return init, rng.normal(size=(8, 3)), rng.normal(size=(8, 2))


def _loss(P: dict, x, y, lib):
    h = lib.tanh(x @ P["w1"].t() + P["b1"])
    out = h @ P["w2"].t() + P["b2"]
    return ((out - y) ** 2).mean()


def _make_ours(init: dict, device: str, dtype) -> dict:
    return {k: nn.Parameter(A.tensor(v, dtype=dtype, device=device)) for k, v in init.items()}


def _groups(P: dict, groups: list | None) -> list:
    """Params as a plain list, or as param groups: each entry (names, options)."""
    if groups is None:
        return list(P.values())
    return [{"params": [P[n] for n in names], **opts} for names, opts in groups]


def _train(opt, P: dict, x, y, lib, steps: int, sign: float) -> None:
    for _ in range(steps):
        opt.zero_grad()
        loss = _loss(P, x, y, lib) * sign
        loss.backward()
        opt.step()


def _run_ours(name, kwargs, device, dtype=A.float64, steps=50, groups=None, seed=0):
    init, x, y = _problem(seed)
    P = _make_ours(init, device, dtype)
    opt = getattr(optim, name)(_groups(P, groups), **kwargs)
    xt, yt = A.tensor(x, dtype=dtype, device=device), A.tensor(y, dtype=dtype, device=device)
    _train(opt, P, xt, yt, A, steps, -1.0 if kwargs.get("maximize") else 1.0)
    return P, opt


def _run_torch(name, kwargs, dtype=None, steps=50, groups=None, seed=0):
    dtype = dtype or torch.float64
    init, x, y = _problem(seed)
    P = {k: torch.nn.Parameter(torch.tensor(v, dtype=dtype)) for k, v in init.items()}
    opt = getattr(torch.optim, name)(_groups(P, groups), **kwargs)
    xt, yt = torch.tensor(x, dtype=dtype), torch.tensor(y, dtype=dtype)
    _train(opt, P, xt, yt, torch, steps, -1.0 if kwargs.get("maximize") else 1.0)
    return P, opt


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.02, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.02, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, maximize=True, eps=1e-6)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.1, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1, eps=1e-6, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.01)),
    ("Adadelta", dict(lr=0.5, eps=1e-4, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.02, weight_decay=0.01)),
    ("Adamax", dict(lr=0.02, betas=(0.5, 0.99), maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.02, weight_decay=0.01)),
    ("NAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.02, momentum_decay=0.01, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05)),  # rho_t > 5 from step 6
    ("RAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.02, betas=(0.5, 0.7), maximize=True)),  # rho_t never exceeds 5: momentum steps
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.02, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=10, weight_decay=0.01)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
]


def _cfg_id(c):
    return c[0] + "-" + ",".join(f"{k}={v}" for k, v in c[1].items())


def _compare_params(ours: dict, ref: dict, rtol: float, atol: float, what: str) -> None:
    for k in ours:
        np.testing.assert_allclose(
            to_numpy(ours[k]), to_numpy(ref[k]), rtol=rtol, atol=atol, err_msg=f"{what}: parameter {k}"
        )


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("cfg", CONFIGS, ids=[_cfg_id(c) for c in CONFIGS])
def test_trajectory_matches_torch_float64(cfg, device):
    name, kwargs = cfg
    steps = 50 if device == "cpu" else 20  # the strict CUDA stand-in is slow; the kernels are the same code
    ours, opt = _run_ours(name, kwargs, device, steps=steps)
    ref, ref_opt = _run_torch(name, kwargs, steps=steps)
    _compare_params(ours, ref, 1e-9, 1e-11, _cfg_id(cfg))
    # the parameter without a gradient is untouched and has no state, in both libraries
    np.testing.assert_array_equal(to_numpy(ours["unused"]), _problem()[0]["unused"])
    idx = list(SHAPES).index("unused")
    assert (idx in opt.state_dict()["state"]) == (idx in ref_opt.state_dict()["state"])


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize(
    "name",
    ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"],
)
def test_trajectory_matches_torch_float32(name, device):
    kwargs = {"lr": 0.02, "momentum": 0.9} if name == "SGD" else {}
    ours, opt = _run_ours(name, kwargs, device, dtype=A.float32)
    ref, _ = _run_torch(name, kwargs, dtype=torch.float32)
    _compare_params(ours, ref, 2e-5, 2e-6, name)
    for p in ours.values():
        assert p.dtype == A.float32
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, A.Tensor):
                assert v.dtype == A.float32 and v.device == A.device(device)


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_param_groups_match_torch(device):
    groups = [
        (["w1", "b1"], {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        (["w2"], {"weight_decay": 0.1}),
        (["b2", "unused"], {"lr": 0.2, "dampening": 0.5, "momentum": 0.3}),
    ]
    ours, opt = _run_ours("SGD", {"lr": 0.01}, device, groups=groups)
    ref, ref_opt = _run_torch("SGD", {"lr": 0.01}, groups=groups)
    _compare_params(ours, ref, 1e-9, 1e-11, "SGD param groups")
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0
    ours_a, _ = _run_ours(
        "Adam", {"lr": 0.01}, device, groups=[(["w1", "b1", "w2"], {}), (["b2"], {"lr": 0.1})]
    )
    ref_a, _ = _run_torch("Adam", {"lr": 0.01}, groups=[(["w1", "b1", "w2"], {}), (["b2"], {"lr": 0.1})])
    _compare_params(ours_a, ref_a, 1e-9, 1e-11, "Adam param groups")


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize(
    "cfg",
    [
        ("SGD", dict()),  # momentum-free: no state at all, as in torch
        ("SGD", dict(momentum=0.9)),
        ("Adam", dict(amsgrad=True)),
        ("AdamW", dict()),
        ("RMSprop", dict(centered=True, momentum=0.9)),
        ("Adagrad", dict()),
        ("Adadelta", dict()),
        ("Adamax", dict()),
        ("NAdam", dict()),
        ("RAdam", dict(decoupled_weight_decay=True)),
        ("Rprop", dict()),
        ("ASGD", dict(t0=1)),
    ],
    ids=lambda c: c[0],
)
def test_state_dict_layout_matches_torch(cfg, device):
    name, kwargs = cfg
    _, opt = _run_ours(name, kwargs, device, steps=2)
    _, ref = _run_torch(name, kwargs, steps=2)
    sd, rsd = opt.state_dict(), ref.state_dict()
    assert sorted(sd["state"]) == sorted(rsd["state"])
    for k in rsd["state"]:
        assert set(sd["state"][k]) == set(rsd["state"][k]), k
        for key, v in rsd["state"][k].items():
            got = sd["state"][k][key]
            want = v.item() if v.ndim == 0 else v.numpy()
            np.testing.assert_allclose(to_numpy(got), want, rtol=1e-9, err_msg=f"{name} state {key}")
    assert len(sd["param_groups"]) == len(rsd["param_groups"])
    for g, rg in zip(sd["param_groups"], rsd["param_groups"]):
        assert set(g) == set(rg)
        assert g["params"] == rg["params"]


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize(
    "cfg",
    [
        ("RAdam", dict(lr=0.02, weight_decay=0.05)),
        ("Rprop", dict(lr=0.05, etas=(0.3, 1.5))),
        ("ASGD", dict(lr=0.05, lambd=0.01, t0=10)),  # averaging (mu < 1) from step 12 on
    ],
    ids=lambda c: c[0],
)
def test_state_after_trajectory_matches_torch(cfg, device):
    """The whole state (moments, step sizes, the running average ax, eta, mu) follows torch's."""
    name, kwargs = cfg
    _, opt = _run_ours(name, kwargs, device, steps=30)
    _, ref = _run_torch(name, kwargs, steps=30)
    sd, rsd = opt.state_dict(), ref.state_dict()
    for k, st in rsd["state"].items():
        for key, v in st.items():
            want = v.item() if v.ndim == 0 else v.numpy()
            got = to_numpy(sd["state"][k][key])
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"{name} state {k}.{key}")
    if name == "ASGD":
        # eta and mu are float32-rounded, as torch's 0-d float32 state tensors: equal bit for bit
        for key in ("eta", "mu"):
            assert sd["state"][0][key] == rsd["state"][0][key].item(), key
        assert sd["state"][0]["mu"] == float(np.float32(1 / 20))


# ---- closed-form single steps (no torch needed) -----------------------------------------------------


def _one_step(name, kwargs, p0, g, device, steps=1):
    """Run ``steps`` updates of ``p`` on a loss whose gradient is the constant ``g``."""
    p = nn.Parameter(A.tensor(p0, dtype=A.float64, device=device))
    opt = getattr(optim, name)([p], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        (p * A.tensor(g, dtype=A.float64, device=device)).sum().backward()
        opt.step()
    return to_numpy(p)


P0 = np.array([1.0, -2.0, 0.5])
G = np.array([0.3, -1.5, 2.0])


def test_sgd_closed_form(device):
    np.testing.assert_allclose(_one_step("SGD", dict(lr=0.1), P0, G, device), P0 - 0.1 * G, rtol=1e-14)
    # momentum: buf1 = g, buf2 = 0.9 g + g (dampening 0)
    got = _one_step("SGD", dict(lr=0.1, momentum=0.9), P0, G, device, steps=2)
    np.testing.assert_allclose(got, P0 - 0.1 * G - 0.1 * 1.9 * G, rtol=1e-14)
    # nesterov with weight decay, one step: d = g' + 0.9 g' with g' = g + wd p
    gp = G + 0.01 * P0
    got = _one_step("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), P0, G, device)
    np.testing.assert_allclose(got, P0 - 0.1 * 1.9 * gp, rtol=1e-14)
    got = _one_step("SGD", dict(lr=0.1, maximize=True), P0, G, device)
    np.testing.assert_allclose(got, P0 + 0.1 * G, rtol=1e-14)


def test_adaptive_closed_form_first_step(device):
    lr, eps = 0.01, 1e-8
    sign_step = G / (np.abs(G) + eps)
    np.testing.assert_allclose(_one_step("Adam", dict(lr=lr), P0, G, device), P0 - lr * sign_step, rtol=1e-12)
    np.testing.assert_allclose(
        _one_step("AdamW", dict(lr=lr, weight_decay=0.5), P0, G, device),
        P0 * (1 - lr * 0.5) - lr * sign_step,
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        _one_step("Adamax", dict(lr=lr), P0, G, device), P0 - lr * sign_step, rtol=1e-12
    )
    np.testing.assert_allclose(
        _one_step("Adagrad", dict(lr=lr), P0, G, device), P0 - lr * G / (np.abs(G) + 1e-10), rtol=1e-12
    )
    rms = np.sqrt(0.01) * np.abs(G) + eps
    np.testing.assert_allclose(
        _one_step("RMSprop", dict(lr=lr), P0, G, device), P0 - lr * G / rms, rtol=1e-12
    )
    delta = math.sqrt(1e-6) / np.sqrt(0.1 * G * G + 1e-6) * G
    np.testing.assert_allclose(_one_step("Adadelta", dict(), P0, G, device), P0 - delta, rtol=1e-12)
    # NAdam, first step, from the paper's formulas
    b1, b2, psi = 0.9, 0.999, 4e-3
    mu1 = b1 * (1 - 0.5 * 0.96**psi)
    mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi))
    mu1_f32 = float(np.float32(mu1))  # PyTorch keeps the running product in float32
    denom = np.sqrt((1 - b2) * G * G / (1 - b2)) + eps
    want = (
        P0
        - lr * (1 - mu1) / (1 - mu1_f32) * G / denom
        - lr * mu2 / (1 - mu1_f32 * mu2) * (1 - b1) * G / denom
    )
    np.testing.assert_allclose(_one_step("NAdam", dict(lr=lr), P0, G, device), want, rtol=1e-12)


def test_adam_bias_correction_two_steps(device):
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m = (1 - b1) * G
    v = (1 - b2) * G * G
    p1 = P0 - lr * G / (np.abs(G) + eps)
    m = b1 * m + (1 - b1) * G
    v = b2 * v + (1 - b2) * G * G
    p2 = p1 - lr / (1 - b1**2) * m / (np.sqrt(v) / math.sqrt(1 - b2**2) + eps)
    np.testing.assert_allclose(_one_step("Adam", dict(lr=lr), P0, G, device, steps=2), p2, rtol=1e-12)


def test_adagrad_lr_decay_closed_form(device):
    # second step: clr = lr / (1 + lr_decay), accumulated sum 2 g^2
    lr, d = 0.1, 0.5
    p1 = P0 - lr * G / (np.abs(G) + 1e-10)
    p2 = p1 - lr / (1 + d) * G / (np.sqrt(2 * G * G) + 1e-10)
    np.testing.assert_allclose(
        _one_step("Adagrad", dict(lr=lr, lr_decay=d), P0, G, device, steps=2), p2, rtol=1e-12
    )


def test_quadratic_converges(device):
    """Every optimizer drives a convex quadratic's loss down from its start."""
    target = A.tensor([1.0, -2.0, 3.0], device=device)
    for name, kw in [
        ("SGD", dict(lr=0.1, momentum=0.9)),
        ("Adam", dict(lr=0.1)),
        ("AdamW", dict(lr=0.1, weight_decay=0.0)),
        ("RMSprop", dict(lr=0.05)),
        ("Adagrad", dict(lr=0.5)),
        ("Adadelta", dict(lr=10.0)),
        ("Adamax", dict(lr=0.1)),
        ("NAdam", dict(lr=0.1)),
        ("RAdam", dict(lr=0.1)),
        ("Rprop", dict(lr=0.1)),
        ("ASGD", dict(lr=0.1)),
    ]:
        p = nn.Parameter(A.zeros(3, device=device))
        opt = getattr(optim, name)([p], **kw)
        for _ in range(100):
            opt.zero_grad()
            loss = ((p - target) ** 2).sum()
            loss.backward()
            opt.step()
        assert float(((p - target) ** 2).sum()) < 0.05 * 14.0, name


# ---- state dict round trips --------------------------------------------------------------------------


def _jsonish(sd):
    """What a JSON-based save/load could return: str keys, lists for tuples, copied tensors."""
    state = {
        str(k): {kk: (vv.clone() if isinstance(vv, A.Tensor) else vv) for kk, vv in v.items()}
        for k, v in sd["state"].items()
    }
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd["param_groups"]]
    return {"state": state, "param_groups": groups}


@pytest.mark.parametrize(
    "cfg",
    [
        ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
        ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
        ("AdamW", dict(lr=0.01)),
        ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
        ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
        ("Adadelta", dict()),
        ("Adamax", dict(lr=0.01)),
        ("NAdam", dict(lr=0.01)),
        ("RAdam", dict(lr=0.01, weight_decay=0.01)),
        ("Rprop", dict(lr=0.01, etas=(0.4, 1.3))),
        ("ASGD", dict(lr=0.05, t0=5)),
    ],
    ids=lambda c: c[0],
)
def test_state_dict_round_trip_continues_identically(cfg, device):
    name, kwargs = cfg
    init, x, y = _problem()
    xt, yt = A.tensor(x, dtype=A.float32, device=device), A.tensor(y, dtype=A.float32, device=device)
    P = _make_ours(init, device, A.float32)
    opt = getattr(optim, name)(list(P.values()), **kwargs)
    _train(opt, P, xt, yt, A, 10, 1.0)
    saved = _jsonish(opt.state_dict())
    P2 = {k: nn.Parameter(v.detach().clone()) for k, v in P.items()}
    opt2 = getattr(optim, name)(list(P2.values()), lr=123.0)  # options come from the state dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == kwargs.get("lr", opt.defaults["lr"])
    if "betas" in opt.defaults:
        assert isinstance(opt2.param_groups[0]["betas"], tuple)
    _train(opt, P, xt, yt, A, 10, 1.0)
    _train(opt2, P2, xt, yt, A, 10, 1.0)
    for k in P:
        np.testing.assert_array_equal(to_numpy(P[k]), to_numpy(P2[k]), err_msg=f"{name}: {k}")
    # loading copied the state: the two optimizers do not share buffers
    for p, p2 in zip(P.values(), P2.values()):
        for key, v in opt.state[p].items():
            if isinstance(v, A.Tensor):
                assert opt2.state[p2][key]._data is not v._data


def test_state_dict_through_nn_save(tmp_path, device):
    p = nn.Parameter(A.tensor([1.0, 2.0], device=device))
    opt = optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    try:
        nn.save(opt.state_dict(), tmp_path / "opt.npz")
    except NotImplementedError:
        pytest.skip("nn.save is not implemented yet")
    loaded = nn.load(tmp_path / "opt.npz")
    p2 = nn.Parameter(p.detach().clone())
    opt2 = optim.Adam([p2], lr=0.5)
    opt2.load_state_dict(loaded)
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["betas"] == (0.9, 0.999)
    for q in (p, p2):
        q.grad = A.tensor([0.5, -1.0], device=device)
    opt.step()
    opt2.step()
    np.testing.assert_array_equal(to_numpy(p), to_numpy(p2))


def test_load_state_dict_errors(device):
    a, b = nn.Parameter(A.ones(2, device=device)), nn.Parameter(A.ones(3, device=device))
    opt = optim.SGD([a, b], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]})
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict({"state": {}, "param_groups": [{"params": [0]}]})
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"params": []})


# ---- API behaviour -----------------------------------------------------------------------------------


def test_params_without_grad_are_skipped(device):
    a = nn.Parameter(A.tensor([1.0, 2.0], device=device))
    b = nn.Parameter(A.tensor([3.0], device=device))
    opt = optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b.grad is None and float(b) == 3.0 and len(opt.state[b]) == 0 and b._version == 0
    assert len(opt.state[a]) == 3 and opt.state[a]["step"] == 1


def test_zero_grad(device):
    p = nn.Parameter(A.tensor([1.0, 2.0], device=device))
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and to_numpy(p.grad).tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("momentum", [0.0, 0.9])  # plain SGD has its own short loop
def test_step_is_in_place_without_graph_and_bumps_version(device, momentum):
    p = nn.Parameter(A.tensor([1.0, 2.0], device=device))
    arr = p._data
    opt = optim.SGD([p], lr=0.1, momentum=momentum)
    y = (p * p).sum()  # saves p for backward
    y.backward(retain_graph=True)
    v0 = p._version
    opt.step()
    assert p._data is arr and p._version == v0 + 1 and p.grad_fn is None and p.is_leaf
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_closure_runs_with_grad_enabled(device):
    p = nn.Parameter(A.tensor([1.0, 2.0], device=device))
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with A.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_allclose(to_numpy(p), [0.8, 1.6], rtol=1e-6)
    for cls in (
        optim.Adam,
        optim.AdamW,
        optim.RMSprop,
        optim.Adagrad,
        optim.Adadelta,
        optim.Adamax,
        optim.NAdam,
        optim.RAdam,
        optim.Rprop,
        optim.ASGD,
    ):
        assert float(cls([p]).step(closure)) > 0


def test_add_param_group_and_defaults(device):
    a, b = nn.Parameter(A.ones(2, device=device)), nn.Parameter(A.ones(2, device=device))
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    g = opt.param_groups[1]
    assert g["params"] == [b] and g["lr"] == 0.01 and g["momentum"] == 0.9 and g["nesterov"] is False
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {nn.Parameter(A.ones(1))}})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([a])


def test_named_parameters_and_repr(device):
    w = nn.Parameter(A.ones(2, device=device))
    opt = optim.Adam([("w", w)], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w"] and opt.param_groups[0]["params"] == [w]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]
    r = repr(opt)
    assert r.startswith("Adam (") and "Parameter Group 0" in r and "lr: 0.1" in r


def test_constructor_errors(device):
    p = nn.Parameter(A.ones(2, device=device))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([p], lr=-1.0)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="rho"):
        optim.Adadelta([p], rho=1.5)
    with pytest.raises(ValueError, match="differentiable"):
        optim.SGD([p], differentiable=True)
    with pytest.warns(UserWarning, match="duplicate"):
        optim.SGD([p, p], lr=0.1)


def test_constructor_errors_radam_rprop_asgd(device):
    p = nn.Parameter(A.ones(2, device=device))
    with pytest.raises(ValueError, match="RAdam: invalid beta parameter at index 0: 1.0"):
        optim.RAdam([p], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="RAdam: invalid epsilon value"):
        optim.RAdam([p], eps=-1.0)
    with pytest.raises(ValueError, match="RAdam: invalid weight_decay value"):
        optim.RAdam([p], weight_decay=-0.1)
    with pytest.raises(ValueError, match="Rprop: invalid eta values: 0.5, 0.9"):
        optim.Rprop([p], etas=(0.5, 0.9))
    with pytest.raises(ValueError, match="Rprop: invalid eta values: 0.0, 1.2"):
        optim.Rprop([p], etas=(0.0, 1.2))
    with pytest.raises(ValueError, match="Rprop: invalid learning rate"):
        optim.Rprop([p], lr=-0.1)
    with pytest.raises(ValueError, match="ASGD: invalid learning rate"):
        optim.ASGD([p], lr=-0.1)
    with pytest.raises(ValueError, match="ASGD: invalid weight_decay value"):
        optim.ASGD([p], weight_decay=-0.1)
    for cls in (optim.RAdam, optim.Rprop, optim.ASGD):
        with pytest.raises(ValueError, match="differentiable"):
            cls([p], differentiable=True)
    assert optim.Rprop([p]).defaults["step_sizes"] == (1e-6, 50)
    assert optim.ASGD([p]).defaults["t0"] == 1e6


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_grad_shape_mismatch_error(device, momentum):
    p = nn.Parameter(A.ones(2, device=device))
    p.grad = A.ones(3, device=device)
    with pytest.raises(
        RuntimeError, match=r"SGD.step: a parameter of shape \(2,\).*gradient of shape \(3,\)"
    ):
        optim.SGD([p], lr=0.1, momentum=momentum).step()
    q = nn.Parameter(A.ones(2, device=device))  # a parameter without a gradient is skipped, the others move
    p.grad = A.ones(2, device=device)
    optim.SGD([q, p], lr=0.5, momentum=momentum).step()
    assert to_numpy(q).tolist() == [1.0, 1.0] and to_numpy(p).tolist() == [0.5, 0.5]


def test_step_hooks(device):
    p = nn.Parameter(A.ones(2, device=device))
    opt = optim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    opt.step()
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


def test_lr_change_takes_effect(device):
    p = nn.Parameter(A.tensor([1.0], device=device))
    opt = optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = 0.5
    p.grad = A.tensor([1.0], device=device)
    opt.step()
    assert abs(float(p) - 0.5) < 1e-7


def test_kernels_do_not_touch_grad(device):
    p = nn.Parameter(A.tensor([1.0, -2.0], device=device))
    for cls in (
        optim.SGD,
        optim.Adam,
        optim.RMSprop,
        optim.Adagrad,
        optim.Adadelta,
        optim.Adamax,
        optim.NAdam,
        optim.RAdam,
        optim.Rprop,
        optim.ASGD,
    ):
        g = A.tensor([0.5, 0.25], device=device)
        p.grad = g
        kw = {} if cls is optim.Rprop else {"weight_decay": 0.1}  # Rprop has no weight decay
        cls([p], maximize=True, **kw).step()
        assert to_numpy(g).tolist() == [0.5, 0.25], cls.__name__


def test_deepcopy_of_params_keeps_optimizers_independent(device):
    p = nn.Parameter(A.tensor([1.0, 2.0], device=device))
    q = copy.deepcopy(p)
    o1, o2 = optim.SGD([p], lr=0.1), optim.SGD([q], lr=0.1)
    p.grad = A.ones(2, device=device)
    o1.step()
    o2.step()
    assert to_numpy(q).tolist() == [1.0, 2.0]
