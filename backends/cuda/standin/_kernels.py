"""Kernel stand-ins: ``ElementwiseKernel`` and ``RawKernel`` that run a registered xp fallback.

They check a call the way CuPy launches a kernel: argument count, dtypes against the declared
parameters (a type placeholder like ``T`` binds one dtype for all its arrays), broadcasting and
output shapes; a RawKernel's arguments against the C signature parsed from its source (arrays
of the pointer's dtype, C-contiguous; scalars as NumPy scalars of the exact C type). Then the
fallback registered under the kernel's name computes the outputs with the stand-in's xp.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ._array import host_error, ndarray, require_current, unwrap
from ._registry import FALLBACKS

_C_TYPES = {
    "float": np.float32,
    "double": np.float64,
    "int": np.int32,
    "signed int": np.int32,
    "unsigned int": np.uint32,
    "long long": np.int64,
    "long long int": np.int64,
    "unsigned long long": np.uint64,
    "size_t": np.uint64,
    "ptrdiff_t": np.int64,
    "bool": np.bool_,
    "char": np.int8,
    "signed char": np.int8,
    "unsigned char": np.uint8,
    "short": np.int16,
    "unsigned short": np.uint16,
    "__half": np.float16,
    "half": np.float16,
}


def _fallback(name: str) -> Callable:
    try:
        return FALLBACKS[name]
    except KeyError:
        raise LookupError(
            f"strict CuPy stand-in: kernel {name!r} has no registered xp fallback "
            "(backends/cuda/kernels.py registers one per kernel)"
        ) from None


class _Param:
    __slots__ = ("name", "ctype", "dtype", "raw")

    def __init__(self, text: str) -> None:
        words = text.split()
        if len(words) < 2:
            raise ValueError(f"Syntax error: {text!r}")
        *mods, t, self.name = words
        bad = [m for m in mods if m != "raw"]
        if bad:
            raise ValueError(f"Unknown keyword {bad[0]!r}")
        self.raw = "raw" in mods
        if len(t) == 1:
            self.ctype, self.dtype = t, None
        else:
            self.ctype, self.dtype = t, np.dtype(t)


def _params(s: str) -> list[_Param]:
    return [_Param(p) for p in s.split(",")] if s.strip() else []


class ElementwiseKernel:
    """``cupy.ElementwiseKernel`` with CuPy's argument rules; runs the kernel's xp fallback."""

    def __init__(
        self,
        in_params: str,
        out_params: str,
        operation: str,
        name: str = "kernel",
        reduce_dims: bool = True,
        preamble: str = "",
        no_return: bool = False,
        return_tuple: bool = False,
        **kwargs: Any,
    ) -> None:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(f'Invalid kernel name: "{name}"')
        self.in_params, self.out_params = _params(in_params), _params(out_params)
        if "i" in [p.name for p in self.in_params + self.out_params]:
            raise ValueError("Can not use 'i' as a parameter name")
        self.nin, self.nout = len(self.in_params), len(self.out_params)
        self.name, self.operation, self.preamble = name, operation, preamble
        self.no_return, self.return_tuple = no_return, return_tuple

    def _bind_types(self, args: tuple) -> dict:
        tmap: dict[str, np.dtype] = {}
        for p, a in zip(self.in_params + self.out_params, args):
            if type(a) is not ndarray:
                continue
            if p.dtype is not None:
                if a.dtype != p.dtype:
                    raise TypeError(f"Type is mismatched. {p.name} {a.dtype} {p.dtype} (kernel {self.name})")
            elif p.ctype in tmap and tmap[p.ctype] != a.dtype:
                raise TypeError(
                    f"Type is mismatched. {p.name} {a.dtype} {tmap[p.ctype]} {p.ctype} (kernel {self.name}: "
                    f"every array bound to {p.ctype} must have one dtype)"
                )
            else:
                tmap[p.ctype] = a.dtype
        return tmap

    def __call__(
        self, *args: Any, size: int | None = None, block_size: int | None = None, stream: Any = None
    ):
        if len(args) not in (self.nin, self.nin + self.nout):
            raise TypeError(f"Wrong number of arguments for {self.name}")
        where = f"ElementwiseKernel {self.name}"
        found: list = []
        for a in args:
            if isinstance(a, np.ndarray):
                raise host_error(where, a)
            unwrap(a, where, found)
        require_current(found, where)
        for p, a in zip(self.out_params, args[self.nin :]):
            if type(a) is not ndarray:
                raise TypeError(f"Output arguments must be cupy.ndarray (kernel {self.name}, {p.name})")
        tmap = self._bind_types(args)
        arrays = [
            a.shape
            for p, a in zip(self.in_params + self.out_params, args)
            if type(a) is ndarray and not p.raw
        ]
        if size is not None:
            if arrays:
                raise ValueError("Specified 'size' can be used only if all of the ndarray are 'raw'.")
            shape: tuple = (int(size),)
        elif not arrays:
            raise ValueError(f"Loop size is undecided. (kernel {self.name})")
        else:
            shape = np.broadcast_shapes(*arrays)
        ins = []
        for p, a in zip(self.in_params, args):
            if type(a) is ndarray:
                ins.append(a)
                continue
            dt = p.dtype if p.dtype is not None else tmap.get(p.ctype)
            if dt is None:
                raise TypeError(f"kernel {self.name}: type {p.ctype} of scalar {p.name} is bound by no array")
            ins.append(dt.type(a))
        outs = list(args[self.nin :])
        for p in self.out_params[len(outs) :]:
            dt = p.dtype if p.dtype is not None else tmap.get(p.ctype)
            if dt is None or p.raw:
                raise ValueError(f"Output array size is Undecided (kernel {self.name}, {p.name})")
            from . import xp

            o = xp.empty(shape, dtype=dt)
            if dt.kind == "f":
                o.fill(np.nan)  # an output the kernel forgets to write shows up as NaN
            outs.append(o)
        for p, o in zip(self.out_params, outs):
            if not p.raw and o.shape != shape:
                raise ValueError(
                    f"Out shape is mismatched (kernel {self.name}: {p.name} {o.shape} vs {shape})"
                )
        from . import xp

        with np.errstate(all="ignore"):  # a kernel never warns
            res = _fallback(self.name)(xp, *ins, *outs)
        res = res if isinstance(res, tuple) else (res,)
        if len(res) != self.nout:
            raise RuntimeError(f"fallback of {self.name} returned {len(res)} outputs, expected {self.nout}")
        for o, r in zip(outs, res):
            if r is not o:
                rv = unwrap(r, where, [])
                if isinstance(rv, np.ndarray) and type(r) is not ndarray:
                    raise host_error(where + " fallback", r)
                np.copyto(o._a, rv, casting="unsafe")
        if self.no_return:
            return None
        return outs[0] if self.nout == 1 and not self.return_tuple else tuple(outs)


_SIG = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)')


def _c_params(code: str, name: str) -> list[tuple[bool, Any, str]]:
    """(is_pointer, numpy dtype, text) for each parameter of ``name`` in ``code``."""
    for m in _SIG.finditer(code):
        if m.group(1) != name:
            continue
        out = []
        for p in m.group(2).split(","):
            text = " ".join(p.replace("*", " * ").split())
            if not text:
                continue
            ptr = "*" in text
            words = [
                w for w in text.replace("*", " ").split() if w not in ("const", "__restrict__", "restrict")
            ]
            base = " ".join(words[:-1])
            if base not in _C_TYPES:
                raise ValueError(f"strict CuPy stand-in: RawKernel {name}: C type {base!r} is not emulated")
            out.append((ptr, np.dtype(_C_TYPES[base]), text))
        return out
    raise ValueError(
        f'strict CuPy stand-in: RawKernel source has no `extern "C" __global__ void {name}(...)` '
        '(without extern "C" CuPy cannot find the mangled name)'
    )


class RawKernel:
    """``cupy.RawKernel``: ``kernel(grid, block, args, shared_mem=0)`` runs the fallback on ``args``."""

    def __init__(
        self,
        code: str,
        name: str,
        options: tuple = (),
        backend: str = "nvrtc",
        translate_cucomplex: bool = False,
        enable_cooperative_groups: bool = False,
        jitify: bool = False,
    ) -> None:
        self.code, self.name, self.options = code, name, tuple(options)
        self._params = _c_params(code, name)

    def __call__(self, grid: tuple, block: tuple, args: tuple, *, shared_mem: int = 0) -> None:
        where = f"RawKernel {self.name}"
        for what, dims in (("grid", grid), ("block", block)):
            if not isinstance(dims, tuple) or not 1 <= len(dims) <= 3:
                raise TypeError(f"{where}: {what} must be a tuple of 1 to 3 ints, got {dims!r}")
            if any(not isinstance(d, int | np.integer) or d < 1 for d in dims):
                raise ValueError(f"{where}: {what} dimensions must be positive ints, got {dims!r}")
        if int(np.prod(block)) > 1024:
            raise ValueError(f"{where}: {int(np.prod(block))} threads per block exceed CUDA's 1024")
        if not isinstance(args, tuple) or len(args) != len(self._params):
            raise TypeError(f"{where}: expected a tuple of {len(self._params)} arguments, got {args!r:.80}")
        found: list = []
        for (ptr, dt, text), a in zip(self._params, args):
            if ptr:
                if isinstance(a, np.ndarray):
                    raise host_error(where, a)
                if type(a) is not ndarray:
                    raise TypeError(
                        f"{where}: parameter `{text}` needs a device array, got {type(a).__name__}"
                    )
                if a.dtype != dt:
                    raise TypeError(f"{where}: parameter `{text}` needs {dt} data, got {a.dtype}")
                if not a.flags.c_contiguous:
                    raise ValueError(f"{where}: parameter `{text}` got a non-contiguous array {a.shape}")
                found.append(a)
            elif not isinstance(a, np.generic) or a.dtype != dt:
                raise TypeError(
                    f"{where}: parameter `{text}` needs a numpy {dt} scalar (e.g. numpy.{dt}(v)); got {a!r} "
                    f"of type {type(a).__name__} (CuPy passes Python ints as 64-bit, floats as double)"
                )
        require_current(found, where)
        from . import xp

        with np.errstate(all="ignore"):
            _fallback(self.name)(xp, *args)
