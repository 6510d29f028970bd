"""``autograd.profiler``: where the time goes, per op, as PyTorch's ``torch.autograd.profiler`` shows it.

``with profile() as prof:`` records every forward op, every backward node ("MatMulBackward"), module
forwards ("nn.Module: Linear"), optimizer steps and ``record_function`` ranges, nested, then
``prof.key_averages().table(sort_by="self_cpu_time_total")``. Recording costs nothing outside a profile: the
wrappers that record exist only while one runs (see ``_profiler_patch``).
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import os
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from . import _profiler_patch as _patch
from .function import Function
from .profiler_util import EventList, FunctionEvent, FunctionEventAvg
from .tensor import Tensor

__all__ = [
    "EventList",
    "FunctionEvent",
    "FunctionEventAvg",
    "ProfilerActivity",
    "profile",
    "record_function",
    "register_instrumentation",
]

_DEDUP_KINDS = frozenset(("op", "backward", "optimizer"))  # a range re-entering itself counts once
_SELF_FIRST = frozenset(("backward", "optimizer"))
_lock = threading.Lock()
_instrumenters: list[Callable[[_patch.Patcher, Any], None]] = []
_bw_names: dict[type, str] = {}


class ProfilerActivity(enum.Enum):
    """What to profile, as ``torch.profiler.ProfilerActivity``: CPU (always) and CUDA (device time)."""

    CPU = "CPU"
    CUDA = "CUDA"


def register_instrumentation(fn: Callable[[_patch.Patcher, Any], None]) -> None:
    """Have ``fn(patcher, recorder)`` called on entering each profile, to add recording wrappers or hooks of a
    package built on autograd (``nn`` adds module forwards, optimizer steps and ``nn.functional``); what it
    changes through ``patcher`` (or registers with ``patcher.on_exit``) is undone on exit."""
    if fn not in _instrumenters:
        _instrumenters.append(fn)


class _DeviceTimer:
    """Device time of a range: CUDA is synchronized at each boundary; with real CuPy a CUDA event is recorded
    there too (the stand-in has none: its device time is the synchronized wall time)."""

    def __init__(self, backends_: list) -> None:
        self.backends = backends_
        ev = None
        for b in backends_:
            ev = (
                getattr(getattr(b.xp, "cuda", None), "Event", None)
                if not getattr(b, "is_standin", True)
                else None
            )
        self._event = ev
        self._elapsed = (
            getattr(getattr(backends_[0].xp, "cuda", None), "get_elapsed_time", None) if ev else None
        )

    def mark(self) -> Any:
        for b in self.backends:
            b.synchronize()
        if self._event is not None:
            e = self._event()
            e.record()
            return e
        return time.perf_counter_ns()

    def elapsed_us(self, a: Any, b: Any) -> float:
        if self._event is not None:
            b.synchronize()
            return float(self._elapsed(a, b)) * 1e3
        return (b - a) / 1e3


class _Recorder:
    """The events of one profile: a stack of open ranges per thread, and the flat list in start order."""

    def __init__(
        self, record_shapes: bool, profile_memory: bool, with_stack: bool, device: _DeviceTimer | None
    ):
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.device = device
        self.events: list[FunctionEvent] = []
        self._tls = threading.local()
        self._ids = itertools.count(1)
        self._t0 = time.perf_counter_ns()

    def _stack(self) -> list:
        st = getattr(self._tls, "stack", None)
        if st is None:
            st = self._tls.stack = []
        return st

    def open(self, name: str, kind: str, args: tuple = ()) -> FunctionEvent | None:
        """Start a range (None when it is an op re-entering itself: ``x.relu()`` calling ``relu(x)``)."""
        st = self._stack()
        parent = st[-1] if st else None
        if parent is not None and parent.name == name and kind in _DEDUP_KINDS:
            return None
        ev = FunctionEvent(next(self._ids), name, kind, threading.get_ident(), 0.0, parent)
        if self.record_shapes and args:
            # a backward node's or an optimizer's first argument is the node / the optimizer itself
            ev.input_shapes = [_shape_of(a) for a in (args[1:] if kind in _SELF_FIRST else args)]
        if self.with_stack:
            ev.stack = _user_stack()
        if parent is not None:
            parent.cpu_children.append(ev)
        st.append(ev)
        self.events.append(ev)
        if self.device is not None:
            ev._dev = [self.device.mark(), None]
        ev.start_us = (time.perf_counter_ns() - self._t0) / 1e3
        ev.end_us = -1.0  # open
        return ev

    def close(self, ev: FunctionEvent, out: Any = None) -> None:
        """End ``ev`` (and any range opened inside it and left open, e.g. by an exception)."""
        t = (time.perf_counter_ns() - self._t0) / 1e3
        if ev.end_us >= 0:
            return  # already ended (the profile ended first)
        if self.device is not None and ev._dev is not None:
            ev._dev[1] = self.device.mark()
        st = self._stack()
        if any(e is ev for e in st):
            while st:
                top = st.pop()
                if top.end_us < 0:
                    top.end_us = t
                if top is ev:
                    break
        else:
            ev.end_us = t
        if self.profile_memory and out is not None:
            ev.cpu_memory_usage, ev.cuda_memory_usage = _bytes_of(out)

    def close_innermost(self, kind: str) -> None:
        """End the innermost open range of ``kind`` on this thread (hooks that have no handle on it)."""
        for e in reversed(self._stack()):
            if e.kind == kind:
                self.close(e)
                return

    def finish(self) -> None:
        """End ranges still open (all threads), and turn device marks into device times."""
        t = (time.perf_counter_ns() - self._t0) / 1e3
        end = None
        for ev in self.events:
            if ev.end_us < 0:
                ev.end_us = t
            if ev._dev is not None:
                a, b = ev._dev
                if b is None:
                    b = end = end if end is not None else self.device.mark()
                ev.cuda_time_total = self.device.elapsed_us(a, b)
                ev._dev = None
        self._tls = threading.local()


def _shape_of(a: Any) -> list:
    """A tensor's (or a backward's raw gradient array's) shape as a list; a list of them for a tensor list; []
    for anything else, or for a tensor without a shape yet (a lazy module's uninitialized parameter)."""
    try:
        if isinstance(a, Tensor):
            return list(a.shape)
        if isinstance(a, list | tuple):
            return [list(x.shape) for x in a] if a and all(isinstance(x, Tensor) for x in a) else []
        shape = getattr(a, "shape", None)
        return list(shape) if isinstance(shape, tuple) else []
    except Exception:
        return []


def _bytes_of(out: Any) -> tuple[int, int]:
    """Bytes of the tensors an op returned, (on the CPU, on CUDA devices)."""
    cpu = dev = 0
    for t in out if isinstance(out, list | tuple) else (out,):
        if isinstance(t, Tensor):
            if t.is_cuda:
                dev += t._data.nbytes
            else:
                cpu += t._data.nbytes
    return cpu, dev


_HERE = (os.path.dirname(os.path.abspath(__file__)),)


def _user_stack() -> list[str]:
    """The caller's frames, innermost first, outside autograd's and nn's own files."""
    frames = traceback.extract_stack()[:-3]
    root = os.path.dirname(_HERE[0])
    mine = (os.path.join(root, "autograd") + os.sep, os.path.join(root, "nn") + os.sep)
    return [
        f"{f.filename}({f.lineno}): {f.name}" for f in reversed(frames) if not f.filename.startswith(mine)
    ]


def _backward_name(args: tuple) -> str:
    cls = type(args[0])
    n = _bw_names.get(cls)
    if n is None:
        n = _bw_names[cls] = cls.name().lstrip("_")
    return n


def _instrument_autograd(p: _patch.Patcher, rec: _Recorder) -> None:
    import autograd

    from . import linalg, special

    ns = vars(Tensor)
    todo = [a for a in ns if a in _patch.OPERATORS or not (a.startswith("_") or a in _patch.TENSOR_NOT_OPS)]
    todo.sort(key=lambda a: getattr(ns[a], "__name__", None) != a)  # aliases take the function's own name
    for attr in todo:
        p.wrap(Tensor, attr, _patch.OPERATORS.get(attr, attr))
    p.wrap_functions(autograd, skip=_patch.FUNCTIONS_NOT_OPS)
    p.wrap_functions(linalg, linalg.__all__, prefix="linalg_")
    p.wrap_functions(special, special.__all__, prefix="special_")
    for cls in _patch.all_subclasses(Function):
        if cls is Function:
            continue
        for attr in ("backward", "backward_raw"):
            if vars(cls).get(attr) is not None:
                p.wrap(cls, attr, _backward_name, kind="backward")


class profile:
    """Record the ops run inside ``with profile() as prof:``; then ``prof.key_averages().table()``.

    Both PyTorch spellings work: ``profile(use_cuda=True, record_shapes=True)`` (torch.autograd.profiler) and
    ``profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA], ...)`` (torch.profiler).
    """

    def __init__(
        self,
        enabled: bool = True,
        *,
        use_cuda: bool = False,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        activities: Any = None,
    ) -> None:
        if isinstance(enabled, list | tuple | set):  # torch.profiler.profile's first argument is `activities`
            activities, enabled = enabled, True
        if activities is not None:
            acts = set(activities)
            bad = [a for a in acts if not isinstance(a, ProfilerActivity)]
            if bad:
                raise TypeError(f"profile: activities must be ProfilerActivity members, got {bad!r}")
            use_cuda = use_cuda or ProfilerActivity.CUDA in acts
        self.enabled = bool(enabled)
        self.use_cuda = bool(use_cuda)
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.function_events: EventList | None = None
        self._patcher: _patch.Patcher | None = None
        self._rec: _Recorder | None = None
        self._running = False

    # ---- running ------------------------------------------------------------------------------
    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        """Begin recording (what ``with`` does on entry)."""
        if not self.enabled:
            return
        with _lock:
            if _patch.current[0] is not None or self._running:
                raise RuntimeError("profile: Profiler is already enabled; nested profilers are not supported")
            device = None
            if self.use_cuda:
                device = _cuda_timer()
            rec = _Recorder(self.record_shapes, self.profile_memory, self.with_stack, device)
            p = _patch.Patcher()
            try:
                _instrument_autograd(p, rec)
                for fn in list(_instrumenters):
                    fn(p, rec)
                p.rebind()
            except BaseException:
                p.restore()
                raise
            self._patcher, self._rec, self._running = p, rec, True
            self.function_events = None
            _patch.current[0] = rec

    def stop(self) -> None:
        """End recording: every wrapped attribute gets its original object back."""
        if not self._running:
            return
        with _lock:
            _patch.current[0] = None
            self._running = False
            rec, p = self._rec, self._patcher
            try:
                rec.finish()
            finally:
                p.restore()
            self.function_events = EventList(
                rec.events,
                use_cuda=self.use_cuda,
                profile_memory=self.profile_memory,
                with_stack=self.with_stack,
            )

    # ---- results ------------------------------------------------------------------------------
    def _events(self) -> EventList:
        if self._running:
            raise RuntimeError(
                "profile: Profiler didn't finish running; read the results after the with block"
            )
        if self.function_events is None:
            return EventList(use_cuda=self.use_cuda, profile_memory=self.profile_memory)
        return self.function_events

    def events(self) -> EventList:
        """Every recorded range, in start order."""
        return self._events()

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """The events averaged per name (and per input shapes with ``record_shapes``, or per call site)."""
        if group_by_input_shape and not self.record_shapes:
            raise RuntimeError(
                "key_averages: group_by_input_shape=True needs the profile to be run with record_shapes=True"
            )
        if group_by_stack_n and not self.with_stack:
            raise RuntimeError(
                "key_averages: group_by_stack_n needs the profile to be run with with_stack=True"
            )
        return self._events().key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs: Any) -> str:
        """``self.key_averages().table(...)``."""
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def total_average(self) -> FunctionEventAvg:
        return self._events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of every event's self CPU time (us): the profiled wall time spent in recorded ranges."""
        return self._events().self_cpu_time_total

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write a Chrome trace JSON (chrome://tracing, Perfetto) atomically."""
        self._events().export_chrome_trace(path)

    def __str__(self) -> str:
        return self.table()


def _cuda_timer() -> _DeviceTimer | None:
    from backends import cuda

    if not cuda.is_available():
        warnings.warn(
            f"profile: use_cuda=True but CUDA is not available ({cuda.unavailable_reason()}); "
            "recording CPU time only",
            stacklevel=3,
        )
        return None
    loaded = cuda._loaded() or [cuda.get_backend(None)]
    return _DeviceTimer(loaded)


class record_function(contextlib.ContextDecorator):
    """Label a range of code in the profile: ``with record_function("data"):`` or as a decorator."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name, self.args = name, args
        self._ev: FunctionEvent | None = None
        self._rec: _Recorder | None = None

    def _recreate_cm(self) -> record_function:
        return record_function(self.name, self.args)  # a fresh range per decorated call (recursion-safe)

    def __enter__(self) -> record_function:
        rec = _patch.current[0]
        if rec is not None:
            self._rec, self._ev = rec, rec.open(self.name, "user")
        return self

    def __exit__(self, *exc: Any) -> bool:
        if self._ev is not None:
            self._rec.close(self._ev)
            self._ev = self._rec = None
        return False
