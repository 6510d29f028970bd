"""Padding layers (Zero/Constant/Reflection/Replication/CircularPad 1d-3d) and F.pad's dimension rules,
against PyTorch: values, gradients, float64 gradchecks, reprs and errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, check_op

import autograd as A
import nn
import nn.functional as F

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs PyTorch as the reference")

if HAVE_TORCH:
    import torch

PAD_CASES = [  # (layer name, constructor args, input shape)
    ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ZeroPad2d", ((1, 0, 2, -1),), (3, 4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 2, 3, 2)),
    ("ConstantPad1d", ((0, 3), 1.5), (3, 4)),
    ("ConstantPad2d", (1, -2.0), (1, 2, 3, 3)),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 0.5), (2, 2, 3, 2)),
    ("ReflectionPad1d", ((2, 3),), (2, 3, 4)),
    ("ReflectionPad1d", ((-1, 2),), (3, 4)),
    ("ReflectionPad2d", ((1, 2, 2, 1),), (2, 2, 3, 4)),
    ("ReflectionPad2d", (1,), (2, 3, 3)),
    ("ReflectionPad3d", ((1, 0, 1, 2, 1, 1),), (1, 2, 3, 3, 2)),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 2)),
    ("ReplicationPad2d", ((2, 0, 1, 3),), (1, 2, 3, 2)),
    ("ReplicationPad3d", (1,), (2, 2, 3, 2)),
    ("ReplicationPad3d", ((0, 2, 1, 0, -1, 1),), (1, 1, 3, 2, 3)),
    ("CircularPad1d", ((4, 1),), (2, 3, 4)),
    ("CircularPad1d", ((-1, 2),), (3, 4)),
    ("CircularPad1d", ((2, -1),), (2, 3, 5)),
    ("CircularPad2d", ((1, 2, 2, 0),), (1, 2, 3, 4)),
    ("CircularPad3d", ((1, 1, 0, 2, 1, 0),), (2, 2, 3, 2)),
]


@needs_torch
@pytest.mark.parametrize("name,args,shape", PAD_CASES, ids=lambda v: str(v))
def test_padding_layers_match_torch(device, name, args, shape):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    check_op([shape], ours, theirs, device=device)
    check_op([shape], ours, theirs, device=device, noncontig=True, gradcheck=False, seed=1)
    assert repr(ours) == repr(theirs)


@needs_torch
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_nonconstant_dimension_rules_match_torch(mode):
    """k padded dims need a (k+1)-D or (k+2)-D input: same accept/reject decisions as torch."""
    for shape in [(4,), (3, 4), (2, 3, 4), (2, 2, 3, 4), (2, 2, 2, 3, 4), (1, 2, 2, 2, 3, 4)]:
        for pad in [(1, 1), (1, 1, 1, 0), (1, 0, 0, 1, 1, 1), (1, 1, 1, 1, 1, 1, 1, 1)]:
            x = np.random.default_rng(0).standard_normal(shape)
            try:
                want = torch.nn.functional.pad(torch.tensor(x), pad, mode).numpy()
            except (NotImplementedError, RuntimeError):
                with pytest.raises((NotImplementedError, RuntimeError), match="pad"):
                    F.pad(A.tensor(x), pad, mode)
                continue
            np.testing.assert_array_equal(F.pad(A.tensor(x), pad, mode).numpy(), want)


def test_padding_errors(device):
    x = A.randn(2, 3, 4, device=device)
    with pytest.raises(NotImplementedError, match=r"pad: reflect padding of size 2 .*4-D input"):
        nn.ReflectionPad1d(1)(x.unsqueeze(0))
    with pytest.raises(ValueError, match=r"CircularPad2d: expected 3D or 4D input \(got 2D"):
        nn.CircularPad2d(1)(x[0])
    with pytest.raises(RuntimeError, match="reflect padding .* must be smaller than the input size 4"):
        nn.ReflectionPad1d(4)(x)
    with pytest.raises(RuntimeError, match="circular padding .* cannot be larger"):
        nn.CircularPad1d((5, 0))(x)
    with pytest.raises(RuntimeError, match="non-zero dims, got shape \\(2, 0, 4\\)"):
        nn.ReplicationPad1d(1)(A.zeros(2, 0, 4, device=device))
    with pytest.raises(TypeError, match="ZeroPad2d: padding must be an int or a sequence"):
        nn.ZeroPad2d("a")
    assert nn.ReplicationPad1d(1)(A.zeros(0, 3, 4, device=device)).shape == (0, 3, 6)


def test_padding_double_backward(device):
    x = A.randn(1, 2, 3, 3, dtype=A.float64, device=device, requires_grad=True)
    for layer in (nn.ReflectionPad2d((1, 2, 0, 2)), nn.ReplicationPad2d(2), nn.CircularPad2d(1)):
        assert A.gradgradcheck(lambda t, m=layer: m(t).pow(2), (x,))
