"""Which graph nodes each module call created, recorded with forward hooks (duck-typed: no ``nn`` import).

A node's ``seq`` grows with every op recorded, so one module call owns the nodes whose ``seq`` falls
between the numbers drawn when its forward started and ended; nested calls give nested ranges.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from ..function import _seq

_TRACES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class ModuleCall:
    """One forward call of one module: its dotted name in the traced model and its seq range."""

    name: str
    type_name: str
    start: int
    end: int | None = None  # None while the forward runs

    def contains(self, seq: int) -> bool:
        return self.start < seq and (self.end is None or seq < self.end)


class ModuleTrace:
    """Records the module calls of ``module``'s forward passes; pass it (or the module) to ``make_dot``."""

    def __init__(self, module: Any) -> None:
        if not (hasattr(module, "named_modules") and hasattr(module, "register_forward_hook")):
            raise TypeError(
                f"trace_modules: expected an nn.Module (with named_modules and register_forward_hook), "
                f"got {type(module).__name__}"
            )
        self.type_name = type(module).__name__
        try:  # weak: the global module -> trace table must not keep models alive
            ref = weakref.ref(module)
            self._module = ref
        except TypeError:
            self._module = lambda: module
        self.calls: list[ModuleCall] = []
        self._open: list[tuple[Any, int]] = []
        self._handles: list[Any] = []

    @property
    def module(self) -> Any:
        """The traced module (None once it has been garbage-collected)."""
        return self._module()

    @property
    def active(self) -> bool:
        return bool(self._handles)

    def start(self) -> ModuleTrace:
        """Install the hooks (idempotent) and forget earlier calls."""
        self.calls.clear()
        self._open.clear()
        if self._handles:
            return self
        module = self.module
        if module is None:
            raise RuntimeError("trace_modules: the traced module no longer exists")
        for name, mod in module.named_modules():
            self._handles.append(mod.register_forward_pre_hook(self._pre(name), prepend=True))
            self._handles.append(mod.register_forward_hook(self._post, always_call=True))
        _register(module, self)
        return self

    def stop(self) -> None:
        """Remove the hooks; the recorded calls stay for drawing."""
        for h in self._handles:
            h.remove()
        self._handles.clear()
        for _, k in self._open:  # a forward that never returned
            self.calls[k].end = next(_seq)
        self._open.clear()

    def __enter__(self) -> ModuleTrace:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _pre(self, name: str) -> Any:
        def hook(mod: Any, args: Any) -> None:
            self._open.append((mod, len(self.calls)))
            self.calls.append(ModuleCall(name, type(mod).__name__, next(_seq)))

        return hook

    def _post(self, mod: Any, args: Any, out: Any) -> None:
        end = next(_seq)
        while self._open:  # close this module's call (and any inner one left open)
            m, k = self._open.pop()
            self.calls[k].end = end
            if m is mod:
                break

    def __repr__(self) -> str:
        state = "active" if self.active else "stopped"
        return f"<ModuleTrace of {self.type_name}: {len(self.calls)} calls, {state}>"


def trace_modules(module: Any) -> ModuleTrace:
    """Record which ops each submodule's forward creates, for ``make_dot(..., group_by_module=module)``.

    Use as ``with viz.trace_modules(model): loss = lossf(model(x), y)``; or call ``.start()``/``.stop()``.
    """
    return ModuleTrace(module)


def _register(module: Any, trace: ModuleTrace) -> None:
    try:
        _TRACES[module] = trace
    except TypeError:  # not weak-referenceable: callers must pass the trace itself
        pass


def resolve_trace(group_by_module: Any) -> ModuleTrace:
    """The trace to group by: a ModuleTrace, or the last one recorded for a module."""
    if isinstance(group_by_module, ModuleTrace):
        trace = group_by_module
    else:
        try:
            trace = _TRACES.get(group_by_module)
        except TypeError:
            trace = None
        if trace is None:
            raise ValueError(
                f"make_dot: no module trace recorded for {type(group_by_module).__name__}; run its forward "
                "inside `with autograd.viz.trace_modules(model):` and pass the model (or the trace) as "
                "group_by_module"
            )
    if not trace.calls:
        raise ValueError(
            f"make_dot: the module trace of {trace.type_name} recorded no forward call; run the "
            "forward inside `with autograd.viz.trace_modules(model):`"
        )
    return trace
