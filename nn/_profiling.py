"""What ``autograd.profiler`` records of nn: ``nn.functional`` ops, module forwards and optimizer steps.

autograd does not import nn, so nn registers this with the profiler; it runs on entering each profile and
everything it changes is undone on exit (nothing here runs outside a profile).
"""

from __future__ import annotations

from typing import Any

from autograd import profiler
from autograd._profiler_patch import Patcher, all_subclasses

from . import functional, hooks
from .optim.optimizer import Optimizer


def _optimizer_name(method: str) -> Any:
    def name(args: tuple) -> str:
        return f"Optimizer.{method}#{type(args[0]).__name__}.{method}"  # torch's naming

    return name


def instrument(p: Patcher, rec: Any) -> None:
    """Record nn.functional calls, every module's forward ("nn.Module: Linear") and optimizer steps."""
    p.wrap_functions(functional)
    for cls in all_subclasses(Optimizer):
        for method in ("step", "zero_grad"):
            if method in vars(cls):
                p.wrap(cls, method, _optimizer_name(method), kind="optimizer")

    def pre(module: Any, args: tuple) -> None:
        rec.open(f"nn.Module: {type(module).__name__}", "module", args)

    def post(module: Any, args: tuple, out: Any) -> None:
        rec.close_innermost("module")

    # global hooks: the first to run before a module's own pre-hooks, and (always_call) after its forward
    p.on_exit(hooks.register_module_forward_pre_hook(pre).remove)
    p.on_exit(hooks.register_module_forward_hook(post, always_call=True).remove)


profiler.register_instrumentation(instrument)
