"""Shape primitives (reshape, permute, expand, flip, roll, cat, pad, tile) and ops composed from them."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _wrap_dim
from .base import Primitive, check_same_device, register_view


class Reshape(Primitive):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None

    @staticmethod
    def backward_raw(ctx, g):
        return g.reshape(ctx.in_shape), None


class Permute(Primitive):
    @staticmethod
    def forward(ctx, a, axes):
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        axes = ctx.inputs[1]
        inv = [0] * len(axes)
        for i, p in enumerate(axes):
            inv[p] = i
        return Permute.apply(g, tuple(inv)), None

    @staticmethod
    def backward_raw(ctx, g):
        return g.transpose(_inverse(ctx.inputs[1])), None


def _inverse(axes: tuple) -> tuple:
    inv = [0] * len(axes)
    for i, p in enumerate(axes):
        inv[p] = i
    return tuple(inv)


class Expand(Primitive):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return ctx.backend_xp(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        from .reduce import sum_to

        return sum_to(g, ctx.in_shape), None

    @staticmethod
    def backward_raw(ctx, g):
        from .reduce import sum_to_raw

        return sum_to_raw(g, ctx.in_shape), None


class Flip(Primitive):
    @staticmethod
    def forward(ctx, a, axes):
        return ctx.backend_xp(a).flip(a, axes).copy()  # a copy, as in PyTorch (NumPy gives a view)

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, ctx.inputs[1]), None


class Roll(Primitive):
    @staticmethod
    def forward(ctx, a, shifts, axes):
        return ctx.backend_xp(a).roll(a, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        _, shifts, axes = ctx.inputs
        neg = tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts
        return Roll.apply(g, neg, axes), None, None


class Cat(Primitive):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.sizes = [a.shape[axis] for a in arrays]
        return ctx.backend_xp(*arrays).concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        axis = ctx.inputs[0]
        out, start = [None], 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            out.append(g.narrow(axis, start, size) if need else None)
            start += size
        return tuple(out)


class Pad(Primitive):
    """Constant padding; ``widths`` is NumPy's ((before, after), ...) per axis (negative crops)."""

    @staticmethod
    def forward(ctx, a, widths, value):
        xp = ctx.backend_xp(a)
        crop = tuple(slice(max(-b, 0), a.shape[i] - max(-e, 0)) for i, (b, e) in enumerate(widths))
        a = a[crop]
        return xp.pad(a, [(max(b, 0), max(e, 0)) for b, e in widths], mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        widths = ctx.inputs[1]
        return Pad.apply(g, tuple((-b, -e) for b, e in widths), 0.0), None, None


class Tile(Primitive):
    @staticmethod
    def forward(ctx, a, reps):
        ctx.in_shape = a.shape
        return ctx.backend_xp(a).tile(a, reps)

    @staticmethod
    def backward(ctx, g):
        reps = ctx.inputs[1]
        shape = ctx.in_shape
        # split each axis into (rep, size) and sum the reps away
        inter = []
        for r, s in zip(reps, shape):
            inter += [r, s]
        return g.reshape(tuple(inter)).sum(dim=tuple(range(0, 2 * len(shape), 2))), None


# ---- functions ----------------------------------------------------------------------------------


def _shape_arg(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(x: Tensor, *shape: Any) -> Tensor:
    shape = _shape_arg(shape)
    if shape == x._data.shape:
        return x
    n = x._data.size
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if shape.count(-1) > 1 or (-1 not in shape and known != n) or (-1 in shape and (known == 0 or n % known)):
        raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size {n}")
    return _view_of(Reshape.apply(x, shape), x)


def _view_of(out: Tensor, x: Tensor) -> Tensor:
    """A result sharing ``x``'s memory is a view of it: in-place edits through either are seen by both."""
    if out._data.base is not None and _shares(out._data, x._data):
        register_view(out, x)
    return out


def view(x: Tensor, *shape: Any) -> Tensor:
    if len(shape) == 1 and not isinstance(shape[0], int | tuple | list):
        return x.to(shape[0])  # view(dtype) is a reinterpretation in PyTorch; a cast is the safe analogue
    out = reshape(x, *shape)
    if out is not x and not _shares(out._data, x._data):
        raise RuntimeError(
            f"view: view size {list(_shape_arg(shape))} is not compatible with input tensor's size and stride "
            "(at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return register_view(out, x)


def _shares(a: Any, b: Any) -> bool:
    base_a = a if a.base is None else a.base
    base_b = b if b.base is None else b.base
    return base_a is base_b


def permute(x: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute: number of dims don't match: input has {x.ndim} dims, got {len(dims)} ({list(dims)})"
        )
    axes = tuple(_wrap_dim(d, x.ndim, "permute") for d in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"permute: repeated dim in {list(dims)}")
    if axes == tuple(range(x.ndim)):
        return x
    return _view_of(Permute.apply(x, axes), x)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    if x.ndim < 2 and x.ndim == 0:
        return x
    a, b = _wrap_dim(dim0, x.ndim, "transpose"), _wrap_dim(dim1, x.ndim, "transpose")
    if a == b:
        return x
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return _view_of(Permute.apply(x, tuple(axes)), x)


def t(x: Tensor) -> Tensor:
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else x


def mT(x: Tensor) -> Tensor:  # noqa: N802
    if x.ndim < 2:
        raise RuntimeError(
            f"mT: tensor.mT is only supported on matrices or batches of matrices. Got {x.ndim}-D tensor."
        )
    return transpose(x, -2, -1)


def T(x: Tensor) -> Tensor:  # noqa: N802
    return x if x.ndim < 2 else _view_of(Permute.apply(x, tuple(reversed(range(x.ndim)))), x)


def expand(x: Tensor, *shape: Any) -> Tensor:
    shape = _shape_arg(shape)
    if len(shape) < x.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(shape)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({x.ndim})"
        )
    lead = len(shape) - x.ndim
    out = []
    for i, s in enumerate(shape):
        cur = x.shape[i - lead] if i >= lead else 1
        if s == -1:
            if i < lead:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            s = cur
        elif cur != 1 and cur != s:
            raise RuntimeError(
                f"expand: the expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                f"non-singleton dimension {i}. Target sizes: {list(shape)}. Tensor sizes: {list(x.shape)}"
            )
        out.append(s)
    out = tuple(out)
    if out == x.shape:
        return x
    return _view_of(Expand.apply(x, out), x)


def broadcast_to(x: Tensor, shape: tuple) -> Tensor:
    return expand(x, tuple(shape))


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, other.shape)


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = {_wrap_dim(d, x.ndim, "squeeze") for d in dims}
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in axes and s == 1))
    return reshape(x, shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    n = x.ndim + 1
    if not -n <= dim < n:
        raise IndexError(
            f"unsqueeze: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    d = dim % n
    shape = x.shape[:d] + (1,) + x.shape[d:]
    return _view_of(Reshape.apply(x, shape), x)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, (1,))
    s = _wrap_dim(start_dim, x.ndim, "flatten")
    e = _wrap_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten: start_dim cannot come after end_dim")
    n = 1
    for v in x.shape[s : e + 1]:
        n *= v
    return reshape(x, x.shape[:s] + (n,) + x.shape[e + 1 :])


def unflatten(x: Tensor, dim: int, sizes: Any) -> Tensor:
    d = _wrap_dim(dim, x.ndim, "unflatten")
    sizes = tuple(sizes)
    if -1 in sizes:
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        sizes = tuple(x.shape[d] // known if s == -1 else s for s in sizes)
    n = 1
    for s in sizes:
        n *= s
    if n != x.shape[d]:
        raise RuntimeError(
            f"unflatten: provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({x.shape[d]}) "
            "in the input tensor"
        )
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1 :])


def flip(x: Tensor, *dims: Any) -> Tensor:
    """``x.flip(0, 2)`` or ``x.flip((0, 2))``: a copy with those dims reversed."""
    dims = tuple(dims[0]) if len(dims) == 1 and not isinstance(dims[0], int) else dims
    axes = tuple(_wrap_dim(d, x.ndim, "flip") for d in dims)
    return Flip.apply(x, axes) if axes else x


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    if dims is None:
        return Roll.apply(x.reshape(-1), shifts, None).reshape(x.shape)
    if isinstance(shifts, int):
        shifts = (shifts,)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dims must align: shifts: {len(shifts)}, dims: {len(dims)}")
    axes = tuple(_wrap_dim(d, x.ndim, "roll") for d in dims)
    return Roll.apply(x, tuple(shifts), axes)


def cat(tensors: Any, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"cat: expected a sequence of Tensors, but element {i} is {type(t).__name__}")
    check_same_device("cat", *tensors)
    ref = next((t for t in tensors if t.ndim > 0), tensors[0])
    if ref.ndim == 0:
        raise RuntimeError("cat: zero-dimensional tensor cannot be concatenated")
    axis = _wrap_dim(dim, ref.ndim, "cat")
    # PyTorch skips legacy empty 1-d tensors (shape (0,)) when concatenating
    tensors = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    for i, t in enumerate(tensors):
        if t.ndim != ref.ndim or any(a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape)) if j != axis):
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {axis}; expected {tuple(ref.shape)} "
                f"(any size along dim {axis}) but got {tuple(t.shape)} for tensor number {i} in the list"
            )
    dt = tensors[0]._data.dtype
    if any(t._data.dtype != dt for t in tensors):
        from ..creation import result_type

        dt = result_type(*tensors)
        tensors = [t.to(dt) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return Cat.apply(axis, *tensors)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of Tensors")
    check_same_device("stack", *tensors)
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(
                f"stack: expects each tensor to be equal size, but got {tuple(shape)} at entry 0 and "
                f"{tuple(t.shape)} at entry {i}"
            )
    n = len(shape) + 1
    if not -n <= dim < n:
        raise IndexError(
            f"stack: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    d = dim % n
    return cat([unsqueeze(t, d) for t in tensors], d)


def hstack(tensors: Any) -> Tensor:
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    d = _wrap_dim(dim, x.ndim, "narrow")
    size = x.shape[d]
    if start < 0:
        start += size
    if not (0 <= start <= size and 0 <= length and start + length <= size):
        raise IndexError(
            f"narrow: start ({start}) + length ({length}) exceeds dimension size ({size}) of dim {d}"
        )
    idx = (slice(None),) * d + (slice(start, start + length),)
    return x[idx]


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    d = _wrap_dim(dim, x.ndim, "split")
    size = x.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, size - s) for s in range(0, size, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != size:
            raise RuntimeError(
                f"split: split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                f"dimension {d}), but got split_sizes={sizes}"
            )
    out, start = [], 0
    for s in sizes:
        out.append(narrow(x, d, start, s))
        start += s
    return tuple(out)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, x.ndim, "chunk")
    size = x.shape[d]
    step = max(-(-size // chunks), 1)
    return split(x, step, d)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    d = _wrap_dim(dim, x.ndim, "unbind")
    idx = (slice(None),) * d
    return tuple(x[idx + (i,)] for i in range(x.shape[d]))


def pad(x: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """PyTorch's ``F.pad``: ``pad`` lists (left, right) pairs from the last dim backwards."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise RuntimeError(
            f"pad: padding length must be divisible by 2 and at most twice the number of dims ({x.ndim}); "
            f"got {len(pad)}"
        )
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if mode == "constant":
        return Pad.apply(x, tuple(widths), 0.0 if value is None else value)
    if mode in ("reflect", "replicate", "circular"):
        from .index import gather_pad

        return gather_pad(x, widths, mode)
    raise ValueError(f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', 'replicate' or 'circular'")


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(
            "repeat: number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
        )
    x = reshape(x, (1,) * (len(sizes) - x.ndim) + x.shape)
    return Tile.apply(x, sizes)


def tile(x: Tensor, dims: Any) -> Tensor:
    dims = tuple(dims)
    if len(dims) < x.ndim:
        dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, dims)


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    src = [_wrap_dim(s, x.ndim, "movedim") for s in src]
    dst = [_wrap_dim(d, x.ndim, "movedim") for d in dst]
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, order)
