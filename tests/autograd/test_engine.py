"""The backward engine: long chains, diamonds, hooks, retain_grad/graph, in-place checks, anomaly mode."""

from __future__ import annotations

import time

import numpy as np
import pytest

import autograd as A


def _np(t):
    return t.detach().cpu().numpy()


def test_long_chain_no_recursion(device):
    x = A.tensor([1.0, 2.0], dtype=A.float64, device=device, requires_grad=True)
    # the walk is device-independent; the strict CUDA stand-in is slow per op, so it gets a shorter chain
    n = 100_000 if device == "cpu" else 20_000
    c = 1.0 + 1e-6
    y = x
    start = time.perf_counter()
    for _ in range(n):
        y = y * c
    y.sum().backward()
    elapsed = time.perf_counter() - start
    np.testing.assert_allclose(_np(x.grad), [c**n, c**n], rtol=1e-9)
    assert elapsed < 60, f"{n}-op chain took {elapsed:.1f}s (quadratic behaviour?)"


def test_long_chain_create_graph(device):
    x = A.tensor(0.5, dtype=A.float64, device=device, requires_grad=True)
    y = x
    for _ in range(5_000):
        y = y * 1.0001 + 0.0
    (g,) = A.grad(y * y, x, create_graph=True)
    np.testing.assert_allclose(g.item(), 2 * 0.5 * 1.0001**10_000)
    assert g.requires_grad
    (gg,) = A.grad(g, x)
    np.testing.assert_allclose(gg.item(), 2 * 1.0001**10_000)


def test_diamond_and_reuse(device):
    x = A.tensor([0.3, -0.7], dtype=A.float64, device=device, requires_grad=True)
    a = x * 2
    b = a.exp()
    c = a.sin()
    (b * c + a * a).sum().backward()
    xv = np.array([0.3, -0.7])
    want = 2 * np.exp(2 * xv) * np.sin(2 * xv) + 2 * np.exp(2 * xv) * np.cos(2 * xv) + 8 * xv
    np.testing.assert_allclose(_np(x.grad), want)


def test_same_tensor_twice_in_one_op(device):
    x = A.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    x.grad = None
    (x + x + x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]


def test_broadcast_gradient_reduction(device):
    a = A.ones(2, 3, 4, device=device, requires_grad=True)
    b = A.ones(3, 1, device=device, requires_grad=True)
    c = A.tensor(2.0, device=device, requires_grad=True)
    (a * b * c).sum().backward()
    assert b.grad.shape == (3, 1) and b.grad.tolist() == [[16.0]] * 3
    assert c.grad.shape == () and c.grad.item() == 24.0
    assert a.grad.shape == (2, 3, 4)


def test_grad_accumulates_across_backward_calls(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_leaf_grads_never_alias(device):
    a = A.zeros(3, device=device, requires_grad=True)
    b = A.zeros(3, device=device, requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(1)
    assert b.grad.tolist() == [1.0, 1.0, 1.0] and a.grad.tolist() == [2.0, 2.0, 2.0]
    x = A.zeros(2, 3, device=device, requires_grad=True)
    y = A.zeros(6, device=device, requires_grad=True)
    g = A.ones(6, device=device)
    (x.reshape(6) + y).backward(g)
    x.grad.mul_(5)
    assert y.grad.tolist() == [1.0] * 6 and g.tolist() == [1.0] * 6
    # one leaf used twice: a fresh sum, not the incoming gradient
    u = A.zeros(3, device=device, requires_grad=True)
    gu = A.ones(3, device=device)
    (u + u).backward(gu)
    u.grad.add_(1)
    assert u.grad.tolist() == [3.0] * 3 and gu.tolist() == [1.0] * 3
    # with create_graph the stored grads are still separate tensors
    p = A.ones(2, device=device, requires_grad=True)
    q = A.ones(2, device=device, requires_grad=True)
    (p + q).sum().backward(create_graph=True)
    assert p.grad is not q.grad
    p.grad.detach().add_(1)
    assert q.grad.tolist() == [1.0, 1.0]
    # the gradient handed to backward() is not stored as anyone's .grad
    z = A.zeros(3, device=device, requires_grad=True)
    gz = A.ones(3, device=device)
    (z * 1).backward(gz)
    z.grad.add_(1)
    assert gz.tolist() == [1.0, 1.0, 1.0]


def test_non_scalar_backward_needs_gradient(device):
    x = A.ones(3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(
        RuntimeError, match=r"mismatch in shape: gradient has shape \(2,\) but the output has shape \(3,\)"
    ):
        (x * 2).backward(A.ones(2, device=device))
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        A.ones(3, device=device).sum().backward()


# ---- hooks and retain_grad ---------------------------------------------------------------------


def test_leaf_hook_replaces_grad(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    h = x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and x.grad.tolist() == [30.0, 30.0]
    h.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_nonleaf_hook_changes_upstream(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()) or g * 0 + 1)
    (y * y).sum().backward()
    assert seen == [[4.0, 8.0]]
    assert x.grad.tolist() == [2.0, 2.0]  # the replaced gradient (ones) flowed on
    assert y.grad is None


def test_retain_grad(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = y * y
    assert y.retains_grad and not z.retains_grad
    z.sum().backward()
    assert y.grad.tolist() == [4.0, 8.0] and z.grad is None
    x.retain_grad()  # a leaf: no-op
    with pytest.raises(RuntimeError, match="retain_grad"):
        A.ones(2, device=device).retain_grad()
    with pytest.raises(
        RuntimeError, match="register_hook: cannot register a hook on a tensor that doesn't require gradient"
    ):
        A.ones(2, device=device).register_hook(lambda g: g)


# ---- retain_graph ------------------------------------------------------------------------------


def test_second_backward_needs_retain_graph(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(
        RuntimeError, match="Backward: trying to backward through the graph a second time.*retain_graph=True"
    ):
        y.backward()
    x.grad = None
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.tolist()
    y.backward()
    np.testing.assert_allclose(x.grad.tolist(), [2 * v for v in first])


# ---- in-place checks ---------------------------------------------------------------------------


def test_modified_saved_output_is_detected(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(
        RuntimeError,
        match=r"modified by an inplace operation: \[ExpBackward\].*version 1; expected version 0",
    ):
        y.sum().backward()


def test_modified_saved_input_is_detected(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    a = x * 1
    b = a * a
    a.mul_(2)
    with pytest.raises(RuntimeError, match=r"\[MulBackward\] saved tensor of shape \(2,\)"):
        b.sum().backward()


def test_inplace_through_a_view_is_detected(device):
    x = A.tensor([[1.0, 2.0], [3.0, 4.0]], device=device, requires_grad=True)
    a = x * 1
    b = a.sin()
    a.T.zero_()  # shares a's memory and version counter
    with pytest.raises(RuntimeError, match=r"\[SinBackward\]"):
        b.sum().backward()


def test_inplace_not_saved_is_fine(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = x * 2
    y.add_(1)  # nothing saved y; its history continues in place
    y.mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    assert y.grad_fn is not None and y._version == 2
    z = x * 2
    z.mul_(z)  # as in PyTorch: mul_ saves its argument, which this very call modifies
    with pytest.raises(RuntimeError, match=r"\[MulBackward\].*is at version \d; expected version \d"):
        z.sum().backward()


def test_leaf_inplace_error(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    for op in (
        lambda: x.add_(1),
        lambda: x.mul_(2),
        lambda: x.exp_(),
        lambda: x.clamp_(0, 1),
        lambda: x.fill_(0),
    ):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
    with A.no_grad():
        x.add_(1)
        x.zero_()
    assert x.tolist() == [0.0, 0.0] and x.requires_grad


# ---- anomaly mode ------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_detect_anomaly_names_op_and_forward_stack(device):
    x = A.tensor([0.0, 1.0], device=device, requires_grad=True)
    with A.detect_anomaly():
        y = x.sqrt()  # the derivative at 0 is inf
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward' returned (inf|nan) values") as e:
            y.sum().backward()
    assert "test_detect_anomaly_names_op_and_forward_stack" in str(e.value)  # the forward stack
    assert "y = x.sqrt()" in str(e.value)
    assert not A.is_anomaly_enabled()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_anomaly_off_lets_inf_through(device):
    x = A.tensor([0.0, 1.0], device=device, requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(_np(x.grad)[0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_set_detect_anomaly(device):
    A.set_detect_anomaly(True)
    try:
        assert A.is_anomaly_enabled()
        x = A.tensor([-1.0], device=device, requires_grad=True)
        y = x.log() * 0
        with pytest.raises(RuntimeError, match="LogBackward|MulBackward"):
            (y * float("nan")).sum().backward()
    finally:
        A.set_detect_anomaly(False)
    assert not A.is_anomaly_enabled()


# ---- autograd.grad -----------------------------------------------------------------------------


def test_grad_multiple_inputs_outputs_and_grad_outputs(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    w = A.tensor([3.0, 4.0], device=device, requires_grad=True)
    y1 = x * w
    y2 = (x * x).sum()
    gx, gw = A.grad([y1, y2], [x, w], grad_outputs=[A.tensor([1.0, 10.0], device=device), None])
    assert gx.tolist() == [3.0 + 2.0, 40.0 + 4.0] and gw.tolist() == [1.0, 20.0]
    assert x.grad is None and w.grad is None  # grad() never touches .grad


def test_grad_allow_unused(device):
    x = A.tensor([1.0], device=device, requires_grad=True)
    u = A.tensor([1.0], device=device, requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(
        RuntimeError, match=r"grad: inputs\[1\] .* appears to not have been used in the graph"
    ):
        A.grad(y, [x, u], retain_graph=True)
    gx, gu = A.grad(y, [x, u], allow_unused=True, retain_graph=True)
    assert gx.tolist() == [2.0] and gu is None
    gx, gu = A.grad(y, [x, u], materialize_grads=True)
    assert gu.tolist() == [0.0]


def test_grad_of_intermediate(device):
    x = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = A.grad(y, h)
    assert gh.tolist() == [6.0, 12.0]
    with pytest.raises(RuntimeError, match=r"grad: inputs\[0\] does not require grad"):
        A.grad(y, A.ones(2, device=device))


def test_backward_inputs_argument(device):
    x = A.tensor([1.0], device=device, requires_grad=True)
    w = A.tensor([2.0], device=device, requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and w.grad is None


# ---- higher order --------------------------------------------------------------------------------

SECOND = {
    "tanh": (lambda x: x.tanh(), lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    "exp": (lambda x: x.exp(), np.exp),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    "log": (lambda x: x.log(), lambda x: -1 / x**2),
    "pow3": (lambda x: x**3, lambda x: 6 * x),
    "pow_tensor": (lambda x: x**x, lambda x: x**x * ((np.log(x) + 1) ** 2 + 1 / x)),
    "sqrt": (lambda x: x.sqrt(), lambda x: -0.25 * x**-1.5),
    "sin": (lambda x: x.sin(), lambda x: -np.sin(x)),
    "div": (lambda x: 1 / x, lambda x: 2 / x**3),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivative_closed_form(device, name):
    fn, d2 = SECOND[name]
    xv = np.array([0.4, 0.9, 1.7])
    x = A.tensor(xv, dtype=A.float64, device=device, requires_grad=True)
    (g,) = A.grad(fn(x).sum(), x, create_graph=True)
    (gg,) = A.grad(g.sum(), x)
    np.testing.assert_allclose(_np(gg), d2(xv), rtol=1e-10)
    assert A.gradgradcheck(
        lambda t: fn(t), (A.tensor(xv, dtype=A.float64, device=device, requires_grad=True),)
    )


def test_second_derivative_matmul(device):
    rng = np.random.default_rng(0)
    a = A.tensor(rng.standard_normal((2, 3)), dtype=A.float64, device=device, requires_grad=True)
    b = A.tensor(rng.standard_normal((3, 2)), dtype=A.float64, device=device, requires_grad=True)
    assert A.gradgradcheck(lambda p, q: (p @ q).tanh(), (a, b))
    # d/db of sum(d(sum((a@b)^2))/da) has a closed form: 2 * (a^T 1 1^T... ) checked numerically above;
    # here: the Hessian-vector product of f(a) = sum((a@b)^2) along v is 2 (v@b) b^T
    v = A.tensor(rng.standard_normal((2, 3)), dtype=A.float64, device=device)
    (ga,) = A.grad(((a @ b) ** 2).sum(), a, create_graph=True)
    (hv,) = A.grad((ga * v).sum(), a)
    bn = _np(b)
    np.testing.assert_allclose(_np(hv), 2 * (_np(v) @ bn) @ bn.T, rtol=1e-10)


def test_higher_order_against_torch(device):
    torch = pytest.importorskip("torch")
    xv = np.array([0.3, -0.8, 1.1])
    fns = [
        (lambda t: (t.tanh() * t.exp()).sum(), lambda t: (t.tanh() * t.exp()).sum()),
        (lambda t: (t.sigmoid() ** 2).sum(), lambda t: (t.sigmoid() ** 2).sum()),
        (lambda t: t.logsumexp(0), lambda t: t.logsumexp(0)),
    ]
    for ours, theirs in fns:
        x = A.tensor(xv, dtype=A.float64, device=device, requires_grad=True)
        (g,) = A.grad(ours(x), x, create_graph=True)
        (gg,) = A.grad((g * g).sum(), x)
        tx = torch.tensor(xv, requires_grad=True)
        (tg,) = torch.autograd.grad(theirs(tx), tx, create_graph=True)
        (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
        np.testing.assert_allclose(_np(gg), tgg.numpy(), rtol=1e-10)


def test_third_derivative(device):
    x = A.tensor(0.7, dtype=A.float64, device=device, requires_grad=True)
    y = x.exp() * x.sin()
    (g1,) = A.grad(y, x, create_graph=True)
    (g2,) = A.grad(g1, x, create_graph=True)
    (g3,) = A.grad(g2, x)
    xv = 0.7
    # (e^x sin x)''' = 2 e^x (cos x - sin x)
    np.testing.assert_allclose(g3.item(), 2 * np.exp(xv) * (np.cos(xv) - np.sin(xv)), rtol=1e-12)


def test_create_graph_backward_accumulates_differentiable_grad(device):
    x = A.tensor([1.0, 2.0], dtype=A.float64, device=device, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    g = x.grad
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0]


# An earlier consumer of a tensor keeps the tensor's history as it was when it consumed it (PyTorch's
# edges capture the history at record time), even after an in-place op re-points ``grad_fn``.


def test_inplace_after_use_keeps_earlier_history(device):
    a = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = a * 1
    z = y.exp()  # Exp saves its output, not y
    y.mul_(2)
    z.sum().backward()
    np.testing.assert_allclose(_np(a.grad), np.exp([1.0, 2.0]), rtol=1e-6)


def test_inplace_after_use_in_add(device):
    a = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    y = a * 1
    z = y + 1
    y.add_(1)
    (z * y).sum().backward()  # d/da of (a + 1) * (a + 1)
    np.testing.assert_allclose(_np(a.grad), [4.0, 6.0])


def test_setitem_into_tensor_used_before(device):
    w = A.tensor([1.0, 2.0], device=device, requires_grad=True)
    v = A.tensor([3.0, 4.0], device=device, requires_grad=True)
    x = A.zeros(2, device=device)
    z = x + v  # x did not require grad here (and Add saves nothing, so the edit below is legal)
    x[0] = w[0] * 1
    (z.sum() + x.sum()).backward()
    assert w.grad.tolist() == [1.0, 0.0] and v.grad.tolist() == [1.0, 1.0]
    y = A.zeros(2, device=device)
    z = y * v  # Mul saves y for v's gradient: editing y afterwards is an error, as in PyTorch
    y[0] = w[0] * 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (z.sum() + y.sum()).backward()
