"""Memory formats (channels_last), torch.backends flags, matmul precision, Size and __version__."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn


def test_channels_last_layout_matches_torch(device):
    x = A.randn(2, 3, 4, 5, device=device, requires_grad=True)
    y = x.contiguous(memory_format=A.channels_last)
    assert y.shape == x.shape and y.stride() == (60, 1, 15, 3)
    assert y.is_contiguous(memory_format=A.channels_last) and not y.is_contiguous()
    assert x.is_contiguous() and not x.is_contiguous(memory_format=A.channels_last)
    assert y.contiguous(memory_format=A.channels_last) is y and x.contiguous() is x
    np.testing.assert_array_equal(to_numpy(y), to_numpy(x))
    (y * A.arange(120.0, device=device).reshape(2, 3, 4, 5)).sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), np.arange(120.0).reshape(2, 3, 4, 5))
    back = y.contiguous()
    assert back.is_contiguous() and back.stride() == (60, 20, 5, 1)
    assert x.clone(memory_format=A.channels_last).stride() == (60, 1, 15, 3)
    assert y.clone().stride() == (60, 1, 15, 3)  # preserve_format keeps the layout
    assert y.clone(memory_format=A.contiguous_format).stride() == (60, 20, 5, 1)
    assert x.to(memory_format=A.channels_last).stride() == (60, 1, 15, 3)
    z = A.randn(1, 2, 3, 4, 5, device=device).contiguous(memory_format=A.channels_last_3d)
    assert z.is_contiguous(memory_format=A.channels_last_3d)
    if HAVE_TORCH:
        import torch

        t = torch.zeros(2, 3, 4, 5)
        assert t.contiguous(memory_format=torch.channels_last).stride() == y.stride()
        tz = torch.zeros(1, 2, 3, 4, 5).contiguous(memory_format=torch.channels_last_3d)
        assert tz.stride() == z.stride()
    assert not A.ones(3, device=device).is_contiguous(memory_format=A.channels_last)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        A.ones(3, device=device).contiguous(memory_format=A.channels_last)
    with pytest.raises(TypeError, match="memory_format must be an autograd.memory_format"):
        x.contiguous(memory_format="channels_last")
    assert repr(A.channels_last) == "autograd.channels_last"


def test_module_to_channels_last_gives_same_outputs(device):
    A.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2)
    )
    net = net.to(device)
    x = A.randn(2, 3, 6, 6, device=device)
    ref = to_numpy(net(x))
    weight = net[0].weight
    assert net.to(memory_format=A.channels_last) is net
    assert net[0].weight is weight and weight.is_contiguous(memory_format=A.channels_last)
    assert net[4].weight.is_contiguous()  # 2-d parameters are left as they are
    out = net(x.contiguous(memory_format=A.channels_last))
    np.testing.assert_allclose(to_numpy(out), ref, rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert net[0].weight.grad.shape == (4, 3, 3, 3)


def test_backends_flags_precision_size_version():
    assert A.backends.cudnn.is_available() is False and A.backends.mps.is_available() is False
    old = A.backends.cudnn.benchmark
    A.backends.cudnn.benchmark = True
    A.backends.cudnn.deterministic = True
    A.backends.cuda.matmul.allow_tf32 = True
    assert A.backends.cudnn.benchmark is True
    A.backends.cudnn.benchmark, A.backends.cudnn.deterministic = old, False
    A.backends.cuda.matmul.allow_tf32 = False
    assert A.get_float32_matmul_precision() == "highest"
    A.set_float32_matmul_precision("high")
    assert A.get_float32_matmul_precision() == "high"
    A.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="invalid precision 'fast'"):
        A.set_float32_matmul_precision("fast")
    s = A.Size([2, 3, 4])
    assert s == (2, 3, 4) and A.zeros(2, 3, 4).shape == s and s.numel() == 24 and isinstance(s, tuple)
    assert repr(s) == "autograd.Size([2, 3, 4])"
    assert isinstance(A.__version__, str) and A.__version__[0].isdigit()
