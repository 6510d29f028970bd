"""Profiler results, as in ``torch.autograd.profiler_util``: recorded events, their averages, the table, traces.

Times are in microseconds. An event's self time is its total minus its children's totals, so summing self
times over all events counts every microsecond once.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from typing import Any

_NAME_WIDTH = 55  # torch's MAX_NAME_COLUMN_WIDTH
_SHAPES_WIDTH = 80
_STACK_WIDTH = 60

SORT_KEYS = (
    "cpu_time",
    "cuda_time",
    "cpu_time_total",
    "cuda_time_total",
    "self_cpu_time_total",
    "self_cuda_time_total",
    "count",
    "cpu_memory_usage",
    "self_cpu_memory_usage",
    "cuda_memory_usage",
    "self_cuda_memory_usage",
)


class FunctionEvent:
    """One recorded range: an op, a backward node, a module forward, an optimizer step or a user range."""

    __slots__ = (
        "id",
        "name",
        "kind",
        "thread",
        "start_us",
        "end_us",
        "input_shapes",
        "stack",
        "cpu_children",
        "cpu_parent",
        "cuda_time_total",
        "cpu_memory_usage",
        "cuda_memory_usage",
        "_dev",
    )
    count = 1

    def __init__(self, id: int, name: str, kind: str, thread: int, start_us: float, parent: Any) -> None:
        self.id, self.name, self.kind, self.thread = id, name, kind, thread
        self.start_us = start_us
        self.end_us = start_us
        self.input_shapes: list = []
        self.stack: list[str] = []
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent = parent
        self.cuda_time_total = 0.0
        self.cpu_memory_usage = 0
        self.cuda_memory_usage = 0
        self._dev: Any = None

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    cpu_time = cpu_time_total

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cuda_time(self) -> float:
        return self.cuda_time_total

    @property
    def self_cuda_time_total(self) -> float:
        return self.cuda_time_total - sum(c.cuda_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self) -> int:
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    @property
    def self_cuda_memory_usage(self) -> int:
        return self.cuda_memory_usage - sum(c.cuda_memory_usage for c in self.cpu_children)

    def __repr__(self) -> str:
        return (
            f"<FunctionEvent id={self.id} name={self.name!r} cpu_time={_fmt_time(self.cpu_time_total)} "
            f"self_cpu_time={_fmt_time(self.self_cpu_time_total)} input_shapes={self.input_shapes}>"
        )


class FunctionEventAvg:
    """Events of one key (and input shapes, or stack, when grouped by them) summed; ``cpu_time`` is the mean."""

    def __init__(self, key: str, input_shapes: Any = None, stack: list[str] | None = None) -> None:
        self.key = key
        self.input_shapes = input_shapes
        self.stack = stack or []
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cuda_time_total = 0.0
        self.self_cuda_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.cuda_memory_usage = 0
        self.self_cuda_memory_usage = 0

    def add(self, ev: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        self.count += ev.count
        for attr in _SUMMED:
            setattr(self, attr, getattr(self, attr) + getattr(ev, attr))
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def cuda_time(self) -> float:
        return self.cuda_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key!r} count={self.count} cpu_time={_fmt_time(self.cpu_time)} "
            f"self_cpu_time={_fmt_time(self.self_cpu_time_total)} input_shapes={self.input_shapes}>"
        )


_SUMMED = (
    "cpu_time_total",
    "self_cpu_time_total",
    "cuda_time_total",
    "self_cuda_time_total",
    "cpu_memory_usage",
    "self_cpu_memory_usage",
    "cuda_memory_usage",
    "self_cuda_memory_usage",
)


class EventList(list):
    """A list of events (or of averages) with torch's ``table``, ``key_averages`` and ``export_chrome_trace``."""

    def __init__(
        self,
        events: Iterable = (),
        *,
        use_cuda: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
    ) -> None:
        super().__init__(events)
        self._use_cuda, self._profile_memory, self._with_stack = use_cuda, profile_memory, with_stack

    def _like(self, events: Iterable) -> EventList:
        return EventList(
            events, use_cuda=self._use_cuda, profile_memory=self._profile_memory, with_stack=self._with_stack
        )

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """One ``FunctionEventAvg`` per name (per name and input shapes / top stack frames when asked)."""
        groups: dict[tuple, FunctionEventAvg] = {}
        for ev in self:
            shapes = str(ev.input_shapes) if group_by_input_shape else None
            stack = tuple(ev.stack[:group_by_stack_n]) if group_by_stack_n > 0 else ()
            k = (ev.key, shapes, stack)
            avg = groups.get(k)
            if avg is None:
                avg = groups[k] = FunctionEventAvg(
                    ev.key, ev.input_shapes if group_by_input_shape else None, list(stack)
                )
            avg.add(ev)
        out = self._like(groups.values())
        out._grouped = (group_by_input_shape, group_by_stack_n)
        return out

    def total_average(self) -> FunctionEventAvg:
        """Every event summed into one average keyed 'Total'."""
        total = FunctionEventAvg("Total")
        for ev in self:
            total.add(ev)
        return total

    @property
    def self_cpu_time_total(self) -> float:
        return sum(ev.self_cpu_time_total for ev in self)

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_name_column_width: int = _NAME_WIDTH,
        header: str | None = None,
        top_level_events_only: bool = False,
    ) -> str:
        """A text table like torch's: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, [CUDA...],
        # of Calls, [Input Shapes], then the self time totals."""
        return _table(self, sort_by, row_limit, max_name_column_width, header, top_level_events_only)

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write the events as Chrome trace JSON (open in chrome://tracing or Perfetto); atomic: temp file + rename."""
        export_chrome_trace(self, path)

    def __str__(self) -> str:
        return self.table()


def _table(
    events: EventList,
    sort_by: str | None,
    row_limit: int | None,
    name_cap: int,
    header: str | None,
    top_level_only: bool,
) -> str:
    if sort_by is not None and sort_by not in SORT_KEYS:
        raise ValueError(f"table: unknown sort_by {sort_by!r}; expected one of {', '.join(SORT_KEYS)}")
    rows = list(events)
    if top_level_only:
        rows = [e for e in rows if getattr(e, "cpu_parent", None) is None]
    if sort_by is not None:
        rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
    if row_limit is not None and row_limit >= 0:
        rows = rows[:row_limit]
    use_cuda, mem = events._use_cuda, events._profile_memory
    grouped = getattr(events, "_grouped", (False, 0))
    shapes = bool(grouped[0])
    stack = grouped[1] > 0
    self_cpu_total = sum(e.self_cpu_time_total for e in events)
    self_cuda_total = sum(e.self_cuda_time_total for e in events)
    name_w = min(max([len(e.key) for e in rows] + [4]) + 4, name_cap)

    def pct(x: float, total: float) -> str:
        return f"{100.0 * x / total:.2f}%" if total else "0.00%"

    cols: list[tuple[str, int, Any]] = [
        ("Name", name_w, lambda e: _trim(e.key, name_w)),
        ("Self CPU %", 12, lambda e: pct(e.self_cpu_time_total, self_cpu_total)),
        ("Self CPU", 12, lambda e: _fmt_time(e.self_cpu_time_total)),
        ("CPU total %", 12, lambda e: pct(e.cpu_time_total, self_cpu_total)),
        ("CPU total", 12, lambda e: _fmt_time(e.cpu_time_total)),
        ("CPU time avg", 12, lambda e: _fmt_time(e.cpu_time)),
    ]
    if use_cuda:
        cols += [
            ("Self CUDA", 12, lambda e: _fmt_time(e.self_cuda_time_total)),
            ("Self CUDA %", 12, lambda e: pct(e.self_cuda_time_total, self_cuda_total)),
            ("CUDA total", 12, lambda e: _fmt_time(e.cuda_time_total)),
            ("CUDA time avg", 13, lambda e: _fmt_time(e.cuda_time)),
        ]
    if mem:
        cols += [
            ("CPU Mem", 12, lambda e: _fmt_mem(e.cpu_memory_usage)),
            ("Self CPU Mem", 12, lambda e: _fmt_mem(e.self_cpu_memory_usage)),
        ]
        if use_cuda:
            cols += [
                ("CUDA Mem", 12, lambda e: _fmt_mem(e.cuda_memory_usage)),
                ("Self CUDA Mem", 13, lambda e: _fmt_mem(e.self_cuda_memory_usage)),
            ]
    cols.append(("# of Calls", 12, lambda e: str(e.count)))
    if shapes:
        w = min(max([len(str(e.input_shapes)) for e in rows] + [12]) + 4, _SHAPES_WIDTH)
        cols.append(("Input Shapes", w, lambda e, w=w: _trim(str(e.input_shapes), w)))
    if stack:
        cols.append(
            ("Source Location", _STACK_WIDTH, lambda e: _trim(e.stack[0] if e.stack else "", _STACK_WIDTH))
        )
    sep = "".join("-" * w + "  " for _, w, _ in cols)
    lines = [header] if header else []
    lines += [sep, "".join(h.rjust(w) + "  " for h, w, _ in cols), sep]
    for e in rows:
        lines.append("".join(f(e).rjust(w) + "  " for _, w, f in cols))
    lines.append(sep)
    lines.append(f"Self CPU time total: {_fmt_time(self_cpu_total)}")
    if use_cuda:
        lines.append(f"Self CUDA time total: {_fmt_time(self_cuda_total)}")
    return "\n".join(lines) + "\n"


def export_chrome_trace(events: Iterable[FunctionEvent], path: str | os.PathLike) -> None:
    """Chrome trace JSON ('X' complete events, microseconds); written to a temp file, then renamed."""
    pid = os.getpid()
    trace = []
    for ev in events:
        args: dict[str, Any] = {"External id": ev.id, "kind": ev.kind}
        if ev.input_shapes:
            args["Input Dims"] = ev.input_shapes
        if ev.cuda_time_total:
            args["cuda_time_us"] = ev.cuda_time_total
        if ev.stack:
            args["Call stack"] = ";".join(ev.stack)
        trace.append(
            {
                "ph": "X",
                "cat": ev.kind,
                "name": ev.name,
                "pid": pid,
                "tid": ev.thread,
                "ts": ev.start_us,
                "dur": ev.cpu_time_total,
                "args": args,
            }
        )
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".trace-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _trim(s: str, width: int) -> str:
    return s if len(s) <= width else s[: width - 3] + "..."


def _fmt_time(us: float) -> str:
    if abs(us) >= 1e6:
        return f"{us / 1e6:.3f}s"
    if abs(us) >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _fmt_mem(nbytes: int) -> str:
    for unit, size in (("Gb", 1024**3), ("Mb", 1024**2), ("Kb", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} b"
