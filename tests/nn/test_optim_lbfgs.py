"""LBFGS: iterates vs torch.optim.LBFGS (with and without the strong Wolfe line search), state, errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn
from nn import optim

if HAVE_TORCH:
    import torch

# ---- problems, identical for both libraries ---------------------------------------------------------

_rng = np.random.default_rng(0)
_M = _rng.normal(size=(7, 7))
Q = _M @ _M.T / 7 + 0.5 * np.eye(7)  # SPD, condition number ~5
B = _rng.normal(size=7)
SHAPES = {"w": (2, 2), "v": (3,), "unused": (2,)}
INIT = {k: _rng.normal(size=s) for k, s in SHAPES.items()}
ROSEN_X0 = [-1.2, 1.0, 0.5]


def _quartic(P: dict, lib, q, b):
    """A convex quadratic plus a quartic term over two parameters (the third one gets no gradient)."""
    x = lib.cat([P["w"].reshape(-1), P["v"]])
    return 0.5 * (x @ (q @ x)) - b @ x + 0.1 * (x**4).sum()


def _rosenbrock(P: dict, lib, *_):
    x = P["x"]
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[2]) ** 2 + 100 * (x[2] - x[1] ** 2) ** 2


def _run(lib: str, problem: str, kwargs: dict, steps: int, device: str = "cpu", dtype: str = "float64"):
    """Run ``steps`` LBFGS steps; returns (params after each step, losses returned by step, optimizer)."""
    init = INIT if problem == "quartic" else {"x": np.array(ROSEN_X0)}
    fn = _quartic if problem == "quartic" else _rosenbrock
    if lib == "torch":
        dt = getattr(torch, dtype)
        P = {k: torch.nn.Parameter(torch.tensor(v, dtype=dt)) for k, v in init.items()}
        opt = torch.optim.LBFGS(list(P.values()), **kwargs)
        q, b, L = torch.tensor(Q, dtype=dt), torch.tensor(B, dtype=dt), torch
    else:
        dt = getattr(A, dtype)
        P = {k: nn.Parameter(A.tensor(v, dtype=dt, device=device)) for k, v in init.items()}
        opt = optim.LBFGS(list(P.values()), **kwargs)
        q, b, L = A.tensor(Q, dtype=dt, device=device), A.tensor(B, dtype=dt, device=device), A

    def closure():
        opt.zero_grad()
        loss = fn(P, L, q, b)
        loss.backward()
        return loss

    iterates, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        iterates.append(np.concatenate([np.array(to_numpy(p.detach())).ravel() for p in P.values()]))
    return np.array(iterates), losses, opt


CONFIGS = [
    ("quartic", dict(max_iter=5)),
    ("quartic", dict(max_iter=5, history_size=3, line_search_fn="strong_wolfe")),
    ("quartic", dict(lr=0.3, max_iter=4, history_size=2, tolerance_change=1e-12)),
    ("rosenbrock", dict(lr=0.5, max_iter=5, history_size=3)),
    ("rosenbrock", dict(line_search_fn="strong_wolfe")),  # converges, then stops on tolerances
    ("rosenbrock", dict(max_iter=7, history_size=4, max_eval=9, line_search_fn="strong_wolfe")),
]


def _cfg_id(c):
    return c[0] + "-" + ",".join(f"{k}={v}" for k, v in c[1].items())


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
@pytest.mark.parametrize("cfg", CONFIGS, ids=[_cfg_id(c) for c in CONFIGS])
def test_lbfgs_iterates_match_torch(cfg, device):
    problem, kwargs = cfg
    ours, losses, opt = _run("ours", problem, kwargs, 6, device)
    ref, ref_losses, ref_opt = _run("torch", problem, kwargs, 6)
    # the quartic agrees to ~1e-15; on Rosenbrock, last-bit differences of the dot products (BLAS) grow
    # along the curved valley to ~1e-9 over these iterations
    tol = 1e-12 if problem == "quartic" else 1e-8
    np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol, err_msg=_cfg_id(cfg))
    np.testing.assert_allclose(losses, ref_losses, rtol=tol, atol=tol)
    st, rst = opt.state_dict()["state"][0], ref_opt.state_dict()["state"][0]
    assert (st["func_evals"], st["n_iter"]) == (rst["func_evals"], rst["n_iter"])
    if problem == "quartic":  # the parameter without a gradient does not move
        np.testing.assert_array_equal(ours[:, -2:], np.tile(INIT["unused"], (6, 1)))
    if problem == "rosenbrock" and kwargs.get("line_search_fn") and "max_eval" not in kwargs:
        np.testing.assert_allclose(ours[-1], 1.0, atol=1e-4)  # the strong Wolfe run reaches the minimum


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_lbfgs_float32_follows_torch(device):
    ours, _, opt = _run("ours", "quartic", dict(max_iter=5), 3, device, dtype="float32")
    ref, _, _ = _run("torch", "quartic", dict(max_iter=5), 3, dtype="float32")
    # torch keeps LBFGS's scalars (dot products, step lengths) in float32 too, here they are Python floats
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-4)
    st = opt.state_dict()["state"][0]
    assert st["d"].dtype == A.float32 and st["d"].device == A.device(device)


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_lbfgs_state_dict_layout_matches_torch(device):
    kwargs = dict(max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    _, _, opt = _run("ours", "quartic", kwargs, 2, device)
    _, _, ref = _run("torch", "quartic", kwargs, 2)
    sd, rsd = opt.state_dict(), ref.state_dict()
    assert list(sd["state"]) == list(rsd["state"]) == [0]  # all state lives under the first parameter
    st, rst = sd["state"][0], rsd["state"][0]
    assert set(st) == set(rst)
    for key, v in rst.items():
        got = st[key]
        if isinstance(v, list):
            assert len(got) == len(v), key
            for a, b in zip(got, v):
                if b is None:
                    assert a is None, key
                else:
                    np.testing.assert_allclose(to_numpy(a), b.detach().numpy(), rtol=1e-9, err_msg=key)
        else:
            want = v.detach().numpy() if isinstance(v, torch.Tensor) else v
            np.testing.assert_allclose(to_numpy(got), want, rtol=1e-9, err_msg=key)
    assert sd["param_groups"][0]["max_eval"] == rsd["param_groups"][0]["max_eval"] == 5
    assert set(sd["param_groups"][0]) == set(rsd["param_groups"][0])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_round_trip_continues_identically(line_search_fn, device):
    kwargs = dict(max_iter=3, history_size=2, line_search_fn=line_search_fn)
    q, b = A.tensor(Q, device=device, dtype=A.float64), A.tensor(B, device=device, dtype=A.float64)

    def make(init):
        P = {k: nn.Parameter(A.tensor(v, dtype=A.float64, device=device)) for k, v in init.items()}
        return P, optim.LBFGS(list(P.values()), **kwargs)

    def steps(P, opt, n):
        def closure():
            opt.zero_grad()
            loss = _quartic(P, A, q, b)
            loss.backward()
            return loss

        for _ in range(n):
            opt.step(closure)

    P, opt = make(INIT)
    steps(P, opt, 2)
    saved = copy.deepcopy(opt.state_dict())
    saved["state"] = {str(k): v for k, v in saved["state"].items()}  # as a JSON-keyed file gives it back
    P2, opt2 = make({k: to_numpy(v.detach()) for k, v in P.items()})
    opt2.param_groups[0]["max_iter"] = 99  # options come from the state dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["max_iter"] == 3
    assert opt2.state[P2["w"]]["n_iter"] == opt.state[P["w"]]["n_iter"] > 3
    steps(P, opt, 2)
    steps(P2, opt2, 2)
    for k in P:
        np.testing.assert_array_equal(to_numpy(P[k].detach()), to_numpy(P2[k].detach()), err_msg=k)
    st, st2 = opt.state[P["w"]], opt2.state[P2["w"]]
    assert st["func_evals"] == st2["func_evals"] and st["d"]._data is not st2["d"]._data


def test_lbfgs_stops_at_once_when_already_optimal(device):
    p = nn.Parameter(A.tensor([1.0, -2.0], device=device, dtype=A.float64))
    opt = optim.LBFGS([p])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = ((p - A.tensor([1.0, -2.0], device=device, dtype=A.float64)) ** 2).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert len(calls) == 1 and to_numpy(p).tolist() == [1.0, -2.0] and p._version == 0
    assert opt.state[p] == {"func_evals": 1, "n_iter": 0}


def test_lbfgs_closure_runs_with_grad_and_step_without(device):
    p = nn.Parameter(A.tensor([3.0, -1.0], device=device, dtype=A.float64))
    opt = optim.LBFGS([p], max_iter=50, line_search_fn="strong_wolfe")
    seen = []

    def closure():
        seen.append(A.is_grad_enabled())
        opt.zero_grad()
        loss = ((p - 2.0) ** 2).sum()
        loss.backward()
        return loss

    with A.no_grad():
        opt.step(closure)
        assert not A.is_grad_enabled()  # the step restored the caller's grad mode
    assert seen and all(seen) and p.grad_fn is None and p.is_leaf
    np.testing.assert_allclose(to_numpy(p), [2.0, 2.0], atol=1e-6)


def test_lbfgs_errors(device):
    p = nn.Parameter(A.ones(2, device=device))
    with pytest.raises(ValueError, match="LBFGS: invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1.0)
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [nn.Parameter(A.ones(1, device=device))]}])
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS([p], line_search_fn="backtracking")
    opt = optim.LBFGS([p])
    with pytest.raises(TypeError, match="closure"):
        opt.step()
    opt.param_groups[0]["line_search_fn"] = "armijo"
    with pytest.raises(ValueError, match="'armijo'"):
        opt.step(lambda: (p * p).sum())
    assert optim.LBFGS([p], max_iter=8).defaults["max_eval"] == 10
    if device != "cpu":
        mixed = optim.LBFGS([p, nn.Parameter(A.ones(2))])

        def closure():
            mixed.zero_grad()
            return (p * p).sum()

        with pytest.raises(RuntimeError, match="one device"):
            mixed.step(closure)


def test_lbfgs_state_dict_through_nn_save(tmp_path, device):
    """Lists of history vectors, None entries of 'al' and float scalars survive nn.save / nn.load."""

    def setup(values):
        p = nn.Parameter(A.tensor(values, dtype=A.float64, device=device))
        opt = optim.LBFGS([p], max_iter=3, history_size=4)

        def closure():
            opt.zero_grad()
            loss = ((p - 2.0) ** 4).sum()
            loss.backward()
            return loss

        return p, opt, closure

    p, opt, closure = setup([3.0, -1.0])
    opt.step(closure)
    opt.step(closure)
    nn.save(opt.state_dict(), tmp_path / "lbfgs.npz")
    p2, opt2, closure2 = setup(to_numpy(p.detach()))
    opt2.load_state_dict(nn.load(tmp_path / "lbfgs.npz"))
    st = opt2.state[p2]
    assert isinstance(st["t"], float) and isinstance(st["n_iter"], int) and None in st["al"]
    opt.step(closure)
    opt2.step(closure2)
    np.testing.assert_array_equal(to_numpy(p.detach()), to_numpy(p2.detach()))
