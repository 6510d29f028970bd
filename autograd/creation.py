"""Creation ops (tensor, zeros, arange, rand...) with PyTorch's defaults: float32 from floats, int64 from ints."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

import backends

from . import dtypes
from .generator import use_generator
from .tensor import Tensor

_py_float, _py_int, _py_bool = builtins.float, builtins.int, builtins.bool


def _infer_np_dtype(data: Any) -> Any:
    """PyTorch's inference: bools -> bool, ints -> int64, floats -> float32 (default dtype)."""
    kinds = set()

    def walk(d: Any) -> None:
        if isinstance(d, list | tuple):
            for e in d:
                walk(e)
        elif isinstance(d, Tensor):
            kinds.add(d._data.dtype)
        elif isinstance(d, _py_bool | np.bool_):
            kinds.add("b")
        elif isinstance(d, _py_int | np.integer):
            kinds.add("i")
        elif isinstance(d, _py_float | np.floating):
            kinds.add("f")
        elif isinstance(d, complex):
            raise TypeError("tensor: complex numbers are not supported")
        else:
            raise TypeError(f"tensor: could not infer dtype of {type(d).__name__}")

    walk(data)
    np_dtypes = [k for k in kinds if isinstance(k, np.dtype)]
    if np_dtypes:
        return np.result_type(*np_dtypes, *(dtypes.default_float for k in kinds if k == "f"))
    if "f" in kinds:
        return dtypes.default_float
    if "i" in kinds:
        return np.dtype(np.int64)
    if "b" in kinds:
        return np.dtype(np.bool_)
    return dtypes.default_float  # empty list


def _host_array(data: Any, dtype: Any) -> np.ndarray:
    """A host NumPy array from Python data, a NumPy array or nested lists of scalars/tensors."""
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, Tensor):
        arr = data.backend.to_host(data._data)
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        target = dtype if dtype is not None else _infer_np_dtype(data)

        def conv(d: Any) -> Any:
            if isinstance(d, list | tuple):
                return [conv(e) for e in d]
            if isinstance(d, Tensor):
                return d.backend.to_host(d._data).tolist()
            return d

        try:
            arr = np.array(conv(data), dtype=target)
        except ValueError as e:
            raise ValueError(f"tensor: could not build a tensor from the data ({e})") from None
        return arr
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype not in dtypes._FROM_NP:
        raise TypeError(f"tensor: unsupported dtype {arr.dtype} (supported: {', '.join(dtypes._NAMES)})")
    return arr


def _to_array(data: Any, dtype: Any = None, device: Any = None, copy: bool = True) -> Any:
    npd = None if dtype is None else dtypes.to_np(dtype)
    dev = backends.as_device(device) if device is not None else None
    if isinstance(data, Tensor) and (dev is None or data.device == dev):
        arr = data._data
        arr = arr.astype(npd) if npd is not None and arr.dtype != npd else (arr.copy() if copy else arr)
        return arr
    if not isinstance(data, Tensor) and type(data) in backends._BY_TYPE and type(data) is not np.ndarray:
        b = backends._BY_TYPE[type(data)]  # a device array (CuPy) stays on its device
        if dev is None or b.device_of(data) == dev:
            arr = data if npd is None else data.astype(npd)
            return arr.copy() if copy and arr is data else arr
    host = _host_array(data, npd)
    if dev is None or dev.type == "cpu":
        return np.array(host, copy=True) if copy or host is data else host
    # not ascontiguousarray: it turns a 0-d array into shape (1,)
    return backends.get(dev).from_host(np.asarray(host, order="C"), dev)


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``."""
    t = Tensor._make(_to_array(data, dtype, device))
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a tensor/array when dtype and device already match."""
    if isinstance(data, Tensor):
        if (dtype is None or data.dtype == dtypes.from_np(dtypes.to_np(dtype))) and (
            device is None or data.device == backends.as_device(device)
        ):
            return data
        return data.to(device=device, dtype=dtype)
    return Tensor._make(_to_array(data, dtype, device, copy=False))


def from_numpy(arr: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with ``arr``."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(arr).__name__})")
    dtypes.from_np(arr.dtype)
    return Tensor._make(arr)


def _size(size: tuple, op: str = "size") -> tuple:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, _py_int | np.integer) or s < 0:
            raise RuntimeError(f"{op}: expected a size given as non-negative ints, got {tuple(size)}")
    return tuple(_py_int(s) for s in size)


def _finish(arr: Any, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _fill(size: tuple, value: Any, dtype: Any, device: Any, requires_grad: bool, op: str = "full") -> Tensor:
    b = backends.get(device)
    npd = dtypes.default_float if dtype is None else dtypes.to_np(dtype)
    with b.using(backends.as_device(device)):
        return _finish(b.xp.full(_size(size, op), value, dtype=npd), requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _fill(size, 0, dtype, device, requires_grad, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _fill(size, 1, dtype, device, requires_grad, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _fill(size, 0, dtype, device, requires_grad, "empty")


def full(
    size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    if dtype is None:
        dtype = _infer_np_dtype(fill_value)
    return _fill(
        (size,) if isinstance(size, _py_int) else tuple(size), fill_value, dtype, device, requires_grad
    )


def _like(x: Tensor, dtype: Any, device: Any) -> tuple:
    return (x.dtype if dtype is None else dtype), (x.device if device is None else device)


def zeros_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    d, dev = _like(x, dtype, device)
    return zeros(x.shape, dtype=d, device=dev, requires_grad=requires_grad)


def ones_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    d, dev = _like(x, dtype, device)
    return ones(x.shape, dtype=d, device=dev, requires_grad=requires_grad)


def empty_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros_like(x, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(
    x: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    d, dev = _like(x, dtype, device)
    return full(x.shape, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        dtype = _infer_np_dtype([start, end, step])
    b = backends.get(device)
    npd = dtypes.to_np(dtype)
    with b.using(backends.as_device(device)):
        return _finish(b.xp.arange(start, end, step).astype(npd), requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    b = backends.get(device)
    npd = dtypes.default_float if dtype is None else dtypes.to_np(dtype)
    with b.using(backends.as_device(device)):
        return _finish(b.xp.linspace(start, end, steps).astype(npd), requires_grad)


def logspace(
    start: float,
    end: float,
    steps: int,
    base: float = 10.0,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    t = linspace(start, end, steps, dtype=float64_ if dtype is None else dtype, device=device)
    return _finish(
        (base**t._data).astype(dtypes.default_float if dtype is None else dtypes.to_np(dtype)), requires_grad
    )


float64_ = dtypes.float64


def eye(
    n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    b = backends.get(device)
    npd = dtypes.default_float if dtype is None else dtypes.to_np(dtype)
    with b.using(backends.as_device(device)):
        return _finish(b.xp.eye(n, m, dtype=npd), requires_grad)


# ---- random --------------------------------------------------------------------------------------


def manual_seed(seed: int) -> None:
    """Seed the CPU generator and, where CUDA is loaded, every CUDA device's generator."""
    backends.cpu.manual_seed(_py_int(seed))
    import sys

    cuda_mod = sys.modules.get("backends.cuda")
    if cuda_mod is not None and hasattr(cuda_mod, "manual_seed_all"):
        cuda_mod.manual_seed_all(_py_int(seed))


def seed() -> int:
    """Seed every generator with a fresh non-deterministic 64-bit number and return it (``torch.seed``)."""
    s = _py_int(np.random.SeedSequence().entropy) % (1 << 63)
    manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the CPU generator was last seeded with (by ``manual_seed``/``seed``, or at start-up)."""
    return _py_int(backends.cpu.generator().bit_generator.seed_seq.entropy)


def get_rng_state() -> Tensor:
    """The CPU generator's state as a uint8 tensor (pass it to ``set_rng_state`` to replay the same draws)."""
    import json

    state = backends.cpu.generator().bit_generator.state
    return tensor(list(json.dumps(state).encode()), dtype=dtypes.uint8)


def set_rng_state(new_state: Tensor) -> None:
    """Restore the CPU generator to a state from ``get_rng_state``."""
    import json

    if not isinstance(new_state, Tensor) or new_state.dtype != dtypes.uint8 or new_state.ndim != 1:
        raise TypeError(
            "set_rng_state: expected the 1-D uint8 tensor that get_rng_state returned, got "
            f"{getattr(new_state, 'dtype', type(new_state).__name__)}"
        )
    try:
        state = json.loads(bytes(new_state.tolist()).decode())
        gen = np.random.default_rng()
        gen.bit_generator.state = state
    except (ValueError, TypeError, KeyError) as e:
        raise RuntimeError(f"set_rng_state: not a state from get_rng_state ({e})") from None
    backends.cpu.generator().bit_generator.state = gen.bit_generator.state  # (checked on a scratch one first)


def _rand_dtype(dtype: Any) -> np.dtype:
    npd = dtypes.default_float if dtype is None else dtypes.to_np(dtype)
    if npd.kind != "f":
        raise RuntimeError(f"random: expected a floating point dtype, got {npd}")
    return npd


def rand(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, generator: Any = None
) -> Tensor:
    b, dev = backends.get(device), backends.as_device(device)
    with use_generator(generator, dev, "rand"):
        return _finish(b.uniform(_size(size, "rand"), _rand_dtype(dtype), device=dev), requires_grad)


def randn(
    *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, generator: Any = None
) -> Tensor:
    b, dev = backends.get(device), backends.as_device(device)
    with use_generator(generator, dev, "randn"):
        return _finish(b.normal(_size(size, "randn"), _rand_dtype(dtype), device=dev), requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    if size is None:  # randint(high, size)
        if high is None:
            raise TypeError("randint: missing the size argument")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(
            f"randint: random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    npd = np.dtype(np.int64) if dtype is None else dtypes.to_np(dtype)
    b, dev = backends.get(device), backends.as_device(device)
    shape = _size((size,) if isinstance(size, _py_int) else tuple(size), "randint")
    with use_generator(generator, dev, "randint"):
        return _finish(b.randint(low, high, shape, npd, device=dev), requires_grad)


def randperm(
    n: int, *, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    b, dev = backends.get(device), backends.as_device(device)
    npd = np.dtype(np.int64) if dtype is None else dtypes.to_np(dtype)
    with use_generator(generator, dev, "randperm"):
        return _finish(b.permutation(n, device=dev).astype(npd), requires_grad)


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    generator: Any = None,
) -> Tensor:
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        z = randn(ref.shape, dtype=ref.dtype, device=ref.device, generator=generator)
        return (z * std + mean).detach()
    if size is None:
        raise TypeError("normal: with float mean and std a size is required")
    b, dev = backends.get(device), backends.as_device(device)
    size = (size,) if isinstance(size, _py_int) else tuple(size)
    with use_generator(generator, dev, "normal"):
        return _finish(
            b.normal(_size(size, "normal"), _rand_dtype(dtype), mean, std, device=dev), requires_grad
        )


def rand_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    d, dev = _like(x, dtype, device)
    return rand(x.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(x: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    d, dev = _like(x, dtype, device)
    return randn(x.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(
    x: Tensor, low: int, high: int | None = None, *, dtype: Any = None, device: Any = None
) -> Tensor:
    d, dev = _like(x, dtype, device)
    return randint(low, high, x.shape, dtype=d, device=dev)


def result_type(*xs: Any) -> dtypes.dtype:
    """PyTorch's promotion: the highest category (bool < int < float) decides, and within it dimensioned
    tensors outrank 0-d tensors, which outrank Python scalars (``int64 + float32 -> float32``)."""
    tiers: list[list[np.dtype]] = [[], [], []]  # dimensioned tensors, 0-d tensors, scalars
    for x in xs:
        if isinstance(x, Tensor):
            tiers[0 if x._data.ndim else 1].append(x._data.dtype)
        elif isinstance(x, _py_bool):
            tiers[2].append(np.dtype(np.bool_))
        elif isinstance(x, _py_int):
            tiers[2].append(np.dtype(np.int64))
        elif isinstance(x, _py_float):
            tiers[2].append(dtypes.default_float)
        elif isinstance(x, dtypes.dtype):
            tiers[0].append(x.np)
    every = [d for t in tiers for d in t]
    if not every:
        raise TypeError("result_type: expected at least one tensor or scalar")
    top = builtins.max(_category(d) for d in every)
    for tier in tiers:
        picked = [d for d in tier if _category(d) == top]
        if picked:
            return dtypes.from_np(np.result_type(*picked))
    raise AssertionError("unreachable")  # pragma: no cover


def _category(d: np.dtype) -> int:
    return 0 if d.kind == "b" else 1 if d.kind in "iu" else 2
