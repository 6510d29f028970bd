"""viz.grad_flow / format_grad_flow: per-parameter gradient statistics after backward."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as A
import nn
from autograd import viz


def test_grad_flow_rows_and_table(device):
    A.manual_seed(0)
    m = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).to(device)
    m[0].bias.requires_grad_(False)
    x = A.randn(5, 4, device=device)
    (m(x) ** 2).sum().backward()
    rows = viz.grad_flow(m)
    assert [r["name"] for r in rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    w = rows[0]
    g = m[0].weight.grad.cpu().numpy().astype(np.float64)
    np.testing.assert_allclose(w["grad_norm"], np.linalg.norm(g), rtol=1e-6)
    np.testing.assert_allclose(w["grad_abs_mean"], np.abs(g).mean(), rtol=1e-6)
    np.testing.assert_allclose(w["grad_abs_max"], np.abs(g).max(), rtol=1e-6)
    np.testing.assert_allclose(
        w["ratio"], np.linalg.norm(g) / np.linalg.norm(m[0].weight.detach().cpu().numpy()), rtol=1e-5
    )
    assert w["shape"] == (3, 4) and w["finite"] is True
    assert rows[1]["grad_norm"] is None  # frozen
    table = viz.format_grad_flow(rows).splitlines()
    assert table[0].split()[0] == "name" and "(no grad)" in table[2] and "#" in table[1]


def test_grad_flow_inputs_and_nan():
    a = A.tensor([1.0, 2.0], requires_grad=True)
    a.grad = A.tensor([float("nan"), 1.0])
    b = A.zeros(2)
    rows = viz.grad_flow({"a": a, "b": b})
    assert rows[0]["finite"] is False and rows[1]["grad_norm"] is None
    assert "nan/inf!" in viz.format_grad_flow(rows)
    assert [r["name"] for r in viz.grad_flow([a, b])] == ["param0", "param1"]
    assert [r["name"] for r in viz.grad_flow([("x", a)])] == ["x"]
    with pytest.raises(TypeError, match="grad_flow: expected a Module, named parameters or tensors, got int"):
        viz.grad_flow([1])
