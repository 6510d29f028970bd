"""Gradient checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph, keeping only its inputs; the backward pass
runs ``fn`` again with grad on and backpropagates through that recomputation. The random draws of the
forward (dropout masks...) are replayed exactly: each device that the inputs live on gets a generator seeded
from its own stream for the forward, and the same seed again for the recomputation (the devices' streams
then carry on where they were).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import autograd
from autograd import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def _devices(args: tuple) -> list:
    seen, out = set(), []
    for a in args:
        if isinstance(a, Tensor) and str(a.device) not in seen:
            seen.add(str(a.device))
            out.append(a.device)
    return out or [autograd.device("cpu")]


def _draw_seed(backend: Any, device: Any) -> int:
    return int(backend.uniform((1,), "float64", 0.0, 2.0**31, device=device).item())


class _Replay:
    """Runs a stretch of code on generators seeded with fixed seeds, then puts the devices' own back."""

    def __init__(self, devices: list) -> None:
        self.devices = devices
        self.seeds = [_draw_seed(d_backend(d), d) for d in devices]

    def __enter__(self) -> None:
        self.saved = [d_backend(d).swap_generator(d, s) for d, s in zip(self.devices, self.seeds)]

    def __exit__(self, *exc: Any) -> None:
        for d, g in zip(self.devices, self.saved):
            d_backend(d).swap_generator(d, None, g)


def d_backend(device: Any) -> Any:
    import backends

    return backends.get(device)


class _Checkpoint(autograd.Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, kwargs, *args):
        ctx.run_function, ctx.kwargs = run_function, kwargs
        ctx.replay = _Replay(_devices(args)) if preserve_rng_state else None
        ctx.is_tensor = [isinstance(a, Tensor) for a in args]
        ctx.others = [None if t else a for a, t in zip(args, ctx.is_tensor)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        if ctx.replay is None:
            return run_function(*args, **kwargs)
        with ctx.replay:
            return run_function(*args, **kwargs)

    @staticmethod
    def backward(ctx, *grads):
        saved = iter(ctx.saved_tensors)
        inputs = []
        for is_t, other in zip(ctx.is_tensor, ctx.others):
            if is_t:
                t = next(saved)
                inputs.append(t.detach().requires_grad_(t.requires_grad))
            else:
                inputs.append(other)
        with autograd.enable_grad():
            if ctx.replay is None:
                outputs = ctx.run_function(*inputs, **ctx.kwargs)
            else:
                with ctx.replay:
                    outputs = ctx.run_function(*inputs, **ctx.kwargs)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [
            (o, g)
            for o, g in zip(outputs, grads)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]
        if pairs:
            autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, None, *(a.grad if isinstance(a, Tensor) else None for a in inputs))


def checkpoint(
    function: Callable,
    *args: Any,
    use_reentrant: bool | None = None,
    preserve_rng_state: bool = True,
    **kwargs: Any,
) -> Any:
    """``function(*args, **kwargs)`` without keeping its intermediate activations: they are recomputed during
    backward. Parameters used inside ``function`` get their gradients as usual."""
    if not callable(function):
        raise TypeError(f"checkpoint: expected a callable first, got {type(function).__name__}")
    if not autograd.is_grad_enabled() or not any(isinstance(a, Tensor) for a in args):
        return function(*args, **kwargs)
    return _Checkpoint.apply(function, preserve_rng_state, kwargs, *args)


def checkpoint_sequential(
    functions: Any, segments: int, input: Tensor, use_reentrant: bool | None = None, **kwargs: Any
) -> Any:
    """Run a ``Sequential`` (or list of modules) in ``segments`` checkpointed chunks; the last chunk runs
    normally, as in PyTorch."""
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be >= 1, got {segments}")
    size = max(1, len(fns) // segments)

    def run(chunk: list) -> Callable:
        def forward(x: Any) -> Any:
            for f in chunk:
                x = f(x)
            return x

        return forward

    end = 0
    for start in range(0, size * (segments - 1), size):
        end = min(start + size, len(fns))
        input = checkpoint(run(fns[start:end]), input, **kwargs)
    return run(fns[end:])(input)
