"""autograd.Generator: private random streams for every random op, as torch.Generator."""

from __future__ import annotations

import pytest

import autograd as A


def _draws(g, device):
    t = A.empty(4, device=device)
    return [
        A.rand(3, generator=g, device=device).tolist(),
        A.randn(3, generator=g, device=device).tolist(),
        A.randint(0, 100, (3,), generator=g, device=device).tolist(),
        A.randperm(6, generator=g, device=device).tolist(),
        A.normal(0.0, 2.0, (3,), generator=g, device=device).tolist(),
        A.normal(A.zeros(3, device=device), 1.0, generator=g).tolist(),
        t.uniform_(-1, 1, generator=g).tolist(),
        t.normal_(generator=g).tolist(),
        t.bernoulli_(0.5, generator=g).tolist(),
        t.exponential_(generator=g).tolist(),
        t.geometric_(0.3, generator=g).tolist(),
        t.log_normal_(generator=g).tolist(),
        t.cauchy_(generator=g).tolist(),
        t.random_(0, 9, generator=g).tolist(),
        A.multinomial(A.ones(5, device=device), 3, generator=g).tolist(),
        A.multinomial(A.ones(5, device=device), 3, True, generator=g).tolist(),
        A.full((4,), 0.5, device=device).bernoulli(generator=g).tolist(),
    ]


def test_generator_streams_are_reproducible_and_private(device):
    g = A.Generator(device).manual_seed(7)
    A.manual_seed(0)
    ref = A.rand(5, device=device).tolist()
    A.manual_seed(0)
    first = _draws(g, device)
    assert A.rand(5, device=device).tolist() == ref  # the global stream did not move
    assert g.manual_seed(7) is g
    assert _draws(g, device) == first
    assert _draws(A.Generator(device).manual_seed(8), device) != first
    assert g.initial_seed() == 7 and A.Generator(device).initial_seed() == 67280421310721
    assert str(g.device).startswith(device)


def test_generator_state_roundtrip():
    g = A.Generator()
    s = g.seed()
    assert g.initial_seed() == s
    state = g.get_state()
    a = A.rand(4, generator=g).tolist()
    assert A.rand(4, generator=g).tolist() != a
    g.set_state(state)
    assert A.rand(4, generator=g).tolist() == a
    with pytest.raises(TypeError, match="get_state returned"):
        g.set_state(A.zeros(3))
    with pytest.raises(RuntimeError, match="not a state from get_state"):
        g.set_state(A.tensor([1, 2, 3], dtype=A.uint8))
    with pytest.raises(TypeError, match="manual_seed: expected an int"):
        g.manual_seed(1.5)


def test_generator_errors(device):
    with pytest.raises(TypeError, match="rand: generator must be an autograd.Generator"):
        A.rand(2, generator=3)
    if device != "cpu":
        with pytest.raises(RuntimeError, match="expected a 'cuda' device type for generator but found 'cpu'"):
            A.rand(2, device=device, generator=A.Generator())
        with pytest.raises(RuntimeError, match="expected a 'cpu' device type for generator but found 'cuda'"):
            A.rand(2, generator=A.Generator(device))
