"""Every op's raw-array fast path (``backward_raw``) must agree with its differentiable ``backward``.

``autograd.grad`` with ``create_graph=False`` takes the raw path, with ``create_graph=True`` the Tensor
path; the two results are compared for representative calls of each op that has a raw rule, and a
spy checks the raw rule really ran.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as A
from autograd.ops.base import Primitive
from autograd.ops.reduce import sum_to

# class name -> representative calls (fn, input shapes); inputs are float64 and require grad
RAW_CASES = {
    "Add": [(lambda a, b: a + b, [(2, 3), (3,)]), (lambda a: a + 2.0, [(3,)]), (lambda a: 1 + a, [()])],
    "Sub": [(lambda a, b: a - b, [(2, 3), (2, 1)]), (lambda a: 1.5 - a, [(3,)])],
    "Mul": [(lambda a, b: a * b, [(2, 3), (3,)]), (lambda a: a * a, [(4,)]), (lambda a: a * 3, [()])],
    "Div": [(lambda a, b: a / b, [(2, 3), (3,)]), (lambda a: 2 / a, [(3,)])],
    "Neg": [(lambda a: -a, [(2, 3)])],
    "Exp": [(lambda a: a.exp(), [(2, 3)])],
    "Log": [(lambda a: (a * a + 1).log(), [(2, 3)])],
    "Sqrt": [(lambda a: (a * a + 1).sqrt(), [(2, 3)])],
    "Tanh": [(lambda a: a.tanh(), [(2, 3)])],
    "Sigmoid": [(lambda a: a.sigmoid(), [(2, 3)])],
    "Relu": [(lambda a: a.relu(), [(2, 3)])],
    "Copy": [
        (lambda a: a.clone(), [(2, 3)]),
        (lambda a: a.T.contiguous(), [(2, 3)]),
        (lambda a: a.contiguous(memory_format=A.channels_last) * a, [(2, 3, 2, 2)]),
    ],
    "GetItem": [
        (lambda a: a[1:, ::2], [(3, 4)]),
        (lambda a: a[[0, 0, 2]], [(3, 4)]),
        (lambda a: a[a > 0], [(3, 4)]),
        (lambda a: a[1, 2] * 2, [(3, 4)]),
        (lambda a: a[::-1, None], [(3, 4)]),
    ],
    "MatMul": [
        (lambda a, b: a @ b, [(2, 3), (3, 4)]),
        (lambda a, b: a @ b, [(3,), (3,)]),
        (lambda a, b: a @ b, [(3,), (2, 3, 4)]),
        (lambda a, b: a @ b, [(2, 3, 4), (4,)]),
        (lambda a, b: a @ b, [(2, 1, 3, 4), (5, 4, 2)]),
    ],
    "Sum": [
        (lambda a: a.sum(), [(2, 3)]),
        (lambda a: a.sum((0, 2), keepdim=True), [(2, 3, 2)]),
        (lambda a: a.sum(-1), [(2, 3)]),
        (lambda a: a.sum(), [()]),
        (lambda a: a.sum(dtype=A.float32), [(2, 3)]),
    ],
    "SumTo": [(lambda a: sum_to(a * 1, (3, 1)), [(2, 3, 4)]), (lambda a: sum_to(a.exp(), (1, 4)), [(3, 4)])],
    "Expand": [(lambda a: a.expand(2, 3, 4), [(3, 1)])],
    "Permute": [(lambda a: a.permute(2, 0, 1), [(2, 3, 4)]), (lambda a: a.T, [(2, 3)])],
    "Reshape": [(lambda a: a.reshape(3, 2), [(2, 3)]), (lambda a: a.unsqueeze(0), [(2, 3)])],
    "CopySlices": [(lambda a, b: _write_through_view(a, b), [(3, 4), (2, 2)])],
    "AsStrided": [
        (lambda a: _view_after_write(a, lambda y: y[1:, ::2]), [(3, 4)]),
        (lambda a: _view_after_write(a, lambda y: y[:, :1].expand(3, 5)), [(3, 4)]),  # overlapping view
    ],
}


def _write_through_view(a, b):
    y = a * 1
    y[1:, ::2].mul_(b)  # y's history becomes CopySlices
    return y


def _view_after_write(a, view):
    y = a * 1
    v = view(y)
    y.exp_()  # v is re-derived from y's new history
    return v


def _raw_classes() -> dict:
    out, stack = {}, [Primitive]
    while stack:
        for c in stack.pop().__subclasses__():
            stack.append(c)
            if c.backward_raw is not None and c.__module__.startswith("autograd."):
                out[c.__name__] = c
    return out


def test_every_raw_rule_is_covered():
    missing = sorted(set(_raw_classes()) - set(RAW_CASES))
    assert not missing, f"ops with backward_raw but no agreement case here: {missing}"


CASES = [(name, i) for name in sorted(RAW_CASES) for i in range(len(RAW_CASES[name]))]


@pytest.mark.parametrize("name, i", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_backward_raw_agrees_with_backward(device, name, i, monkeypatch):
    fn, shapes = RAW_CASES[name][i]
    cls = _raw_classes()[name]
    calls = []
    raw = cls.backward_raw

    def spy(ctx, *grads):
        calls.append(1)
        return raw(ctx, *grads)

    monkeypatch.setattr(cls, "backward_raw", staticmethod(spy))
    rng = np.random.default_rng(i)
    arrays = [rng.uniform(-2, 2, size=s) for s in shapes]
    results = []
    for create_graph in (False, True):
        xs = [A.tensor(a, dtype=A.float64, device=device, requires_grad=True) for a in arrays]
        out = fn(*xs)
        w = A.tensor(np.linspace(-1, 1, out.numel()).reshape(out.shape), dtype=out.dtype, device=device)
        n_before = len(calls)
        gs = A.grad((out * w).sum(), xs, create_graph=create_graph)
        if not create_graph:
            assert len(calls) > n_before, f"{name}.backward_raw was not used"
        else:
            assert len(calls) == n_before, "create_graph=True must use the differentiable backward"
        results.append([g.detach().cpu().numpy() for g in gs])
    for k, (r, t) in enumerate(zip(*results)):
        assert r.shape == t.shape and r.dtype == t.dtype, (
            f"input {k}: {r.shape}/{r.dtype} vs {t.shape}/{t.dtype}"
        )
        np.testing.assert_allclose(r, t, rtol=1e-12, atol=1e-12, err_msg=f"{name} input {k}")
