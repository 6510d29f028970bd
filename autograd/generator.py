"""``autograd.Generator``: a random-number stream of its own, as ``torch.Generator``.

Passing ``generator=g`` to ``rand``, ``randperm``, ``uniform_``, ``multinomial``, a sampler or ``random_split``
draws from ``g`` instead of the device's global stream (the one ``manual_seed`` seeds): reproducible data splits
and shuffles that do not shift the model's initialisation, and vice versa. The draw is made by the same backend
code as always, with ``g``'s stream swapped in for its duration (``Backend.swap_generator``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import numpy as np

import backends

from . import dtypes
from .tensor import Tensor

_DEFAULT_SEED = 67280421310721  # what a fresh torch.Generator reports as its initial_seed()


class Generator:
    """A seeded random stream for one device (``Generator()``: the CPU)."""

    def __init__(self, device: Any = "cpu") -> None:
        self.device = backends.as_device(device)
        self._backend = backends.get(self.device)
        self._seed = _DEFAULT_SEED
        self._stream = self._fresh(self._seed)

    def _fresh(self, seed: int) -> Any:
        """A new backend stream seeded with ``seed``, made without disturbing the device's global one."""
        b, d = self._backend, self.device
        old = b.swap_generator(d, seed)
        return b.swap_generator(d, None, old)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns the generator itself (``g = Generator().manual_seed(0)``)."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"Generator.manual_seed: expected an int seed, got {type(seed).__name__}")
        self._seed = int(seed) % 2**64
        self._stream = self._fresh(self._seed)
        return self

    def seed(self) -> int:
        """Reseed from OS entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy) % 2**63
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        """The stream's state as a uint8 tensor (``set_state`` restores it)."""
        state = getattr(getattr(self._stream, "bit_generator", None), "state", None)
        if state is None:
            raise RuntimeError(f"Generator.get_state: not supported for a {self.device} generator")
        return Tensor._make(np.frombuffer(json.dumps(state).encode(), dtype=np.uint8).copy())

    def set_state(self, new_state: Tensor) -> Generator:
        if not isinstance(new_state, Tensor) or new_state.dtype != dtypes.uint8 or new_state.ndim != 1:
            raise TypeError(
                "Generator.set_state: expected the 1-D uint8 tensor that get_state returned, got "
                f"{getattr(new_state, 'dtype', type(new_state).__name__)}"
            )
        stream = self._stream
        if getattr(stream, "bit_generator", None) is None:
            raise RuntimeError(f"Generator.set_state: not supported for a {self.device} generator")
        try:
            state = json.loads(bytes(new_state.tolist()).decode())
            scratch = np.random.default_rng()
            scratch.bit_generator.state = state  # validated on a scratch stream first
        except (ValueError, TypeError, KeyError) as e:
            raise RuntimeError(f"Generator.set_state: not a state from get_state ({e})") from None
        stream.bit_generator.state = scratch.bit_generator.state
        return self

    def __repr__(self) -> str:
        return f"<autograd.Generator object on {self.device}>"


@contextlib.contextmanager
def use_generator(generator: Any, device: Any, op: str) -> Iterator[None]:
    """Run the block's draws for ``device`` from ``generator`` (None: the global stream, untouched)."""
    if generator is None:
        yield
        return
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}: generator must be an autograd.Generator, got {type(generator).__name__}")
    dev = backends.as_device(device)
    if generator.device.type != dev.type:
        raise RuntimeError(
            f"{op}: expected a '{dev.type}' device type for generator but found '{generator.device.type}'"
        )
    b = generator._backend
    old = b.swap_generator(dev, None, generator._stream)
    try:
        yield
    finally:
        b.swap_generator(dev, None, old)
