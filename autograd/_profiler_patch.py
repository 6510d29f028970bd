"""The profiler's instrumentation: recording wrappers put in place on entry and removed exactly on exit.

Nothing in the engine's hot paths checks for a profiler. Instead, while one runs, the callables it records
(Tensor methods and operators, public op functions, each Function's backward) are replaced by wrappers, and
every replaced attribute is put back to the very object it held before.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from types import FunctionType, ModuleType
from typing import Any

# the recorder of the running profile (None when none runs): the one thing every wrapper reads
current: list = [None]

# Tensor operators and the op each stands for (other dunders are not ops: __repr__, __len__, __bool__...)
OPERATORS = {
    "__abs__": "abs",
    "__add__": "add",
    "__radd__": "add",
    "__iadd__": "add_",
    "__sub__": "sub",
    "__rsub__": "rsub",
    "__isub__": "sub_",
    "__mul__": "mul",
    "__rmul__": "mul",
    "__imul__": "mul_",
    "__truediv__": "div",
    "__rtruediv__": "div",
    "__itruediv__": "div_",
    "__floordiv__": "floor_divide",
    "__rfloordiv__": "floor_divide",
    "__mod__": "remainder",
    "__rmod__": "remainder",
    "__pow__": "pow",
    "__rpow__": "pow",
    "__matmul__": "matmul",
    "__rmatmul__": "matmul",
    "__neg__": "neg",
    "__pos__": "positive",
    "__invert__": "bitwise_not",
    "__and__": "bitwise_and",
    "__rand__": "bitwise_and",
    "__iand__": "bitwise_and_",
    "__or__": "bitwise_or",
    "__ror__": "bitwise_or",
    "__ior__": "bitwise_or_",
    "__xor__": "bitwise_xor",
    "__rxor__": "bitwise_xor",
    "__ixor__": "bitwise_xor_",
    "__lshift__": "bitwise_left_shift",
    "__rlshift__": "bitwise_left_shift",
    "__ilshift__": "bitwise_left_shift_",
    "__rshift__": "bitwise_right_shift",
    "__rrshift__": "bitwise_right_shift",
    "__irshift__": "bitwise_right_shift_",
    "__eq__": "eq",
    "__ne__": "ne",
    "__lt__": "lt",
    "__le__": "le",
    "__gt__": "gt",
    "__ge__": "ge",
    "__getitem__": "index",
    "__setitem__": "index_put_",
}

# Tensor methods that are bookkeeping or introspection, not ops
TENSOR_NOT_OPS = frozenset(
    (
        "backward",
        "register_hook",
        "register_post_accumulate_grad_hook",
        "requires_grad_",
        "retain_grad",
        "size",
        "dim",
        "ndimension",
        "numel",
        "nelement",
        "element_size",
        "data_ptr",
        "storage_offset",
        "stride",
        "get_device",
        "is_complex",
        "is_contiguous",
        "is_floating_point",
        "type",
    )
)

# public functions of ``autograd`` that are not ops (settings, seeding, checks, the engine entry points)
FUNCTIONS_NOT_OPS = frozenset(
    (
        "backward",
        "grad",
        "gradcheck",
        "gradgradcheck",
        "once_differentiable",
        "manual_seed",
        "seed",
        "initial_seed",
        "get_rng_state",
        "set_rng_state",
        "set_default_dtype",
        "get_default_dtype",
        "set_printoptions",
        "is_grad_enabled",
        "is_inference_mode_enabled",
        "is_anomaly_enabled",
        "is_tensor",
        "is_floating_point",
        "is_complex",
        "numel",
        "promote_types",
        "result_type",
        "can_cast",
        "broadcast_shapes",
    )
)

# modules never rebound (the profiler's own)
_OWN = frozenset(("autograd.profiler", "autograd._profiler_patch", "autograd.profiler_util", "nn._profiling"))


def make_wrapper(fn: Callable, name: str | Callable[[tuple], str], kind: str) -> Callable:
    """``fn`` recorded as an event named ``name`` (or ``name(args)``) while a profile runs; a plain call else."""
    fixed = name if isinstance(name, str) else None

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rec = current[0]
        if rec is None:
            return fn(*args, **kwargs)
        ev = rec.open(fixed or name(args), kind, args)
        if ev is None:  # the same op re-entered (a method calling its functional form): one event
            return fn(*args, **kwargs)
        try:
            out = fn(*args, **kwargs)
        except BaseException:
            rec.close(ev)
            raise
        rec.close(ev, out)
        return out

    functools.update_wrapper(wrapper, fn)  # (keeps markers such as an optimizer step's ``_hooked``)
    return wrapper


class Patcher:
    """Replaces attributes with recording wrappers and remembers each original, to restore them exactly."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, str, Any, Any]] = []  # (owner, attribute, original, replacement)
        self._by_fn: dict[int, tuple] = {}  # id(original function) -> (it, its wrapper, kind)
        self._packages: set[str] = set()
        self._on_exit: list[Callable[[], None]] = []

    def patch(self, owner: Any, attr: str, new: Any) -> None:
        """Set ``owner.attr = new``, remembering the object it held (from the owner's own namespace)."""
        orig = vars(owner)[attr]
        setattr(owner, attr, new)
        self.records.append((owner, attr, orig, new))

    def wrap(
        self, owner: Any, attr: str, name: str | Callable[[tuple], str], kind: str = "op"
    ) -> Callable | None:
        """Record calls of ``owner.attr`` (a function or staticmethod defined on ``owner`` itself). One function
        reachable under several names gets one wrapper (named by the first), so aliases stay identical."""
        raw = vars(owner).get(attr)
        fn = raw.__func__ if isinstance(raw, staticmethod) else raw
        if type(fn) is not FunctionType:
            return None
        hit = self._by_fn.get(id(fn))
        if hit is not None and hit[0] is fn and hit[2] == kind:
            w = hit[1]
        else:
            w = make_wrapper(fn, name, kind)
            self._by_fn[id(fn)] = (fn, w, kind)
        self.patch(owner, attr, staticmethod(w) if isinstance(raw, staticmethod) else w)
        return w

    def wrap_functions(
        self, module: ModuleType, names: Any = None, prefix: str = "", skip: frozenset = frozenset()
    ) -> None:
        """Record the public functions of ``module`` (all, or ``names``) as ops named ``prefix + name``; other
        modules of the same package that imported one of them by name get the same wrapper (see ``rebind``)."""
        d = vars(module)
        todo = [a for a in (d if names is None else names) if not a.startswith("_") and a not in skip]
        todo.sort(key=lambda a: getattr(d.get(a), "__name__", None) != a)  # a function's own name first
        for attr in todo:
            if type(d.get(attr)) is FunctionType:
                self.wrap(module, attr, prefix + attr)
        self._packages.add(module.__name__.partition(".")[0])

    def rebind(self) -> None:
        """Point every module-level name in the instrumented packages that holds a wrapped function at its
        wrapper, so library code calling ``linear`` or ``log_softmax`` by name is recorded (and nests)."""
        for modname, mod in list(sys.modules.items()):
            if mod is None or modname.partition(".")[0] not in self._packages or modname in _OWN:
                continue
            for k, v in list(vars(mod).items()):
                if type(v) is FunctionType:
                    hit = self._by_fn.get(id(v))
                    if hit is not None and hit[0] is v and hit[2] == "op":
                        self.patch(mod, k, hit[1])

    def on_exit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` when the profile ends (e.g. remove a hook registered for it)."""
        self._on_exit.append(fn)

    def restore(self) -> None:
        """Undo every change, newest first; every attribute holds its original object again."""
        errors = []
        for fn in reversed(self._on_exit):
            try:
                fn()
            except Exception as e:  # restore the rest regardless
                errors.append(e)
        self._on_exit.clear()
        for owner, attr, orig, _ in reversed(self.records):
            setattr(owner, attr, orig)
        if errors:
            raise errors[0]

    def check_restored(self) -> list[str]:
        """The attributes that do not hold their original object (empty after ``restore``)."""
        return [
            f"{getattr(o, '__name__', o)}.{a}" for o, a, orig, _ in self.records if vars(o).get(a) is not orig
        ]


def all_subclasses(cls: type) -> list[type]:
    """``cls`` and every subclass of it, recursively (each once)."""
    seen: dict[type, None] = {}
    todo = [cls]
    while todo:
        c = todo.pop()
        if c not in seen:
            seen[c] = None
            todo.extend(c.__subclasses__())
    return list(seen)
