"""Views and in-place writes: PyTorch's aliasing semantics for values and gradients.

A write through a view changes its base (and the base's gradient history: CopySlices); a write to the base
changes every view of it (their history is re-derived: AsStrided). Each scenario is written once against a
``lib`` module (ours or torch); gradients are checked against hand-derived values, and against PyTorch
where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, torch

import autograd as A
import nn
from autograd.ops.inplace import index_map


def _t(lib, values, device, requires_grad=False):
    if lib is A:
        return A.tensor(values, dtype=A.float64, device=device, requires_grad=requires_grad)
    return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)


def write_through_index_view(lib, device):
    x = _t(lib, [[1.0, 2.0], [3.0, 4.0]], device, True)
    y = x * 2
    y[0].mul_(3)
    (y * y).sum().backward()
    return [x.grad]


def write_through_scalar_view(lib, device):
    x = _t(lib, [1.0, 2.0, 3.0], device, True)
    y = x * 2
    y[1].mul_(3)
    y.sum().backward()
    return [x.grad]


def write_through_slice_with_grad_operand(lib, device):
    x = _t(lib, [1.0, 2.0, 3.0], device, True)
    w = _t(lib, [5.0, 7.0], device, True)
    y = x * 1
    y[:2].mul_(w)
    (y * y).sum().backward()
    return [x.grad, w.grad]


def write_to_base_then_use_view(lib, device):
    x = _t(lib, [[1.0], [2.0], [3.0]], device, True)
    y = x * 2
    v = y[:2]
    y.mul_(3)
    (v * v).sum().backward()
    return [x.grad]


def write_through_transposed_view(lib, device):
    x = _t(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device, True)
    y = x.sin()
    yt = y.t()
    yt[0].add_(yt[2])  # column 0 of y += column 2 of y (values read before the write)
    (y * y).sum().backward()
    return [x.grad]


def write_through_reshaped_view(lib, device):
    x = _t(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device, True)
    y = x * 1
    v = y.view(3, 2)
    v[1:].mul_(v[1:].detach() + 1)
    (y * y).sum().backward()
    return [x.grad]


def setitem_on_a_view(lib, device):
    x = _t(lib, [1.0, 2.0, 3.0, 4.0], device, True)
    y = x * 1
    v = y[1:]
    v[0] = x[3] * 5  # y[1] = 5 * x[3]
    y.sum().backward()
    return [x.grad]


def earlier_uses_keep_old_value(lib, device):
    x = _t(lib, [1.0, 2.0, 3.0], device, True)
    y = x * 2
    s = y.sum()  # recorded before the write: sees the old y
    y[:1].mul_(3)
    (s + y.sum()).backward()
    return [x.grad]


def view_of_view_write(lib, device):
    x = _t(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device, True)
    y = x * 1
    v = y[1]
    vv = v[1:]
    vv.mul_(10)
    (y * v.sum()).sum().backward()
    return [x.grad]


def inplace_activation_on_view(lib, device):
    x = _t(lib, [[-1.0, 2.0], [3.0, -4.0]], device, True)
    y = x * 1
    F = nn.functional if lib is A else torch.nn.functional
    F.leaky_relu(y[1], 0.5, inplace=True)
    (y * y).sum().backward()
    return [x.grad]


SCENARIOS = {
    "write_through_index_view": (write_through_index_view, [[[72.0, 144.0], [24.0, 32.0]]]),
    "write_through_scalar_view": (write_through_scalar_view, [[2.0, 6.0, 2.0]]),
    "write_through_slice_with_grad_operand": (
        write_through_slice_with_grad_operand,
        [[50.0, 196.0, 6.0], [10.0, 56.0]],
    ),
    "write_to_base_then_use_view": (write_to_base_then_use_view, [[[72.0], [144.0], [0.0]]]),
    "write_through_reshaped_view": (
        write_through_reshaped_view,
        # v[1:] covers y's flat elements 2..5 (values 3..6): y_new = y * c with c = y + 1 detached,
        # so the gradient there is 2 y_new c
        [[[2.0, 4.0, 2 * 12 * 4], [2 * 20 * 5, 2 * 30 * 6, 2 * 42 * 7]]],
    ),
    "setitem_on_a_view": (setitem_on_a_view, [[1.0, 0.0, 1.0, 6.0]]),
    "earlier_uses_keep_old_value": (earlier_uses_keep_old_value, [[8.0, 4.0, 4.0]]),
    "view_of_view_write": (
        # y = [[1,2,3],[4,50,60]], v = y[1] (after the write), S = sum(v) = 114: L = S * sum(y) = S * 120,
        # dL/dy = S, plus sum(y) on row 1 (S's own terms), chained through the x10 on y[1, 1:]
        view_of_view_write,
        [[[114.0] * 3, [234.0, 2340.0, 2340.0]]],
    ),
    "inplace_activation_on_view": (inplace_activation_on_view, [[[-2.0, 4.0], [6.0, -2.0]]]),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_view_write_gradients(device, name):
    fn, want = SCENARIOS[name]
    got = fn(A, device)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.cpu().numpy(), np.array(w), rtol=1e-12, err_msg=name)


def test_write_through_transposed_view(device):
    (g,) = write_through_transposed_view(A, device)
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = np.sin(x)
    y[:, 0] += np.sin(x[:, 2])
    want = 2 * y * np.cos(x)  # d(sum y^2)/dx through each column's own sin ...
    want[:, 2] += 2 * y[:, 0] * np.cos(x[:, 2])  # ... and column 2 also feeds column 0
    np.testing.assert_allclose(g.cpu().numpy(), want, rtol=1e-12)


@pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is the reference")
@pytest.mark.parametrize("name", sorted(SCENARIOS) + ["write_through_transposed_view"])
def test_view_write_gradients_match_torch(device, name):
    fn = SCENARIOS[name][0] if name in SCENARIOS else globals()[name]
    for g, w in zip(fn(A, device), fn(torch, "cpu")):
        np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=1e-12, err_msg=name)


def test_grad_fns_after_writes(device):
    x = A.ones(3, 2, device=device, requires_grad=True)
    y = x * 2
    v = y[:2]
    assert v.grad_fn.name() == "GetItemBackward"
    v.mul_(3)
    assert y.grad_fn.name() == "CopySlices"
    assert v.grad_fn.name() == "AsStridedBackward"
    assert v._base is y and y._base is None


def test_views_share_memory_and_base(device):
    x = A.zeros(3, 4, device=device)
    x[0].fill_(1)  # a row view
    x[1, 2].fill_(2)  # a full integer index gives a 0-d view, as in PyTorch
    x.t()[3].add_(5)  # column 3 through a transposed view
    x.view(12)[-1].mul_(2)
    want = np.array([[1, 1, 1, 6], [0, 0, 2, 5], [0, 0, 0, 10]], dtype=np.float32)
    np.testing.assert_array_equal(x.cpu().numpy(), want)
    v = x[1:]
    assert v._base is x and v[0]._base is x  # a view of a view has the owner as its base
    assert x[1, 2].data_ptr() == x.data_ptr() + (4 + 2) * 4


def test_flip_is_a_copy(device):
    x = A.arange(4.0, device=device)
    y = x.flip(0)
    y.fill_(0)
    np.testing.assert_array_equal(x.cpu().numpy(), [0.0, 1.0, 2.0, 3.0])


def test_write_through_view_of_leaf_is_refused(device):
    w = A.ones(2, 3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"mul_: a view of a leaf Variable that requires grad"):
        w[0].mul_(2)
    with pytest.raises(RuntimeError, match=r"a view of a leaf Variable"):
        w[:, 1].fill_(0)
    with pytest.raises(RuntimeError, match=r"a view of a leaf Variable"):
        w.view(6)[0] = 3.0
    with pytest.raises(RuntimeError, match=r"a view of a leaf Variable"):
        w[0].uniform_()
    np.testing.assert_array_equal(w.detach().cpu().numpy(), np.ones((2, 3)))  # nothing was written
    with A.no_grad():  # the usual way to edit parameters
        w[0].mul_(2)
        w[:, 1].fill_(0)
    np.testing.assert_array_equal(w.detach().cpu().numpy(), [[2, 0, 2], [1, 0, 1]])
    assert w.grad_fn is None and w.requires_grad


def test_view_made_under_no_grad_is_refused_with_grad_on(device):
    y = A.ones(3, device=device, requires_grad=True) * 2
    with A.no_grad():
        v = y[:2]
    with pytest.raises(RuntimeError, match=r"view was created in no_grad mode"):
        v.mul_(2)


def test_write_to_base_without_grad_reaches_views_values(device):
    x = A.ones(2, 2, device=device)
    v = x[0]
    x.mul_(5)
    np.testing.assert_array_equal(v.cpu().numpy(), [5.0, 5.0])


def test_base_gains_history_through_view_write(device):
    """A base that did not require grad does once a view of it is written with a tensor that does."""
    buf = A.zeros(2, 3, dtype=A.float64, device=device)
    src = A.tensor([1.0, 2.0, 3.0], dtype=A.float64, device=device, requires_grad=True)
    buf[1].copy_(src)
    assert buf.requires_grad and buf.grad_fn.name() == "CopySlices"
    (buf * buf).sum().backward()
    np.testing.assert_allclose(src.grad.cpu().numpy(), [2.0, 4.0, 6.0])


def test_custom_function_marking_a_view_dirty(device):
    class Double(A.Function):
        @staticmethod
        def forward(ctx, t):
            t.mul_(2)
            ctx.mark_dirty(t)
            return t

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = A.tensor([1.0, 2.0, 3.0], dtype=A.float64, device=device, requires_grad=True)
    y = x * 1
    Double.apply(y[1:])
    assert y.grad_fn.name() == "CopySlices"
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [2.0, 16.0, 24.0])


def test_double_backward_through_view_writes(device):
    def f(a, b):
        y = a * a
        y[1:].mul_(b)
        v = y[:2]
        y.sin_()
        return (v * y[2:].sum()).sum()

    a = A.tensor([0.3, -0.7, 1.1], dtype=A.float64, device=device, requires_grad=True)
    b = A.tensor([1.3, 0.4], dtype=A.float64, device=device, requires_grad=True)
    assert A.gradcheck(f, (a, b))
    assert A.gradgradcheck(f, (a, b))


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_index_map_any_base_layout(layout):
    base = np.arange(24.0).reshape(4, 6)
    if layout == "F":
        base = np.asfortranarray(base)
    elif layout == "strided":
        base = np.arange(48.0).reshape(4, 12)[:, ::2]
    view = base.T[1:5:2, ::-1]
    idx = index_map(base, view)
    assert idx.shape == view.shape
    np.testing.assert_array_equal(base.reshape(-1)[idx], view)


def test_random_fill_replaces_history(device):
    """A random fill of a tensor with history cuts the gradient to its old value (PyTorch records the write)."""
    x = A.ones(3, device=device, requires_grad=True)
    fills = {
        "uniform_": (lambda t: t.uniform_(), [0.0, 0.0, 0.0]),
        "normal_": (lambda t: t.normal_(), [0.0, 0.0, 0.0]),
        "exponential_": (lambda t: t.exponential_(), [0.0, 0.0, 0.0]),
        "view uniform_": (lambda t: t[1:].uniform_(), [2.0, 0.0, 0.0]),
    }
    for name, (fill, want) in fills.items():
        y = x * 2
        fill(y)
        y.sum().backward()
        assert x.grad.tolist() == want, name
        x.grad = None


def test_addmm_beta_zero_ignores_input(device):
    m = A.full((2, 2), float("nan"), device=device, requires_grad=True)
    out = m.addmm(A.ones(2, 2, device=device), A.ones(2, 2, device=device), beta=0)
    assert out.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    out.sum().backward()
    assert m.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_writes_into_expanded_tensors_are_refused_clearly(device):
    e = A.ones(3, 1, device=device).expand(3, 4)
    with pytest.raises(
        RuntimeError, match="mul_: unsupported operation: more than one element of the written-to"
    ):
        e.mul_(2)
    if (
        device == "cpu"
    ):  # (PyTorch and CuPy allow plain fills of shared memory; NumPy's expanded arrays are read-only)
        for write in (lambda: e.fill_(2), lambda: e.zero_(), lambda: e.copy_(A.zeros(3, 4))):
            with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
                write()


def test_graph_views_show_the_history_nodes_saw(device):
    """next_functions and viz follow the history an input had when the node was recorded (no cycle through
    the CopySlices node that now owns the base)."""
    from autograd import viz

    x = A.ones(3, device=device, requires_grad=True)
    y = x * 2
    old = y.grad_fn
    y[1:].mul_(3)
    cs = y.grad_fn
    view_mul = cs.next_functions[1][0]  # the in-place mul, applied to the view of the old y
    getitem = view_mul.next_functions[0][0]
    assert getitem.name() == "GetItemBackward" and getitem.next_functions[0][0] is old
    dot = viz.make_dot(y.sum()).source
    ids = {ln.split()[0]: ln for ln in dot.splitlines() if ln.strip().startswith("op") and " -> " not in ln}
    cs_id = next(k for k, v in ids.items() if '"CopySlices"' in v)
    gi_id = next(k for k, v in ids.items() if '"GetItemBackward"' in v)
    assert f"{cs_id} -> {gi_id}" not in dot
