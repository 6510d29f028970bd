"""The backward engine shared by ``Tensor.backward`` and ``autograd.grad``.

An iterative walk: nodes are popped from a heap in decreasing creation order, which is a
topological order (a node is always created after the nodes of its inputs), so no recursion and no
dependency counting. Gradients wait in a table until their node is popped; broadcasting is undone
here, in one place, for every op.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from .function import _SECOND_PASS, Function, _inplace_msg, history_at
from .grad_mode import _enabled as _grad_mode_var
from .grad_mode import _restore as _restore_grad_mode
from .grad_mode import anomaly_seen as _anomaly_seen
from .grad_mode import grad_enabled as _grad_enabled
from .grad_mode import state as _grad_state
from .tensor import _BY_TYPE, Tensor, _last_inplace

_make = Tensor._make
_set_grad_enabled = _grad_mode_var.set

_TensorOrTensors = Tensor | Sequence[Tensor]


def backward(
    tensors: _TensorOrTensors,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    if grad_tensors is None and inputs is None and tensors.__class__ is Tensor and tensors.requires_grad:
        d = tensors._data  # the common call, loss.backward(): one scalar root, an implicit gradient of one
        if d.size == 1:
            xp = _BY_TYPE[type(d)].xp
            g = xp.array(1, dtype=d.dtype) if d.ndim == 0 else xp.ones(d.shape, dtype=d.dtype)
            _run(
                [tensors],
                [_make(g)],
                bool(create_graph if retain_graph is None else retain_graph),
                create_graph,
                None,
            )
            return
    roots, grads = _roots(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        found = _run(roots, grads, retain_graph, create_graph, inputs)
        for t, g in zip(inputs, found):
            if g is not None:
                _accumulate(t, g, create_graph, set())
        return
    _run(roots, grads, retain_graph, create_graph, None)


def grad(
    outputs: _TensorOrTensors,
    inputs: _TensorOrTensors,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    roots, grads = _roots(outputs, grad_outputs, "grad")
    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    found = _run(roots, grads, retain_graph, create_graph, inputs)
    out = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if materialize_grads:
                g = Tensor._make(t.backend.xp.zeros_like(t._data))
            elif not allow_unused:
                raise RuntimeError(
                    f"grad: inputs[{i}] (shape {tuple(t.shape)}) appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
        out.append(g)
    return tuple(out)


def _roots(tensors: Any, grads: Any, op: str) -> tuple[list[Tensor], list[Tensor]]:
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grads is None:
        grads = [None] * len(tensors)
    elif isinstance(grads, Tensor):
        grads = [grads]
    else:
        grads = list(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"{op}: got {len(tensors)} tensors but {len(grads)} gradients")
    out = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise RuntimeError(
                f"{op}: element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs; the output has shape "
                    f"{tuple(t.shape)}: pass a gradient of that shape"
                )
            d = t._data
            xp = _BY_TYPE[type(d)].xp
            g = _make(xp.array(1, dtype=d.dtype) if d.ndim == 0 else xp.ones(d.shape, dtype=d.dtype))
        elif not isinstance(g, Tensor):
            raise TypeError(f"{op}: gradient must be a Tensor, got {type(g).__name__}")
        elif g.shape != t.shape:
            raise RuntimeError(
                f"{op}: mismatch in shape: gradient has shape {tuple(g.shape)} but the output has shape "
                f"{tuple(t.shape)}"
            )
        elif type(g._data) is not type(t._data):
            raise RuntimeError(f"{op}: gradient is on {g.device} but the output is on {t.device}")
        out.append(g)
    return tensors, out


def _run(
    roots: list[Tensor],
    root_grads: list[Tensor],
    retain_graph: bool,
    create_graph: bool,
    capture: tuple[Tensor, ...] | None,
) -> list[Tensor | None] | None:
    """Walk the graph from ``roots``; accumulate into leaves, or with ``capture`` return those tensors' grads.

    Without ``create_graph`` gradients travel as raw backend arrays and ops with a ``backward_raw``
    use it (no graph is built, so the Tensor wrappers would be pure overhead); with ``create_graph``
    they travel as Tensors through each op's differentiable ``backward``.
    """
    walk = _Walk(retain_graph, create_graph, capture)
    prev = _grad_enabled()
    token = _set_grad_enabled(create_graph)  # PyTorch's grad mode during backward
    try:
        for r, g in zip(roots, root_grads):
            walk.handed.add(id(g._data))
            walk.add(r, g._data if walk.raw else g)
        walk.run()
        return walk.finish()
    finally:
        _restore_grad_mode(token, prev)


_CURRENT = object()  # Walk.add: "use the tensor's current history"


class _Walk:
    """State of one backward pass."""

    cap_nodes: Any = MappingProxyType({})  # (read-only while nothing is captured)
    cap_leaves: Any = MappingProxyType({})
    found: Any = ()

    def __init__(self, retain_graph: bool, create_graph: bool, capture: tuple[Tensor, ...] | None) -> None:
        self.raw = not create_graph
        self.create_graph = create_graph
        self.retain_graph = retain_graph
        self.anomaly = _anomaly_seen[0] and _grad_state.anomaly
        self.heap: list = []
        self.pending: dict[Function, Any] = {}
        self.leaves: dict[int, list] = {}
        self.keep: list[tuple] = []
        self.handed: set[int] = set()
        self.capture = capture
        if capture is not None:  # autograd.grad / backward(inputs=...): whose gradients to hand back
            self.cap_nodes: Any = {}
            self.cap_leaves: Any = {}
            self.found = [None] * len(capture)
            for i, t in enumerate(capture):
                if t.grad_fn is None:
                    self.cap_leaves[id(t)] = i
                else:
                    self.cap_nodes.setdefault(t.grad_fn, []).append((t._oi, i))

    def add(self, t: Tensor, g: Any, node: Any = _CURRENT, oi: int = 0) -> None:
        """Queue gradient ``g`` for tensor ``t``: into its leaf slot, or the pending entry of the node that made it
        (``node``/``oi`` give a past history instead of t's current one). ``run`` inlines this on its hot path.

        A node's pending entry is its output's gradient itself while only output 0 has one (every built-in op
        has a single output), and a ``_Slots`` list, one per output, otherwise."""
        if node is _CURRENT:
            node, oi = t.grad_fn, t._oi
        if node is None:
            slot = self.leaves.get(id(t))
            if slot is None:
                self.leaves[id(t)] = [t, g]
            else:
                slot[1] = slot[1] + g
            return
        prev = self.pending.get(node)
        if prev is None:
            heapq.heappush(self.heap, (-node.seq, node))
        _queue(self.pending, node, prev, oi, g)

    def run(self) -> None:
        heap, pending, raw, leaves = self.heap, self.pending, self.raw, self.leaves
        keep = None if self.retain_graph else self.keep
        special = bool(self.cap_nodes) or self.anomaly
        heappop, heappush = heapq.heappop, heapq.heappush
        last_inplace = _last_inplace
        while heap:
            node = heappop(heap)[1]
            grads = pending.pop(node)
            inputs = node.inputs
            cls = node.__class__
            stale = node.seq < last_inplace[0]  # something was edited in place after this node was recorded
            braw = cls.backward_raw
            if (
                braw is not None
                and raw
                and not special
                and node._meta is None
                and inputs is not None
                and grads.__class__ is not _Slots
            ):
                # the hot path: a built-in op, no hooks: its one output's gradient, as an array
                if stale:
                    _check_versions(node, cls, inputs)
                gin = braw(node, grads)
                if gin.__class__ is not tuple:
                    gin = (gin,)
                if len(gin) != len(inputs):
                    gin = _check_count(node, gin, inputs)
                unary = len(inputs) == 1  # a one-input op's gradient has its input's shape: nothing to reduce
            else:
                gin = self._general(node, cls, grads, inputs, stale, special)
                unary = False
            if keep is not None:  # free the node now; its inputs stay alive until the walk ends
                keep.append(inputs)
                node.inputs = None
            for inp, g in zip(inputs, gin):
                if g is None or inp.__class__ is not Tensor and not isinstance(inp, Tensor):
                    continue
                if stale and inp._extra is not None and "history" in inp._extra:
                    self._historic(node, inp, g)  # modified in place after this node was recorded
                    continue
                if not inp.requires_grad:
                    continue
                if not unary and (g.shape if raw else g._data.shape) != inp._data.shape:
                    g = _unbroadcast(g, inp, node, raw)
                nxt = inp.grad_fn
                if nxt is None:  # a leaf: summed here, stored in finish()
                    slot = leaves.get(id(inp))
                    if slot is None:
                        leaves[id(inp)] = [inp, g]
                    else:
                        slot[1] = slot[1] + g
                    continue
                prev = pending.get(nxt)
                if prev is None:
                    heappush(heap, (-nxt.seq, nxt))
                    pending[nxt] = g if not inp._oi else _slots(nxt, inp._oi, g)
                elif prev.__class__ is not _Slots and not inp._oi:
                    pending[nxt] = prev + g
                else:
                    _queue(pending, nxt, prev, inp._oi, g)

    def _general(
        self, node: Function, cls: type, grads: Any, inputs: Any, stale: bool, special: bool
    ) -> tuple:
        """One node's backward off the hot path: hooks, captures, custom Functions, create_graph, the
        second-pass error."""
        if grads.__class__ is not _Slots:
            grads = _slots(node, 0, grads)
        grads = list(grads)
        hooked = special or node._meta is not None
        if hooked or inputs is None:
            grads = self._node_pre(node, grads)
        if stale:
            _check_versions(node, cls, inputs)
        if self.raw and cls.backward_raw is not None:
            gin = cls.backward_raw(node, *grads)
            if gin.__class__ is not tuple:
                gin = (gin,)
        else:
            gin = self._backward(node, cls, grads)
        if len(gin) != len(inputs):
            gin = _check_count(node, gin, inputs)
        if hooked:
            gin = self._node_post(node, gin, grads)
        return gin

    def _historic(self, node: Function, inp: Tensor, g: Any) -> None:
        """Route ``g`` along the history ``inp`` had when ``node`` was recorded (before later in-place ops)."""
        fn, oi, rg = history_at(inp, node.seq)
        if not rg:
            return
        if (g.shape if self.raw else g._data.shape) != inp._data.shape:
            g = _unbroadcast(g, inp, node, self.raw)
        self.add(inp, g, fn, oi)

    def _backward(self, node: Function, cls: type, grads: list) -> Any:
        """Run the Tensor-level backward (custom Functions, ops without a raw rule, create_graph)."""
        if not cls._raw:
            grads = _materialize(node, grads, self.raw)
            if not self.retain_graph:
                gin = cls.backward(
                    node, *(grads if not self.raw else [None if g is None else _make(g) for g in grads])
                )
                node._saved = None
                if self.raw:
                    gin = gin if type(gin) is tuple else (gin,)
                    return tuple(g._data if isinstance(g, Tensor) else g for g in gin)
                return gin if type(gin) is tuple else (gin,)
        if not self.raw:
            gin = cls.backward(node, *grads)
            return gin if gin.__class__ is tuple else (gin,)
        gin = cls.backward(node, *[None if g is None else _make(g) for g in grads])
        if type(gin) is not tuple:
            gin = (gin,)
        return tuple(g._data if isinstance(g, Tensor) else g for g in gin)

    def _wrap(self, grads: Any) -> list:
        return [None if g is None else _make(g) for g in grads] if self.raw else list(grads)

    def _unwrap(self, grads: Any) -> list:
        return [g._data if isinstance(g, Tensor) else g for g in grads] if self.raw else list(grads)

    def _node_pre(self, node: Function, grads: list) -> list:
        """Tensor hooks, node pre-hooks, retain_grad and captures (autograd.grad) on a node's outputs."""
        if node.inputs is None:
            raise RuntimeError(_SECOND_PASS.format(name=node.name()))
        if node._meta is not None:
            grads = self._hooks_pre(node, grads)
        if node in self.cap_nodes:
            for oi, i in self.cap_nodes[node]:
                self.found[i] = grads[oi]
        return grads

    def _hooks_pre(self, node: Function, grads: list) -> list:
        meta = node._meta
        if not (meta.get("hooks") or meta.get("retain") or meta.get("node_hooks", {}).get("pre")):
            return grads
        grads = self._wrap(grads)
        for oi, hs in meta.get("hooks", {}).items():
            for h in list(hs):
                if grads[oi] is not None:
                    r = h(grads[oi])
                    if r is not None:
                        grads[oi] = r
        for h in list(meta.get("node_hooks", {}).get("pre", ())):
            r = h(tuple(grads))
            if r is not None:
                grads = list(r)
        for oi, ref in meta.get("retain", {}).items():
            t = ref()
            if t is not None and grads[oi] is not None:
                _accumulate(t, grads[oi], self.create_graph, set())
        return self._unwrap(grads)

    def _node_post(self, node: Function, gin: tuple, grads: list) -> tuple:
        """Node post-hooks and anomaly checks on the gradients a node produced."""
        if node._meta is not None and "node_hooks" in node._meta:
            gin = self._hooks_post(node, gin, grads)
        if self.anomaly:
            _check_anomaly(node, gin)
        return gin

    def _hooks_post(self, node: Function, gin: tuple, grads: list) -> tuple:
        gin_t, grads_t = tuple(self._wrap(gin)), tuple(self._wrap(grads))
        for h in list(node._meta["node_hooks"].get("post", ())):
            r = h(gin_t, grads_t)
            if r is not None:
                gin_t = tuple(r)
        return tuple(self._unwrap(gin_t))

    def finish(self) -> list | None:
        for t, g in self.leaves.values():
            if self.raw:
                g = _make(g)
            if t._extra and t._extra.get("hooks"):
                for h in list(t._extra["hooks"]):
                    r = h(g)
                    if r is not None:
                        g = r
            if self.capture is not None:
                i = self.cap_leaves.get(id(t))
                if i is not None:
                    self.found[i] = g
            else:
                _accumulate(t, g, self.create_graph, self.handed)
        if self.capture is None:
            return None
        if self.raw:
            return [_make(g) if g is not None and not isinstance(g, Tensor) else g for g in self.found]
        return self.found


def _check_versions(node: Function, cls: type, inputs: tuple) -> None:
    """Raise if a tensor this node's backward reads was modified in place since it was recorded."""
    if cls._saved_inputs:
        for i, v in zip(cls._saved_inputs, node._versions):
            if v is not None and inputs[i]._vc[0] != v:
                raise RuntimeError(_inplace_msg(node, inputs[i], v))
    if cls._saves_output:
        out = node._out()
        if out is not None and out._vc[0] != node._outv:
            raise RuntimeError(_inplace_msg(node, out, node._outv))


class _Slots(list):
    """A node's pending gradients, one per output (only multi-output custom Functions need one)."""

    __slots__ = ()


def _slots(node: Function, oi: int, g: Any) -> _Slots:
    """The pending-gradient list of a multi-output node, with ``g`` at output ``oi``."""
    slots = _Slots([None] * max(node.__dict__.get("_n_out", 1), oi + 1))
    slots[oi] = g
    return slots


def _queue(pending: dict, node: Function, prev: Any, oi: int, g: Any) -> None:
    """Add ``g`` to the pending gradient of output ``oi`` of ``node`` (``prev``: its current entry or None)."""
    if prev is None:
        pending[node] = g if not oi else _slots(node, oi, g)
    elif prev.__class__ is not _Slots:
        if not oi:
            pending[node] = prev + g
        else:
            slots = pending[node] = _slots(node, oi, g)
            slots[0] = prev
    else:
        prev[oi] = g if prev[oi] is None else prev[oi] + g


def _check_count(node: Function, gin: tuple, inputs: tuple) -> tuple:
    """Allow trailing Nones (for non-tensor arguments); anything else is a bug in the backward."""
    if len(gin) < len(inputs) or any(g is not None for g in gin[len(inputs) :]):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {len(inputs)}, got {len(gin)})"
        )
    return gin[: len(inputs)]


def _accumulate(t: Tensor, g: Tensor, create_graph: bool, handed: set) -> None:
    """Add ``g`` into ``t.grad``; the stored grad never aliases another tensor's memory."""
    if t.grad is None:
        d = g._data
        # CuPy arrays have no 'writeable' flag (they always are)
        if (
            (d.base is not None and (d.base.base is not None or sys.getrefcount(d.base) > 2))
            or not getattr(d.flags, "writeable", True)
            or id(d) in handed
        ):  # a view of memory someone else holds (a view of a private temporary is kept as is)
            g = Tensor._make(d.copy()) if not create_graph else g.clone()
        elif not create_graph and g.grad_fn is not None:
            g = g.detach()
        handed.add(id(g._data))
        t.grad = g
    elif create_graph:
        t.grad = t.grad + g
    else:
        t.grad = Tensor._make(t.grad._data + g._data)
    ex = t._extra
    if ex is not None and "post_accumulate_hooks" in ex:
        for h in list(ex["post_accumulate_hooks"]):
            h(t)


def _unbroadcast(g: Any, inp: Tensor, node: Function, raw: bool) -> Any:
    from .ops.reduce import sum_to, sum_to_raw

    shape = inp._data.shape
    gs = g.shape if raw else g._data.shape
    ok = len(gs) >= len(shape) and all(a == b or b == 1 for a, b in zip(gs[len(gs) - len(shape) :], shape))
    if not ok:
        raise RuntimeError(
            f"function {node.name()} returned a gradient of shape {tuple(gs)} for an input of shape "
            f"{tuple(shape)}"
        )
    return sum_to_raw(g, shape) if raw else sum_to(g, shape)


def _materialize(node: Function, grads: list, raw: bool) -> list:
    """Zeros for outputs that got no gradient (custom Functions, unless they opt out)."""
    if node.__dict__.get("_materialize", True) and any(g is None for g in grads):
        meta = node.__dict__.get("_out_meta") or [None] * len(grads)
        zeros = [None if m is None else m[2].xp.zeros(m[0], dtype=m[1]) for m in meta]
        grads = [(z if raw else _make(z)) if g is None and z is not None else g for g, z in zip(grads, zeros)]
    return grads


def _check_anomaly(node: Function, gin: tuple) -> None:
    if not _grad_state.anomaly_check_nan:
        return
    for i, g in enumerate(gin):
        if g is None:
            continue
        arr = g._data if isinstance(g, Tensor) else g
        if arr.dtype.kind == "f":
            xp = _BY_TYPE[type(arr)].xp
            if not bool(xp.isfinite(arr).all()):
                kind = "nan" if bool(xp.isnan(arr).any()) else "inf"
                trace = node.__dict__.get("_trace")
                where = f"\nThe forward call that created it:\n{trace}" if trace else ""
                raise RuntimeError(
                    f"Function '{node.name()}' returned {kind} values in its {i}th output.{where}"
                )
