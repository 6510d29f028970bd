"""make_dot: walk the recorded graph from its outputs (iteratively, no recursion) and describe it as DOT."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from ..function import Function, history_at
from ..grad_mode import no_grad
from ..tensor import Tensor
from ._emit import emit
from ._render import Digraph
from ._trace import resolve_trace

DEFAULT_MAX_NODES = 2000
_FREED_NOTE = (
    "graph freed: backward() already ran through nodes drawn dashed red, so their inputs are gone; "
    "call make_dot before backward, or backward(retain_graph=True)"
)


def make_dot(
    outputs: Tensor | Sequence[Tensor] | Mapping[str, Tensor],
    params: Mapping[str, Tensor] | Any | None = None,
    *,
    show_saved: bool = False,
    show_grad: bool = False,
    group_by_module: Any = None,
    show_attrs: bool = False,
    show_constants: bool = True,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    max_attr_chars: int = 50,
    rankdir: str = "TB",
) -> Digraph:
    """Draw the graph that produced ``outputs`` (one tensor, a list, or a name -> tensor dict) as DOT.

    ``params`` names leaves (a dict or a module's ``named_parameters``); ``group_by_module`` (a module
    traced with ``trace_modules``, or the trace) draws each module call as a nested cluster.
    """
    items = _outputs(outputs)
    trace = resolve_trace(group_by_module) if group_by_module is not None else None
    if params is None and trace is not None:
        params = trace.module
    names, const_names = _param_names(params)
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"make_dot: max_nodes must be a positive int or None, got {max_nodes!r}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"make_dot: rankdir must be one of TB, LR, BT, RL, got {rankdir!r}")
    b = _Builder(
        names, const_names, show_saved, show_grad, show_attrs, show_constants, max_nodes, max_attr_chars
    )
    b.walk(items)
    b.resolve_saved()
    total = len(b.op_ids) + b.count_undrawn()
    notes = []
    if b.freed:
        notes.append(_FREED_NOTE)
    if total > len(b.op_ids):
        b.nodes["trunc"][1] = f"... {total - len(b.op_ids)} more ops not drawn\n(max_nodes={max_nodes})"
        notes.append(
            f"truncated: drew {len(b.op_ids)} of {total} ops (max_nodes={max_nodes}); pass a larger "
            "max_nodes, or max_nodes=None to draw everything"
        )
    source = emit(b, trace, notes, rankdir)
    return Digraph(source, notes=tuple(notes), num_ops=len(b.op_ids), total_ops=total)


def _outputs(outputs: Any) -> list[tuple[str, Tensor]]:
    if isinstance(outputs, Tensor):
        pairs = [(None, outputs)]
    elif isinstance(outputs, Mapping):
        pairs = [(str(k), v) for k, v in outputs.items()]
    elif isinstance(outputs, Sequence) and not isinstance(outputs, str):
        pairs = [(None, v) for v in outputs]
    else:
        raise TypeError(
            f"make_dot: expected a Tensor, a sequence of Tensors or a dict of them, got {type(outputs).__name__}"
        )
    if not pairs:
        raise ValueError("make_dot: no outputs given; pass the tensor(s) whose graph to draw")
    items = []
    for k, (name, t) in enumerate(pairs):
        if not isinstance(t, Tensor):
            where = f"outputs[{name!r}]" if name is not None else f"outputs[{k}]"
            raise TypeError(f"make_dot: {where} is a {type(t).__name__}, expected a Tensor")
        if name is None:
            name = t.name or ("output" if len(pairs) == 1 else f"output {k}")
        items.append((name, t))
    return items


def _param_names(params: Any) -> tuple[dict[int, str], dict[int, str]]:
    """id(tensor) -> name for parameters, and for buffers (drawn as named constants)."""
    buffers: dict[int, str] = {}
    if params is None:
        return {}, buffers
    if hasattr(params, "named_parameters") and not isinstance(params, Mapping):
        if hasattr(params, "named_buffers"):
            buffers = {id(t): n for n, t in params.named_buffers()}
        params = dict(params.named_parameters())
    if not isinstance(params, Mapping):
        raise TypeError(
            f"make_dot: params must be a dict name -> Tensor or a module with named_parameters(), "
            f"got {type(params).__name__}"
        )
    names = {}
    for n, t in params.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"make_dot: params[{n!r}] is a {type(t).__name__}, expected a Tensor")
        names[id(t)] = str(n)
    return names, buffers


def _meta(t: Tensor, cache: dict) -> tuple[str, str, str]:
    """(shape, dtype, device) strings of ``t``, memoized per array kind so huge graphs stay fast."""
    d = t._data
    key = (d.__class__, d.dtype, d.shape, getattr(d, "device", None))
    try:
        m = cache.get(key)
    except TypeError:  # an unhashable device object: no memo
        key, m = None, None
    if m is None:
        m = (str(tuple(d.shape)), t.dtype.name, str(t.device))
        if key is not None:
            cache[key] = m
    return m


def _edge_label(m: tuple[str, str, str], default_device: str) -> str:
    """A tensor flowing between ops: its shape, plus dtype/device when not float32 / the outputs' device."""
    s, dt, dev = m
    if dt != "float32":
        s += " " + dt
    if dev != default_device:
        s += " " + dev
    return s


def op_name(fn: Function) -> str:
    """PyTorch-like node label: 'MulBackward'."""
    name = type(fn).name().lstrip("_")
    op = fn.__dict__.get("op")
    if isinstance(op, str) and name.startswith("DelayedError"):
        name = f"DelayedError({op})"
    return name


class _Builder:
    """Collects the nodes and edges of one drawing."""

    def __init__(
        self,
        names: dict[int, str],
        const_names: dict[int, str],
        show_saved: bool,
        show_grad: bool,
        show_attrs: bool,
        show_constants: bool,
        max_nodes: int | None,
        max_attr_chars: int,
    ) -> None:
        self.names, self.const_names = names, const_names
        self.show_saved, self.show_grad, self.show_attrs = show_saved, show_grad, show_attrs
        self.show_constants, self.max_nodes, self.max_attr_chars = show_constants, max_nodes, max_attr_chars
        self.nodes: dict[str, list] = {}  # id -> [kind, label, extra attrs]
        self.edges: list[tuple[str, str, str | None, str]] = []  # (src, dst, label, kind)
        self.op_ids: dict[Function, str] = {}
        self.op_fn: dict[str, Function] = {}
        self.t_ids: dict[int, str] = {}
        self.keep: list[Tensor] = []  # keeps drawn tensors alive so their ids stay unique
        self.home: dict[str, Function] = {}  # tensor node -> the op whose module cluster it joins
        self.param_of: dict[str, str] = {}  # tensor node -> parameter name
        self.out_names: dict[int, str] = {}
        self.undrawn: list[Function] = []
        self.freed = 0
        self.saved: list[tuple[str, Function, Tensor, str, tuple | None]] = []
        self.saved_ids: dict[int, str] = {}
        self.names_of: dict[type, str] = {}
        self.meta_cache: dict = {}
        self.device = "cpu"  # edges name a device only when it differs from the (first) output's

    # ---- nodes ----------------------------------------------------------------------------------
    def op(self, fn: Function, queue: deque) -> str:
        nid = self.op_ids.get(fn)
        if nid is not None:
            return nid
        if self.max_nodes is not None and len(self.op_ids) >= self.max_nodes:
            self.undrawn.append(fn)
            if "trunc" not in self.nodes:
                self.nodes["trunc"] = ["trunc", "", ""]  # labelled by make_dot once the rest is counted
            return "trunc"
        nid = f"op{len(self.op_ids)}"
        self.op_ids[fn] = nid
        self.op_fn[nid] = fn
        name = self.names_of.get(fn.__class__)
        if name is None:
            name = op_name(fn)
            if not name.startswith("DelayedError"):
                self.names_of[fn.__class__] = name
        self.nodes[nid] = ["op", name, ""]
        queue.append(fn)
        return nid

    def tensor(self, t: Tensor) -> tuple[str, bool]:
        """The node drawing tensor ``t`` (and whether it is new)."""
        key = id(t)
        nid = self.t_ids.get(key)
        if nid is not None:
            return nid, False
        nid = f"t{len(self.t_ids)}"
        self.t_ids[key] = nid
        self.keep.append(t)
        pname = self.names.get(key)
        if key in self.out_names:
            kind, title = "output", self.out_names[key]
        elif t.grad_fn is None and t.requires_grad:
            kind, title = ("param", pname) if pname else ("leaf", t.name or "leaf")
        elif t.grad_fn is None:
            kind, title = "const", t.name or self.const_names.get(key) or pname or "constant"
        else:
            kind, title = "tensor", t.name or pname or "tensor"
        if pname:
            self.param_of[nid] = pname
        lines = [title, "{}, {}".format(*self.describe(t))]
        extra = ""
        if self.show_grad and t.requires_grad and (t.grad_fn is None or t.retains_grad):
            line, bad = _grad_line(t)
            lines.append(line)
            if bad:
                extra = 'fontcolor="#cc0000", color="#cc0000"'
        self.nodes[nid] = [kind, "\n".join(lines), extra]
        return nid, True

    def _interesting(self, t: Tensor) -> bool:
        """Intermediate tensors drawn as their own node: named, retaining grad, or asked for as output."""
        ext = t._extra
        if ext and (ext.get("name") is not None or ext.get("retains_grad")):
            return True
        key = id(t)
        return key in self.out_names or key in self.names

    def describe(self, t: Tensor) -> tuple[str, str]:
        """'(shape) dtype' and device of ``t``."""
        shape, dt, dev = _meta(t, self.meta_cache)
        return f"{shape} {dt}", dev

    def out_label(self, t: Tensor, producer: Function) -> str:
        s = _edge_label(_meta(t, self.meta_cache), self.device)
        if not producer._raw and producer.__dict__.get("_n_out", 1) > 1:
            s = f"[{t._oi}] {s}"
        return s

    # ---- the walk -------------------------------------------------------------------------------
    def walk(self, items: list[tuple[str, Tensor]]) -> None:
        self.device = _meta(items[0][1], self.meta_cache)[2]
        for name, t in items:
            self.out_names.setdefault(id(t), name)
        queue: deque = deque()
        for _, t in items:
            tid, new = self.tensor(t)
            if new and t.grad_fn is not None:
                self.edges.append((self.op(t.grad_fn, queue), tid, self.out_label(t, t.grad_fn), "data"))
        while queue:
            fn = queue.popleft()
            fid = self.op_ids[fn]
            inputs = fn.inputs
            if inputs is None:
                self.freed += 1
                self.nodes[fid][0] = "freed"
                self.nodes[fid][1] += "\n(graph freed by backward)"
                continue
            for a in inputs:
                if not isinstance(a, Tensor):
                    continue
                g = history_at(a, fn.seq)[0]  # the history a had when fn was recorded
                if g is None:
                    if not a.requires_grad and not self.show_constants:
                        continue
                    tid, _ = self.tensor(a)
                    self.edges.append((tid, fid, None, "data" if a.requires_grad else "const"))
                elif self._interesting(a):
                    tid, new = self.tensor(a)
                    if new:
                        src = self.op(g, queue)
                        self.home[tid] = g
                        self.edges.append((src, tid, self.out_label(a, g), "data"))
                    self.edges.append((tid, fid, None, "data"))
                else:
                    self.edges.append((self.op(g, queue), fid, self.out_label(a, g), "data"))
            if self.show_attrs:
                self.nodes[fid][1] += self._attrs(fn)
            if self.show_saved:
                self._collect_saved(fid, fn)

    def _attrs(self, fn: Function) -> str:
        lim = self.max_attr_chars
        lines = []
        for k, v in (fn.__dict__ if hasattr(fn, "__dict__") else {}).items():
            if not k.startswith("_") and not isinstance(v, Tensor):
                lines.append(f"{k}={_short(v, lim)}")
        for i, a in enumerate(fn.inputs or ()):
            if a is not None and not isinstance(a, Tensor):
                lines.append(f"input[{i}]={_short(a, lim)}")
        return "".join("\n" + s for s in lines)

    def _collect_saved(self, fid: str, fn: Function) -> None:
        cls = type(fn)
        if cls._raw:
            versions = getattr(fn, "_versions", None) or ()
            for j, i in enumerate(cls._saved_inputs):
                t = fn.inputs[i] if i < len(fn.inputs) else None
                if isinstance(t, Tensor):
                    v = versions[j] if j < len(versions) else None
                    self.saved.append((fid, fn, t, f"input {i}", _stale(t, v)))
            ref = getattr(fn, "_out", None) if cls._saves_output else None
            out = ref() if ref is not None else None
            if out is not None:
                self.saved.append((fid, fn, out, "output", _stale(out, fn._outv)))
            return
        saved = getattr(fn, "_saved", None)
        if saved is None:
            self.nodes[fid][1] += "\n(saved tensors freed)"
            return
        versions = getattr(fn, "_versions", None) or ()
        for j, t in enumerate(saved):
            if isinstance(t, Tensor):
                v = versions[j] if j < len(versions) else None
                self.saved.append((fid, fn, t, f"saved[{j}]", _stale(t, v)))

    def resolve_saved(self) -> None:
        """Dotted edges to each op from the tensors its backward reads (a node of their own if not drawn)."""
        for fid, fn, t, what, stale in self.saved:
            nid = self.t_ids.get(id(t))
            if nid is None:
                nid = self.saved_ids.get(id(t))
            if nid is None:
                nid = self.saved_ids[id(t)] = f"s{len(self.saved_ids)}"
                title = t.name or self.names.get(id(t)) or "saved tensor"
                self.nodes[nid] = ["saved", "{}\n{}, {}".format(title, *self.describe(t)), ""]
                self.keep.append(t)
                self.home[nid] = fn
            label = f"saved {what}"
            kind = "saved"
            if stale is not None:
                label += f"\nmodified in place: version {stale[0]}, saved at {stale[1]}"
                kind = "stale"
                if self.nodes[nid][0] == "saved":
                    self.nodes[nid][0] = "stale"
            self.edges.append((nid, fid, label, kind))

    def count_undrawn(self) -> int:
        """How many ops lie beyond the ``max_nodes`` cut (walked without drawing)."""
        seen: set = set()
        stack = [fn for fn in self.undrawn if fn not in self.op_ids]
        while stack:
            fn = stack.pop()
            if fn in seen:
                continue
            seen.add(fn)
            for a in fn.inputs or ():
                if isinstance(a, Tensor):
                    g = history_at(a, fn.seq)[0]  # the history a had when fn was recorded
                    if g is not None and g not in seen and g not in self.op_ids:
                        stack.append(g)
        return len(seen)


def _stale(t: Tensor, saved_version: int | None) -> tuple[int, int] | None:
    if saved_version is None or t._vc[0] == saved_version:
        return None
    return t._vc[0], saved_version


def _short(v: Any, limit: int) -> str:
    if hasattr(v, "shape") and hasattr(v, "dtype"):  # a backend array or scalar: describe, don't print
        shape = tuple(v.shape)
        s = repr(v.item()) if shape == () else f"<array {shape} {v.dtype}>"
    else:
        s = repr(v)
    return s if len(s) <= limit else s[: max(limit - 3, 1)] + "..."


def _grad_line(t: Tensor) -> tuple[str, bool]:
    g = t.grad
    if g is None:
        return "grad None", False
    with no_grad():
        n = float(g.detach().double().norm().item())
    return f"grad norm {n:.4g}", not math.isfinite(n)
