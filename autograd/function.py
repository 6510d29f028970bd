"""Function: one class per differentiable op, forward and backward side by side.

Built-in primitives set ``_raw = True``: their ``forward`` runs on backend arrays and their
``backward`` on Tensors (so it is itself differentiable). User subclasses follow PyTorch: both
``forward`` and ``backward`` see Tensors, state goes through ``ctx.save_for_backward``.
"""

from __future__ import annotations

import functools
import traceback
import weakref
from typing import Any

from .grad_mode import anomaly_seen as _anomaly_seen
from .grad_mode import grad_enabled as _grad_enabled
from .grad_mode import no_grad
from .grad_mode import state as _grad_state
from .tensor import _BY_TYPE, Tensor, _coerce, _seq, bump_version

_new = object.__new__
_make = Tensor._make


class Function:
    """A node of the graph: the op applied, its inputs, and what backward needs."""

    # _meta: hooks / retain_grad on this node's outputs (rare); every node in a graph sets it (None) when linked
    __slots__ = ("inputs", "seq", "_meta", "_versions", "_out", "_saved", "__dict__", "__weakref__")
    _outv = 0  # the output's version when saved (in-place ops on the output move it)

    _raw = False  # built-ins: forward on raw arrays
    _saved_inputs: tuple[int, ...] = ()  # built-ins: inputs backward reads (checked for in-place edits)
    _saves_output = False  # built-ins: backward reads the output (ctx.output())
    backward_raw = None  # optional fast path on raw arrays, used when no higher-order graph is needed

    # ---- the op itself (subclasses) -----------------------------------------------------------
    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement forward")  # abstract

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement backward")  # abstract

    # ---- applying it ----------------------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward and, when grad is on and an input requires grad, link the node."""
        if not cls._raw:
            return _apply_user(cls, args, kwargs)
        needs = False
        raw = []
        for a in args:
            if a.__class__ is Tensor or isinstance(a, Tensor):
                raw.append(a._data)
                if a.requires_grad:
                    needs = True
            else:
                raw.append(a)
        ctx = cls()  # built-ins take no constructor arguments
        try:
            data = cls.forward(ctx, *raw, **kwargs) if kwargs else cls.forward(ctx, *raw)
        except (ValueError, TypeError) as e:
            raise _op_error(cls, args, e) from e
        out = _new(Tensor)  # Tensor._make, inlined
        out._data = data if data.__class__ in _BY_TYPE else _coerce(data)
        out.requires_grad = False
        out.grad = None
        out.grad_fn = None
        out._vc = [0]
        out._oi = 0
        out._extra = None
        if needs and _grad_enabled():
            ctx.inputs = args
            ctx.seq = next(_seq)
            ctx._meta = None
            if cls._saved_inputs:
                ctx._versions = [
                    args[i]._vc[0] if isinstance(args[i], Tensor) else None for i in cls._saved_inputs
                ]
            if cls._saves_output:
                ctx._out = weakref.ref(out)
            if _anomaly_seen[0] and _grad_state.anomaly:
                ctx.__dict__["_trace"] = "".join(traceback.format_stack()[:-1])
            out.grad_fn = ctx
            out.requires_grad = True
        return out

    # ---- helpers for forward on raw arrays ----------------------------------------------------
    @staticmethod
    def backend(*arrays: Any) -> Any:
        """The backend owning the first backend array among ``arrays``."""
        for a in arrays:
            b = _BY_TYPE.get(type(a))
            if b is not None:
                return b
        raise TypeError("no backend array among the inputs")

    @staticmethod
    def backend_xp(*arrays: Any) -> Any:
        for a in arrays:
            b = _BY_TYPE.get(type(a))
            if b is not None:
                return b.xp
        raise TypeError("no backend array among the inputs")

    # ---- ctx API (PyTorch's) ------------------------------------------------------------------
    @property
    def needs_input_grad(self) -> tuple[bool, ...]:  # type: ignore[override]
        return tuple(isinstance(a, Tensor) and a.requires_grad for a in self.inputs)

    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors
        self._versions = tuple(t._vc[0] if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is None:
            raise RuntimeError(_SECOND_PASS.format(name=self.name()))
        for t, v in zip(saved, self._versions):
            if isinstance(t, Tensor) and t._vc[0] != v:
                raise RuntimeError(_inplace_msg(self, t, v))
        return saved

    def output(self) -> Tensor:
        """The op's output tensor (built-ins with ``_saves_output``)."""
        out = self._out()
        if out is None:
            raise RuntimeError(f"{self.name()}: the output needed for backward was freed")
        return out

    def mark_dirty(self, *tensors: Tensor) -> None:
        self.__dict__["_dirty"] = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self.__dict__["_non_diff"] = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        self.__dict__["_materialize"] = bool(value)

    # ---- graph introspection ------------------------------------------------------------------
    @classmethod
    def op_name(cls) -> str:
        """The user-facing op name used in error messages ('mul', 'matmul')."""
        return cls.__dict__.get("op", cls.__name__.lower())

    @classmethod
    def name(cls) -> str:
        n = cls.__name__
        return n if n.endswith("Backward") else n + "Backward"

    @property
    def next_functions(self) -> tuple:
        """(node, output index) for each input, like PyTorch's; leaves show as None."""
        if self.inputs is None:
            return ()
        edges = []
        for a in self.inputs:
            fn, oi, _ = history_at(a, self.seq) if isinstance(a, Tensor) else (None, 0, False)
            edges.append((fn, oi) if fn is not None else (None, 0))
        return tuple(edges)

    def _tensor_meta(self, key: str) -> dict:
        if getattr(self, "_meta", None) is None:
            self._meta = {}
        return self._meta.setdefault(key, {})

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad_inputs, grad_outputs)`` after this node's backward."""
        from .tensor import RemovableHandle

        hooks = self._tensor_meta("node_hooks").setdefault("post", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_prehook(self, hook: Any) -> Any:
        """Call ``hook(grad_outputs)`` before this node's backward; a returned tuple replaces them."""
        from .tensor import RemovableHandle

        hooks = self._tensor_meta("node_hooks").setdefault("pre", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"


_SECOND_PASS = (
    "{name}: trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph "
    "a second time or if you need to access saved tensors after calling backward."
)


def _inplace_msg(node: Function, t: Tensor, expected: int) -> str:
    return (
        f"one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{node.name()}] saved tensor of shape {tuple(t.shape)} and dtype {t.dtype} is at version "
        f"{t._vc[0]}; expected version {expected} instead. Hint: enable autograd.set_detect_anomaly(True) "
        f"to find the operation that failed to compute its gradient."
    )


def _op_error(cls: type, args: tuple, e: Exception) -> Exception:
    """Re-word a backend error so it names the op and its inputs."""
    if str(e).startswith(cls.op_name() + ":"):
        return e
    desc = ", ".join(
        f"{tuple(a.shape)} {a.dtype.name} on {a.device}" if isinstance(a, Tensor) else repr(a)[:40]
        for a in args
    )
    kind = TypeError if type(e) is TypeError else RuntimeError  # shape errors are RuntimeErrors in PyTorch
    return kind(f"{cls.op_name()}: {e} (inputs: {desc})")


def _apply_user(cls: type, args: tuple, kwargs: dict) -> Any:
    """PyTorch-style custom Function: forward sees Tensors, runs without recording."""
    ctx = _new(cls)
    ctx._saved = ()
    ctx.inputs = args  # forward may read ctx.needs_input_grad
    needs = _grad_state.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)
    with no_grad():
        outs = cls.forward(ctx, *args, **kwargs)
    single = not isinstance(outs, tuple)
    outs_t = (outs,) if single else outs
    if not needs:
        return outs
    ctx.inputs = args
    ctx.seq = next(_seq)
    ctx._meta = None
    if _grad_state.anomaly:
        ctx.__dict__["_trace"] = "".join(traceback.format_stack()[:-1])
    dirty = ctx.__dict__.get("_dirty", ())
    non_diff = ctx.__dict__.get("_non_diff", ())
    inputs = list(args)
    result = []
    for i, o in enumerate(outs_t):
        if not isinstance(o, Tensor):
            result.append(o)
            continue
        if any(o is d for d in dirty):
            # in place: the node's input becomes a shell holding the old history
            from .ops.inplace import check_inplace, record_history

            check_inplace(o, cls.__name__)
            for j, a in enumerate(args):
                if a is o:
                    inputs[j] = _shell(o)
            record_history(o, ctx.seq)
            bump_version(o)
        elif any(o is a for a in args):
            o = o.detach()  # returning an input unchanged gives a new tensor on the graph
        if id(o) in non_diff or o._data.dtype.kind != "f":
            result.append(o)
            continue
        o.grad_fn = ctx
        o._oi = i
        o.requires_grad = True
        result.append(o)
        if dirty and any(o is d for d in dirty) and o._extra:  # a view, or a tensor with views
            from .ops.inplace import rebase_aliases

            rebase_aliases(o, _shell(o))
    ctx.inputs = tuple(inputs)
    ctx.__dict__["_n_out"] = len(outs_t)
    ctx.__dict__["_out_meta"] = [
        (o.shape, o._data.dtype, o.backend) if isinstance(o, Tensor) else None for o in outs_t
    ]
    return result[0] if single else tuple(result)


def history_at(x: Tensor, seq: int) -> tuple:
    """(grad_fn, output index, requires_grad) of ``x`` as seen by a node recorded at ``seq``: the history it
    had then, if in-place writes changed it since (see ops/inplace.py record_history)."""
    ex = x._extra
    if ex and "history" in ex:
        for boundary, fn, oi, rg in ex["history"]:
            if seq < boundary:
                return fn, oi, rg
    return x.grad_fn, x._oi, x.requires_grad


def _shell(t: Tensor) -> Tensor:
    """A tensor standing for ``t``'s value and history before an in-place change."""
    s = _make(t._data)
    s.grad_fn = t.grad_fn
    s._oi = t._oi
    s.requires_grad = t.requires_grad
    s._vc = t._vc
    return s


def once_differentiable(fn: Any) -> Any:
    """Mark a backward as not differentiable: asking for its gradient raises a clear error."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        with no_grad():
            res = fn(ctx, *grads)
        if not _grad_state.enabled:
            return res
        needs = any(isinstance(g, Tensor) and g.requires_grad for g in grads) or any(
            isinstance(a, Tensor) and a.requires_grad for a in (ctx.inputs or ())
        )
        if not needs:
            return res
        name = ctx.name()
        anchors = tuple(a for a in (*grads, *(ctx.inputs or ())) if isinstance(a, Tensor) and a.requires_grad)
        wrap = lambda r: _delayed_error(r, name, anchors) if isinstance(r, Tensor) else r  # noqa: E731
        return tuple(wrap(r) for r in res) if isinstance(res, tuple) else wrap(res)

    return wrapper


class _DelayedError(Function):
    """Stands where a once-differentiable backward's result would need its own gradient."""

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise RuntimeError(
            f"{ctx.op}: trying to differentiate twice a function that was marked with @once_differentiable"
        )


def _delayed_error(r: Tensor, name: str, anchors: tuple) -> Tensor:
    node = _new(_DelayedError)
    node.inputs, node.seq, node.op, node._meta = anchors, next(_seq), name, None
    out = _make(r._data)
    out.grad_fn, out.requires_grad = node, True
    return out
