"""Bad input raises an error naming the op and the shapes/dtypes/devices involved, never a bare NumPy one."""

from __future__ import annotations

import pytest

import autograd as A

SAME_DEVICE = "expected all tensors to be on the same device, but found at least two devices"


def test_mixed_devices(device):
    if device == "cpu":
        pytest.skip("needs a second device; runs on the 'cuda' parametrization")
    d = A.ones(2, device=device)
    c = A.ones(2)
    idx = A.tensor([0])
    cases = {
        "add": lambda: d + c,
        "mul": lambda: c * d,
        "matmul": lambda: d @ c,
        "cat": lambda: A.cat([d, c]),
        "stack": lambda: A.stack([c, d]),
        "where": lambda: A.where(d > 0, d, c),
        "einsum": lambda: A.einsum("i,i", d, c),
        "gather": lambda: d.gather(0, idx),
        "scatter_add": lambda: d.scatter_add(0, idx, c[:1]),
        "index_select": lambda: d.index_select(0, idx),
        "maximum": lambda: d.maximum(c),
    }
    for op, f in cases.items():
        with pytest.raises(RuntimeError, match=f"{op}: ({SAME_DEVICE}|.*on cpu)"):
            f()
    # as in PyTorch: CPU indices and CPU scalar tensors are moved; device indices into a CPU tensor are not
    assert d[idx].tolist() == [1.0] and d[A.tensor([True, False])].device == d.device
    d[0] = A.tensor(5.0)
    assert d.tolist() == [5.0, 1.0]
    with pytest.raises(RuntimeError, match="index: indices are on cuda:0 but the indexed tensor is on cpu"):
        c[idx.to(device)]
    with pytest.raises(RuntimeError, match="index_put_: value is on cpu but the tensor is on cuda:0"):
        d[0:2] = A.ones(2)


def test_to_device_is_differentiable(device):
    x = A.ones(2, requires_grad=True)
    y = x.to(device)
    assert y.device == A.device(device)
    (y * 3).sum().backward()
    assert x.grad.device == A.device("cpu") and x.grad.tolist() == [3.0, 3.0]
    assert A.ones(1, device=device).cpu().device == A.device("cpu")


def test_dtype_errors(device):
    x = A.ones(2, 3, device=device)
    with pytest.raises(
        RuntimeError,
        match="matmul: expected both arguments to have the same dtype, but got autograd.float32 and autograd.float64",
    ):
        x @ A.ones(3, 2, dtype=A.float64, device=device)
    with pytest.raises(
        RuntimeError, match="only Tensors of floating point dtype can require gradients, got autograd.int64"
    ):
        A.tensor([1, 2], device=device, requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match="where: expected condition to be a boolean tensor, but got a tensor with dtype autograd.float32",
    ):
        A.where(x, x, x)
    with pytest.raises(RuntimeError, match="einsum: expected all operands to have the same dtype"):
        A.einsum("ij,jk", x, A.ones(3, 2, dtype=A.float64, device=device))
    with pytest.raises(IndexError, match="long, int or bool tensors, got autograd.float32"):
        x[A.ones(1, device=device)]


def test_broadcast_errors_name_op_and_shapes(device):
    a, b = A.ones(2, 3, device=device), A.ones(4, device=device)
    for op, f in {
        "add": lambda: a + b,
        "mul": lambda: a * b,
        "sub": lambda: a - b,
        "div": lambda: a / b,
    }.items():
        with pytest.raises((RuntimeError, ValueError), match=rf"{op}: .*\(2, ?3\).*\(4,\)"):
            f()


def test_operand_type_errors(device):
    x = A.ones(2, device=device)
    with pytest.raises(TypeError, match="add: unsupported operand type str"):
        x + "a"
    with pytest.raises(TypeError, match="matmul: expected Tensors"):
        A.matmul(x, [1.0, 2.0])
    with pytest.raises(TypeError, match="cat: expected a sequence of Tensors, but element 1 is list"):
        A.cat([x, [1.0]])


def test_dim_errors(device):
    x = A.ones(2, 3, device=device)
    for name, f in {
        "sum": lambda: x.sum(dim=5),
        "squeeze": lambda: x.squeeze(4),
        "unsqueeze": lambda: x.unsqueeze(4),
        "flip": lambda: x.flip(2),
        "cumsum": lambda: x.cumsum(-3),
        "logsumexp": lambda: x.logsumexp(2),
        "softmax_like_amax": lambda: x.amax(3),
        "gather": lambda: x.gather(2, A.zeros(2, 3, dtype=A.int64, device=device)),
    }.items():
        op = "amax" if name == "softmax_like_amax" else name
        with pytest.raises(IndexError, match=rf"{op}: dimension out of range"):
            f()
    with pytest.raises(TypeError, match="max: dim must be a single int"):
        x.max(dim=(0, 1))


def test_backward_errors(device):
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        A.ones(2, device=device).sum().backward()
    x = A.ones(2, device=device, requires_grad=True)
    with pytest.raises(TypeError, match="gradient must be a Tensor, got list"):
        (x * 2).backward([[1.0, 1.0]])
    with pytest.raises(RuntimeError, match="backward: got 1 tensors but 2 gradients"):
        A.backward([x * 2], [A.ones(2, device=device), A.ones(2, device=device)])
