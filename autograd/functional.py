"""Higher-level derivatives of a function (``torch.autograd.functional``): vjp, jvp, jacobian, hessian, vhp, hvp.

``func`` takes the tensor(s) in ``inputs`` and returns a tensor or a tuple of tensors. The inputs are used
through fresh leaves (detached copies that require grad, or views keeping the graph with
``create_graph=True``), so the caller's tensors get no ``.grad``. Results are detached unless
``create_graph=True``. An output that does not depend on an input gives zeros (or an error with
``strict=True``). Everything is built from ``autograd.grad`` and the engine's double backward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .creation import ones_like, zeros_like
from .engine import grad
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _as_tuple(x: Any, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            where = f"entry {i} of the {what}" if is_tuple else f"the {what}"
            raise TypeError(f"{fn}: {where} must be a Tensor, got {type(t).__name__}")
    return is_tuple, items


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Leaves standing for the inputs (views that keep the caller's graph when create_graph is on)."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(t.is_floating_point()))
    return tuple(out)


def _call(func: Callable, inputs: tuple, fn: str) -> tuple[bool, tuple]:
    with enable_grad():
        res = func(*inputs)
    return _as_tuple(res, "output of the user-provided function", fn)


def _fill(grads: tuple, like: tuple, strict: bool, fn: str, what: str) -> tuple:
    """Zeros for the inputs the outputs do not depend on (an error with ``strict``)."""
    out = []
    for i, (g, t) in enumerate(zip(grads, like)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"{fn}: the output of the user-provided function is independent of input {i}; this is not "
                    f"allowed in strict mode ({what})"
                )
            g = zeros_like(t)
        out.append(g)
    return tuple(out)


def _finish(xs: tuple, create_graph: bool) -> tuple:
    return tuple(x if create_graph else x.detach() for x in xs)


def _check_v(v: Any, like: tuple, fn: str, what: str) -> tuple:
    _, vs = _as_tuple(v, what, fn)
    if len(vs) != len(like):
        raise RuntimeError(f"{fn}: {what} has {len(vs)} tensor(s) but {len(like)} are expected")
    for i, (a, b) in enumerate(zip(vs, like)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(
                f"{fn}: entry {i} of {what} has shape {tuple(a.shape)}, expected {tuple(b.shape)} (the shape of "
                f"the matching {'output' if 'output' in what or fn in ('vjp',) else 'input'})"
            )
    return vs


def _single_element(outputs: tuple, fn: str) -> None:
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(
            f"{fn}: the function given to {fn} must return a single-element Tensor when v is not given, got "
            + ", ".join(str(tuple(o.shape)) for o in outputs)
        )


def _back(is_tuple: bool, xs: tuple) -> Any:
    return xs if is_tuple else xs[0]


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), v^T J): the vector-Jacobian product, by one backward pass."""
    fn = "vjp"
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    xs = _prepare(inputs, create_graph)
    out_tuple, outputs = _call(func, xs, fn)
    if v is None:
        _single_element(outputs, fn)
        vs = (ones_like(outputs[0]),)
    else:
        vs = _check_v(v, outputs, fn, "v (one per output)")
    gs = grad(outputs, xs, vs, create_graph=create_graph, allow_unused=True)
    gs = _fill(gs, xs, strict, fn, "vjp")
    return _back(out_tuple, _finish(outputs, create_graph)), _back(in_tuple, _finish(gs, create_graph))


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), J v): the Jacobian-vector product, by the double-backward trick (the vjp is linear in
    its vector u, so differentiating u -> u^T J against v gives J v)."""
    fn = "jvp"
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(f"{fn}: v can only be omitted when the input is a single-element Tensor")
        vs = (ones_like(inputs[0]),)
    else:
        vs = _check_v(v, inputs, fn, "v (one per input)")
    xs = _prepare(inputs, True)
    out_tuple, outputs = _call(func, xs, fn)
    us = tuple(zeros_like(o).requires_grad_(o.is_floating_point()) for o in outputs)
    gs = grad(outputs, xs, us, create_graph=True, allow_unused=True)
    pairs = [(g, w) for g, w in zip(gs, vs) if g is not None]
    if not pairs:
        jv = (None,) * len(outputs)
    else:
        dot = sum((g * w).sum() for g, w in pairs)
        jv = grad(dot, us, create_graph=create_graph, allow_unused=True)
    jv = _fill(jv, outputs, strict, fn, "jvp")
    return _back(out_tuple, _finish(outputs, create_graph)), _back(out_tuple, _finish(jv, create_graph))


def _rows(out: Tensor, xs: tuple, create_graph: bool, strict: bool, fn: str) -> tuple:
    """d out / d x for each x, one backward pass per element of ``out``: tensors of out.shape + x.shape."""
    flat = out.reshape(-1)
    cols = [[] for _ in xs]
    for i in range(flat.shape[0]):
        gs = grad(flat[i], xs, retain_graph=True, create_graph=create_graph, allow_unused=True)
        for k, g in enumerate(_fill(gs, xs, strict, fn, f"output element {i}")):
            cols[k].append(g)
    from .ops.shape import stack

    return tuple(
        (stack(c) if c else zeros_like(x).reshape(0, *x.shape)).reshape(*out.shape, *x.shape)
        for c, x in zip(cols, xs)
    )


def _columns(outputs: tuple, xs: tuple, create_graph: bool) -> tuple:
    """d out / d x for every output and input, one Jacobian-vector product per element of the inputs: the
    vjp ``u -> u^T J`` is built once with its vectors ``us`` as leaves; differentiating its entry for input
    element k against ``us`` gives column k of J. Returns blocks[i][j] of shape out_i.shape + x_j.shape."""
    from .ops.shape import stack

    us = tuple(zeros_like(o).requires_grad_(o.is_floating_point()) for o in outputs)
    gs = grad(outputs, xs, us, create_graph=True, allow_unused=True)
    blocks: list[list] = [[] for _ in outputs]
    for x, g in zip(xs, gs):
        n = x.numel()
        cols: list[list] = [[] for _ in outputs]
        flat = g.reshape(-1) if g is not None else None
        for k in range(n):
            jv = (
                (None,) * len(us)
                if flat is None
                else grad(flat[k], us, retain_graph=True, create_graph=create_graph, allow_unused=True)
            )
            for i, (c, u) in enumerate(zip(jv, us)):
                cols[i].append(zeros_like(u) if c is None else c)
        for i, o in enumerate(outputs):
            block = stack(cols[i], -1) if n else zeros_like(o).unsqueeze(-1)[..., :0]
            blocks[i].append(block.reshape(*o.shape, *x.shape))
    return tuple(tuple(b) for b in blocks)


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of ``func`` at ``inputs``: for output i and input j a tensor of shape
    ``outputs[i].shape + inputs[j].shape`` (nested like the outputs and inputs). Reverse mode takes one
    backward pass per output element (``vectorize`` is accepted and gives the same rows one by one); forward
    mode, as in PyTorch only with ``vectorize=True`` and without ``strict``, one Jacobian-vector product per
    input element (the double-backward trick of ``jvp``): the cheaper one when inputs are fewer than outputs."""
    fn = "jacobian"
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(
            f'{fn}: expected strategy to be either "forward-mode" or "reverse-mode", got {strategy!r}'
        )
    if strategy == "forward-mode":
        if strict:
            raise RuntimeError(
                f'{fn}: `strict=True` and `strategy="forward-mode"` are not supported together (yet). Please '
                'either set `strict=False` or `strategy="reverse-mode"`.'
            )
        if not vectorize:
            raise NotImplementedError(
                f"{fn}: computing the Jacobian with strategy='forward-mode' is only implemented for "
                "`vectorize=True` (as in PyTorch)"
            )
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    xs = _prepare(inputs, True if strategy == "forward-mode" else create_graph)
    out_tuple, outputs = _call(func, xs, fn)
    if strategy == "forward-mode":
        blocks = tuple(_finish(b, create_graph) for b in _columns(outputs, xs, create_graph))
    else:
        blocks = tuple(_finish(_rows(o, xs, create_graph, strict, fn), create_graph) for o in outputs)
    if not out_tuple:
        return _back(in_tuple, blocks[0])
    return tuple(_back(in_tuple, b) for b in blocks)


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a function returning a single-element tensor: for inputs i, j a tensor of shape
    ``inputs[i].shape + inputs[j].shape`` (nested for tuple inputs)."""
    fn = "hessian"
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn)

    def gradient(*xs: Tensor) -> tuple:
        _, outputs = _call(func, xs, fn)
        _single_element(outputs, fn)
        gs = grad(outputs[0].reshape(()), xs, create_graph=True, allow_unused=True)
        return _fill(gs, xs, strict, fn, "hessian")

    res = jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return res if in_tuple else res[0][0]


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), v^T H) for a function returning a single-element tensor."""
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple:
    """(func(inputs), H v) for a function returning a single-element tensor (H is symmetric: the same as vhp
    for twice-differentiable functions)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(fn: str, func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool) -> tuple:
    in_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(f"{fn}: v can only be omitted when the input is a single-element Tensor")
        vs = (ones_like(inputs[0]),)
    else:
        vs = _check_v(v, inputs, fn, "v (one per input)")
    xs = _prepare(inputs, create_graph)
    _, outputs = _call(func, xs, fn)
    _single_element(outputs, fn)
    gs = grad(outputs[0].reshape(()), xs, create_graph=True, allow_unused=True)
    pairs = [(g, w) for g, w in zip(gs, vs) if g is not None]
    if pairs:
        hv = grad(sum((g * w).sum() for g, w in pairs), xs, create_graph=create_graph, allow_unused=True)
    else:
        hv = (None,) * len(xs)
    hv = _fill(hv, xs, strict, fn, fn)
    return _finish(outputs, create_graph)[0], _back(in_tuple, _finish(hv, create_graph))
