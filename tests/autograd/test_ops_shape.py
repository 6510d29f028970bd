"""Shape ops: values and gradients against PyTorch, NumPy references, views and error messages."""

from __future__ import annotations

import numpy as np
import pytest
from autograd_refs import check_np
from helpers import HAVE_TORCH, check_op

import autograd as A
from autograd.ops.shape import pad as our_pad

if HAVE_TORCH:
    import torch
    import torch.nn.functional as F


def _fn(ours, theirs):
    """One lambda for both libraries where the spelling differs (functional forms)."""
    return lambda *xs: ours(*xs) if isinstance(xs[0], A.Tensor) else theirs(*xs)


def _cat(dim):
    return _fn(lambda *xs: A.cat(list(xs), dim), lambda *xs: torch.cat(list(xs), dim))


def _stack(dim):
    return _fn(lambda *xs: A.stack(xs, dim), lambda *xs: torch.stack(xs, dim))


def _pad(p, mode="constant", value=0.0):
    return _fn(
        lambda a: our_pad(a, p, mode, value if mode == "constant" else None),
        lambda a: F.pad(a, p, mode, value if mode == "constant" else None),
    )


SHAPE_OPS = {
    "reshape": (lambda a: a.reshape(4, 3), [(3, 4)]),
    "reshape_neg": (lambda a: a.reshape(-1, 2), [(3, 4)]),
    "reshape_tuple": (lambda a: a.reshape((2, 2, 3)), [(3, 4)]),
    "view": (lambda a: a.view(2, 6), [(3, 4)]),
    "flatten": (lambda a: a.flatten(), [(2, 3, 2)]),
    "flatten_range": (lambda a: a.flatten(1, 2), [(2, 3, 2, 2)]),
    "unflatten": (lambda a: a.unflatten(1, (2, 2)), [(3, 4)]),
    "unflatten_neg": (lambda a: a.unflatten(-1, (-1, 2)), [(3, 4)]),
    "squeeze": (lambda a: a.squeeze(), [(1, 3, 1)]),
    "squeeze_dim": (lambda a: a.squeeze(-1), [(1, 3, 1)]),
    "squeeze_noop": (lambda a: a.squeeze(1), [(1, 3, 1)]),
    "unsqueeze": (lambda a: a.unsqueeze(1), [(2, 3)]),
    "unsqueeze_neg": (lambda a: a.unsqueeze(-1), [(2, 3)]),
    "transpose": (lambda a: a.transpose(0, 2), [(2, 3, 4)]),
    "transpose_neg": (lambda a: a.transpose(-1, -2), [(2, 3, 4)]),
    "permute": (lambda a: a.permute(2, 0, 1), [(2, 3, 4)]),
    "permute_tuple": (lambda a: a.permute((1, 0, 2)), [(2, 3, 4)]),
    "T": (lambda a: a.T, [(3, 4)]),
    "mT": (lambda a: a.mT, [(2, 3, 4)]),
    "t": (lambda a: a.t(), [(3, 4)]),
    "expand": (lambda a: a.expand(2, 3, 4), [(3, 1)]),
    "expand_neg": (lambda a: a.expand(-1, 4), [(3, 1)]),
    "broadcast_to": (lambda a: a.broadcast_to((2, 3, 4)), [(1, 4)]),
    "expand_as": (lambda a, b: a.expand_as(b), [(3, 1), (3, 4)]),
    "flip": (lambda a: a.flip(0), [(3, 4)]),
    "flip_multi": (lambda a: a.flip((0, -1)), [(2, 3, 4)]),
    "roll": (lambda a: a.roll(1, 1), [(3, 4)]),
    "roll_multi": (lambda a: a.roll((1, -2), (0, 1)), [(3, 4)]),
    "roll_flat": (lambda a: a.roll(5), [(3, 4)]),
    "repeat": (lambda a: a.repeat(2, 3), [(3, 1)]),
    "repeat_newdims": (lambda a: a.repeat(2, 1, 3), [(3, 2)]),
    "tile": (lambda a: a.tile((2,)), [(3, 2)]),
    "tile_more": (lambda a: a.tile((2, 1, 2)), [(3, 2)]),
    "split": (lambda a: a.split(2), [(5, 2)]),
    "split_sizes": (lambda a: a.split([1, 4]), [(5, 2)]),
    "split_dim": (lambda a: a.split(1, dim=1), [(5, 2)]),
    "chunk": (lambda a: a.chunk(3), [(5, 2)]),
    "chunk_dim": (lambda a: a.chunk(2, -1), [(2, 5)]),
    "narrow": (lambda a: a.narrow(0, 1, 3), [(5, 2)]),
    "narrow_neg": (lambda a: a.narrow(-1, -3, 2), [(2, 5)]),
    "unbind": (lambda a: a.unbind(1), [(2, 3)]),
    "movedim": (lambda a: a.movedim(0, -1), [(2, 3, 4)]),
    "reused": (lambda a: a.reshape(6, 2).T @ a.reshape(6, 2) + a.T.T[:2, :2], [(3, 4)]),
}
if HAVE_TORCH:
    SHAPE_OPS.update(
        {
            "cat": (_cat(0), [(2, 3), (1, 3)]),
            "cat_dim": (_cat(-1), [(2, 3), (2, 1), (2, 2)]),
            "cat_broadcast_reuse": (_cat(1), [(2, 3), (2, 3)]),
            "cat_empty": (_cat(0), [(0, 3), (2, 3)]),
            "stack": (_stack(0), [(2, 3), (2, 3)]),
            "stack_last": (_stack(-1), [(2, 3), (2, 3), (2, 3)]),
            "pad": (_pad((1, 2)), [(2, 3)]),
            "pad_2d": (_pad((1, 0, 2, 1), value=0.5), [(2, 3, 4)]),
            "pad_negative": (_pad((-1, 2)), [(2, 4)]),
            "pad_reflect": (_pad((2, 1), "reflect"), [(2, 3, 4)]),
            "pad_replicate": (_pad((2, 1, 1, 1), "replicate"), [(1, 2, 3, 4)]),
            "pad_circular": (_pad((2, 1), "circular"), [(2, 3, 4)]),
        }
    )


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op(device, name):
    fn, shapes = SHAPE_OPS[name]
    check_op(shapes, fn, device=device)


@pytest.mark.parametrize(
    "name",
    ["reshape", "flatten", "transpose", "permute", "expand", "flip", "roll", "repeat", "split", "narrow"],
)
def test_shape_op_noncontiguous(device, name):
    fn, shapes = SHAPE_OPS[name]
    check_op(shapes, fn, device=device, noncontig=True)


@pytest.mark.parametrize(
    "fn",
    [
        lambda a: a.reshape(3, 0),
        lambda a: a.T,
        lambda a: a.flip(0),
        lambda a: a.repeat(2, 2),
        lambda a: a.unsqueeze(0).expand(2, 0, 3),
        lambda a: a.split(1, 1),
        lambda a: a.flatten(),
    ],
    ids=["reshape", "T", "flip", "repeat", "expand", "split", "flatten"],
)
def test_shape_op_zero_size(device, fn):
    check_op([(0, 3)], fn, device=device)


# ---- NumPy references (no torch needed) ----------------------------------------------------------


@pytest.mark.parametrize(
    "fn, np_fn",
    [
        (lambda a: a.permute(2, 0, 1) * 2, lambda a: a.transpose(2, 0, 1) * 2),
        (lambda a: a.reshape(6, 2).T, lambda a: a.reshape(6, 2).T),
        (lambda a: a.flip(1).roll(1, 2), lambda a: np.roll(np.flip(a, 1), 1, 2)),
        (lambda a: a.repeat(1, 2, 1), lambda a: np.tile(a, (1, 2, 1))),
        (lambda a: A.cat([a, a * 2], 1), lambda a: np.concatenate([a, a * 2], 1)),
        (lambda a: A.stack([a, a], -1), lambda a: np.stack([a, a], -1)),
        (lambda a: our_pad(a, (1, 1)), lambda a: np.pad(a, ((0, 0), (0, 0), (1, 1)))),
        (lambda a: our_pad(a, (1, 1), "reflect"), lambda a: np.pad(a, ((0, 0), (0, 0), (1, 1)), "reflect")),
        (lambda a: a.split(1, 1)[1], lambda a: a[:, 1:2]),
        (lambda a: a.expand(3, 2, 3, 2), lambda a: np.broadcast_to(a, (3, 2, 3, 2))),
    ],
    ids=["permute", "T", "flip_roll", "repeat", "cat", "stack", "pad", "pad_reflect", "split", "expand"],
)
def test_shape_numpy_reference(device, fn, np_fn):
    check_np([(2, 3, 2)], fn, np_fn, device=device)


def test_views_share_memory_and_version(device):
    x = A.arange(6.0, device=device)
    v = x.view(2, 3)
    r = x.reshape(3, 2)
    t = v.T
    v.add_(1)
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert r.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert x._version == v._version == r._version == t._version == 1


def test_view_on_noncontiguous_raises(device):
    x = A.zeros(3, 4, device=device).T
    with pytest.raises(RuntimeError, match="view: view size .* not compatible .* Use .reshape"):
        x.view(12)
    assert x.reshape(12).shape == (12,)


def test_shape_errors(device):
    x = A.zeros(2, 3, device=device)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[-1, -1\] is invalid"):
        x.reshape(-1, -1)
    with pytest.raises(
        RuntimeError,
        match=r"expand: the expanded size of the tensor \(4\) must match the existing size \(3\)",
    ):
        x.expand(2, 4)
    with pytest.raises(RuntimeError, match="permute: number of dims don't match"):
        x.permute(1, 0, 2)
    with pytest.raises(RuntimeError, match="permute: repeated dim"):
        x.permute(1, 1)
    with pytest.raises(IndexError, match="transpose: dimension out of range"):
        x.transpose(0, 2)
    with pytest.raises(
        RuntimeError, match=r"cat: sizes of tensors must match except in dimension 0.*\(2, 3\).*\(2, 4\)"
    ):
        A.cat([x, A.zeros(2, 4, device=device)])
    with pytest.raises(
        RuntimeError,
        match=r"stack: expects each tensor to be equal size, but got \(2, 3\) at entry 0 and \(3, 2\) at entry 1",
    ):
        A.stack([x, x.T])
    with pytest.raises(RuntimeError, match="split: split_with_sizes expects split_sizes to sum exactly to 2"):
        x.split([1, 2])
    with pytest.raises(IndexError, match="narrow: start .* exceeds dimension size"):
        x.narrow(1, 2, 2)
    with pytest.raises(RuntimeError, match="unflatten: provided sizes"):
        x.unflatten(1, (2, 2))
    with pytest.raises(RuntimeError, match="t: expects a tensor with <= 2 dimensions"):
        A.zeros(1, 2, 3, device=device).t()
    with pytest.raises(RuntimeError, match="mT: .*only supported on matrices"):
        A.zeros(3, device=device).mT
    with pytest.raises(RuntimeError, match="cat: expected a non-empty list"):
        A.cat([])
    with pytest.raises(RuntimeError, match="pad: padding length must be divisible by 2"):
        our_pad(x, (1, 2, 3))


def test_cat_promotes_dtypes(device):
    a = A.ones(2, dtype=A.float32, device=device)
    b = A.ones(1, dtype=A.float64, device=device)
    assert A.cat([a, b]).dtype == A.float64
    assert A.cat([A.ones(2, dtype=A.int64, device=device), a]).dtype == A.float32
