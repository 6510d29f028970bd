"""Module hooks: forward pre/post hooks, full backward hooks, and the global (every module) hooks."""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from autograd import Function, Tensor, is_grad_enabled

_ids = itertools.count(1)

# hooks that run on every module call (PyTorch's register_module_forward_hook & co.)
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_backward_pre_hooks: OrderedDict = OrderedDict()


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters (also a context manager)."""

    def __init__(self, store: OrderedDict, key: int) -> None:
        self._store, self.id = store, key

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(
    store: OrderedDict,
    hook: Callable,
    prepend: bool = False,
    with_kwargs: bool = False,
    always_call: bool = False,
) -> RemovableHandle:
    """Store ``hook`` (with its flags) under a fresh id; ``prepend`` puts it first."""
    if not callable(hook):
        raise TypeError(f"register hook: expected a callable, got {type(hook).__name__}")
    key = next(_ids)
    store[key] = (hook, with_kwargs, always_call)
    if prepend:
        store.move_to_end(key, last=False)
    return RemovableHandle(store, key)


def any_global_hooks() -> bool:
    return bool(
        _global_forward_pre_hooks
        or _global_forward_hooks
        or _global_backward_hooks
        or _global_backward_pre_hooks
    )


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """A forward pre-hook run before every module's own, on every module call."""
    return add_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(
    hook: Callable, *, with_kwargs: bool = False, always_call: bool = False
) -> RemovableHandle:
    """A forward hook run on every module call (before the module's own hooks)."""
    return add_hook(_global_forward_hooks, hook, False, with_kwargs, always_call)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """A full backward hook ``hook(module, grad_input, grad_output)`` on every module."""
    return add_hook(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """A full backward pre-hook ``hook(module, grad_output)`` on every module."""
    return add_hook(_global_backward_pre_hooks, hook)


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """``module(*args, **kwargs)`` with forward pre/post hooks and full backward hooks, in PyTorch's order."""
    d = module.__dict__
    for hook, with_kwargs, _ in (*_global_forward_pre_hooks.values(), *d["_forward_pre_hooks"].values()):
        if with_kwargs:
            r = hook(module, args, kwargs)
            if r is not None:
                if not (isinstance(r, tuple) and len(r) == 2):
                    raise RuntimeError(
                        "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {r!r}."
                    )
                args, kwargs = r
        else:
            r = hook(module, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
    bw_hooks = [h for h, _, _ in (*_global_backward_hooks.values(), *d["_backward_hooks"].values())]
    bw_pre = [h for h, _, _ in (*_global_backward_pre_hooks.values(), *d["_backward_pre_hooks"].values())]
    bw = BackwardHook(module, bw_hooks, bw_pre) if (bw_hooks or bw_pre) and is_grad_enabled() else None
    if bw is not None:
        args = bw.setup_input_hook(args)
    fwd_hooks = (*_global_forward_hooks.values(), *d["_forward_hooks"].values())
    try:
        out = module.forward(*args, **kwargs)
    except BaseException:
        for hook, with_kwargs, always_call in fwd_hooks:
            if always_call:
                try:
                    hook(module, args, kwargs, None) if with_kwargs else hook(module, args, None)
                except Exception as e:  # the forward's own error is the one to report
                    warnings.warn(f"forward hook with always_call=True raised: {e!r}", stacklevel=2)
        raise
    for hook, with_kwargs, _ in fwd_hooks:
        r = hook(module, args, kwargs, out) if with_kwargs else hook(module, args, out)
        if r is not None:
            out = r
    if bw is not None:
        out = bw.setup_output_hook(out)
    return out


class _BackwardHookFunction(Function):
    """Identity on a group of tensors; its graph node is where full backward hooks see the gradients."""

    @staticmethod
    def forward(ctx: Any, *tensors: Tensor) -> tuple:
        ctx.set_materialize_grads(False)
        return tensors

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        return grads


def _pack(idx: list[int], values: tuple, n: int) -> tuple:
    out: list = [None] * n
    for i, v in zip(idx, values):
        out[i] = v
    return tuple(out)


class BackwardHook:
    """One module call's backward hooks: identity nodes on the tensor inputs and outputs catch the grads.

    The output node's pre-hook sees grad_output (and runs the backward pre-hooks, which may replace it);
    the input node's pre-hook sees grad_input, runs the full backward hooks, and hands their results on.
    """

    def __init__(self, module: Any, hooks: list, pre_hooks: list) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = 0
        self.input_idx: list[int] | None = None

    @staticmethod
    def _wrap(items: tuple, on_grads: Callable) -> tuple[tuple, list[int] | None]:
        idx = [i for i, a in enumerate(items) if isinstance(a, Tensor) and a.requires_grad]
        if not idx:
            return items, None
        outs = _BackwardHookFunction.apply(*[items[i] for i in idx])
        outs[0].grad_fn.register_prehook(on_grads)
        new = list(items)
        for j, i in enumerate(idx):
            new[i] = outs[j]
        return tuple(new), idx

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        new, self.input_idx = self._wrap(args, self._on_input_grads)
        return new

    def setup_output_hook(self, out: Any) -> Any:
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out) if isinstance(out, list | tuple) else None
        if outs is None:
            return out
        n_out = len(outs)
        state: dict = {}

        def on_output_grads(grads: tuple) -> tuple | None:
            go = _pack(state["idx"], grads, n_out)
            for hook in self.pre_hooks:
                r = hook(self.module, go)
                if r is not None:
                    r = (r,) if isinstance(r, Tensor) else tuple(r)
                    if len(r) != n_out:
                        raise RuntimeError(
                            f"backward pre hook returned an invalid number of grad_output, got {len(r)}, "
                            f"but expected {n_out}"
                        )
                    go = r
            self.grad_outputs = go
            if self.input_idx is None and self.hooks:
                self._run_hooks_without_inputs()
            return tuple(go[i] for i in state["idx"])

        new, state["idx"] = self._wrap(outs, on_output_grads)
        if state["idx"] is None:
            return out
        if single:
            return new[0]
        return type(out)(new) if isinstance(out, list) else new

    def _run_hooks_without_inputs(self) -> None:
        warnings.warn(
            "Full backward hook is firing when gradients are computed with respect to module outputs since no "
            "inputs require gradients.",
            stacklevel=2,
        )
        none = (None,) * self.n_inputs
        for hook in self.hooks:
            r = hook(self.module, none, self.grad_outputs)
            if r is not None and any(g is not None for g in (r if isinstance(r, tuple | list) else (r,))):
                raise RuntimeError(
                    "Backward hook for Modules where no input requires gradient should always return None "
                    "or None for all gradients."
                )

    def _on_input_grads(self, grads: tuple) -> tuple:
        idx = self.input_idx or []
        gi = _pack(idx, grads, self.n_inputs)
        go = self.grad_outputs if self.grad_outputs is not None else ()
        for hook in self.hooks:
            r = hook(self.module, gi, go)
            if r is None:
                continue
            r = (r,) if isinstance(r, Tensor) else tuple(r)
            if len(r) != self.n_inputs:
                raise RuntimeError(
                    f"Backward hook returned an invalid number of grad_input, got {len(r)}, but expected "
                    f"{self.n_inputs}"
                )
            gi = r
        return tuple(gi[i] for i in idx)
