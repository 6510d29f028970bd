"""CUDA sources of every kernel in backends/cuda/kernels.py, and an NVRTC compiler to check them.

Two renderings of each ElementwiseKernel: CuPy's own generated source (CuPy's code generator
runs without a GPU) and an equivalent standalone source (raw pointers, the same operation body
and typed parameters). RawKernels are compiled as written. NVRTC comes from CuPy's binding or,
without CuPy, from libnvrtc (pip package nvidia-cuda-nvrtc-cu12) through ctypes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from backends.cuda import kernels as K

ARCH = "compute_70"  # the oldest architecture CUDA 12 fully supports

_CTYPES = {
    "float32": "float",
    "float64": "double",
    "float16": "__half",
    "int8": "signed char",
    "uint8": "unsigned char",
    "int16": "short",
    "int32": "int",
    "uint32": "unsigned int",
    "int64": "long long",
    "uint64": "unsigned long long",
    "bool": "bool",
}


class Nvrtc:
    """compile(source, options) -> PTX text; raises RuntimeError with NVRTC's log on failure."""

    def __init__(self) -> None:
        self.how, self._impl = _load()

    def version(self) -> tuple:
        return self._impl.version()

    def compile(self, source: str, name: str, options: tuple) -> str:
        return self._impl.compile(source, name, list(options) + [f"-arch={ARCH}"])


class _CupyNvrtc:
    def __init__(self) -> None:
        from cupy.cuda import nvrtc

        self.m = nvrtc
        nvrtc.getVersion()  # raises when libnvrtc cannot be loaded

    def version(self) -> tuple:
        return tuple(self.m.getVersion())

    def compile(self, source: str, name: str, options: list) -> str:
        p = self.m.createProgram(source, name, [], [])
        try:
            try:
                self.m.compileProgram(p, options)
            except Exception as e:  # noqa: BLE001 - NVRTCError: report with the log
                raise RuntimeError(f"{e}\n{self.m.getProgramLog(p)}") from None
            ptx = self.m.getPTX(p)
        finally:
            self.m.destroyProgram(p)
        return ptx.decode() if isinstance(ptx, bytes) else ptx


def _find_libnvrtc() -> str | None:
    cands = []
    try:
        import nvidia.cuda_nvrtc as pkg  # the nvidia-cuda-nvrtc-cu12 wheel

        for d in pkg.__path__:
            cands += sorted(glob.glob(os.path.join(d, "lib", "libnvrtc.so*")))
    except ImportError:
        pass
    for d in ("/usr/local/cuda/lib64", "/usr/local/cuda/lib"):
        cands += sorted(glob.glob(os.path.join(d, "libnvrtc.so*")))
    lib = ctypes.util.find_library("nvrtc")
    if lib:
        cands.append(lib)
    cands = [c for c in cands if "builtins" not in c and ".alt." not in c]
    return cands[0] if cands else None


class CtypesNvrtc:
    """libnvrtc through ctypes (no CuPy needed)."""

    def __init__(self, path: str | None = None) -> None:
        path = path or _find_libnvrtc()
        if path is None:
            raise OSError("libnvrtc not found (pip install nvidia-cuda-nvrtc-cu12)")
        self.lib = ctypes.CDLL(path)
        self.path = path

    def version(self) -> tuple:
        a, b = ctypes.c_int(), ctypes.c_int()
        self._ok(self.lib.nvrtcVersion(ctypes.byref(a), ctypes.byref(b)), "nvrtcVersion")
        return (a.value, b.value)

    def _ok(self, rc: int, what: str, prog: Any = None) -> None:
        if rc != 0:
            self.lib.nvrtcGetErrorString.restype = ctypes.c_char_p
            msg = self.lib.nvrtcGetErrorString(rc).decode()
            log = self._log(prog) if prog is not None else ""
            raise RuntimeError(f"{what} failed: {msg}\n{log}")

    def _log(self, prog: Any) -> str:
        n = ctypes.c_size_t()
        self.lib.nvrtcGetProgramLogSize(prog, ctypes.byref(n))
        buf = ctypes.create_string_buffer(n.value)
        self.lib.nvrtcGetProgramLog(prog, buf)
        return buf.value.decode(errors="replace")

    def compile(self, source: str, name: str, options: list) -> str:
        prog = ctypes.c_void_p()
        self._ok(
            self.lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), name.encode(), 0, None, None),
            "nvrtcCreateProgram",
        )
        try:
            opts = (ctypes.c_char_p * len(options))(*[o.encode() for o in options])
            self._ok(self.lib.nvrtcCompileProgram(prog, len(options), opts), "nvrtcCompileProgram", prog)
            n = ctypes.c_size_t()
            self._ok(self.lib.nvrtcGetPTXSize(prog, ctypes.byref(n)), "nvrtcGetPTXSize")
            buf = ctypes.create_string_buffer(n.value)
            self._ok(self.lib.nvrtcGetPTX(prog, buf), "nvrtcGetPTX")
            return buf.value.decode()
        finally:
            self.lib.nvrtcDestroyProgram(ctypes.byref(prog))


def _load() -> tuple[str, Any]:
    errors = []
    try:
        return "cupy.cuda.nvrtc", _CupyNvrtc()
    except Exception as e:  # noqa: BLE001 - no CuPy, or CuPy without libnvrtc
        errors.append(f"cupy.cuda.nvrtc: {type(e).__name__}: {e}")
    try:
        impl = CtypesNvrtc()
        return f"ctypes ({impl.path})", impl
    except OSError as e:
        errors.append(f"ctypes: {e}")
    raise OSError("NVRTC cannot be loaded: " + "; ".join(errors))


# ---- sources -----------------------------------------------------------------------------------------


def _params(s: str) -> list[tuple[bool, str, str]]:
    """(raw, type, name) of an ElementwiseKernel parameter list."""
    out = []
    for p in s.split(","):
        w = p.split()
        if w:
            out.append(("raw" in w[:-2], w[-2], w[-1]))
    return out


def _ctype(t: str, binding: dict) -> str:
    return _CTYPES[str(np.dtype(binding[t] if len(t) == 1 else t))]


def standalone_source(spec: K.Elementwise, binding: dict) -> str:
    """A self-contained kernel with the same parameters and operation, on raw pointers."""
    ins, outs = _params(spec.in_params), _params(spec.out_params)
    typedefs = "".join(f"typedef {_CTYPES[str(np.dtype(v))]} {k};\n" for k, v in sorted(binding.items()))
    args, binds = [], []
    for raw, t, n in ins:
        ct = _ctype(t, binding)
        if n in spec.scalars:
            args.append(f"const {ct} {n}")
        elif raw:
            args.append(f"const {ct}* __restrict__ {n}")
        else:
            args.append(f"const {ct}* __restrict__ _raw_{n}")
            binds.append(f"const {ct} &{n} = _raw_{n}[i];")
    for raw, t, n in outs:
        ct = _ctype(t, binding)
        if raw:
            args.append(f"{ct}* {n}")
        else:
            args.append(f"{ct}* _raw_{n}")
            binds.append(f"{ct} &{n} = _raw_{n}[i];")
    args.append("long long _n")
    body = "\n    ".join(binds)
    return (
        f"{typedefs}{spec.preamble}\n"
        f'extern "C" __global__ void {spec.name}({", ".join(args)}) {{\n'
        "  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < _n;\n"
        "       i += (long long)blockDim.x * gridDim.x) {\n"
        f"    {body}\n    {spec.operation}\n  }}\n}}\n"
    )


def cupy_source(spec: K.Elementwise, binding: dict, ndim: int, contiguous: bool) -> tuple[str, tuple]:
    """CuPy's own source for this kernel (its code generator needs no GPU), and its NVRTC options."""
    import cupy
    import cupy._core.core as core
    from cupy._core import _carray, _kernel, _scalar

    k = cupy.ElementwiseKernel(
        spec.in_params, spec.out_params, spec.operation, spec.name, preamble=spec.preamble
    )

    def dt(p: Any) -> np.dtype:
        return np.dtype(p.dtype if p.dtype is not None else binding[p.ctype])

    in_dt = tuple(None if p.name in spec.scalars else dt(p) for p in k.in_params)
    out_dt = tuple(dt(p) for p in k.out_params)
    in_types, out_types, type_map = k._decide_params_type(in_dt, out_dt)
    infos = []
    for p, t in zip(k.in_params, in_types):
        if p.name in spec.scalars:
            infos.append(_kernel._ArgInfo(3, _scalar.CScalar, np.dtype(t), 0, True, True))
        else:
            n = 1 if p.raw else ndim
            infos.append(_kernel._ArgInfo(1, cupy.ndarray, np.dtype(t), n, contiguous or p.raw, True))
    for p, t in zip(k.out_params, out_types):
        n = 1 if p.raw else ndim
        infos.append(_kernel._ArgInfo(1, cupy.ndarray, np.dtype(t), n, contiguous or p.raw, True))
    infos.append(_kernel._ArgInfo(2, _carray.Indexer, None, ndim, True, True))
    code = _kernel._get_elementwise_kernel_code(
        tuple(infos), type_map, k.params, k.operation, k.name, k.preamble
    )
    header = "".join(f"#include <{h}>\n" for h in core._cupy_header_list)
    return header + code, tuple(core.assemble_cupy_compiler_options(tuple(spec.options)))


def raw_options() -> tuple:
    """Options for RawKernels: CuPy's defaults where CuPy is importable."""
    try:
        import cupy._core.core as core

        return tuple(core.assemble_cupy_compiler_options(()))
    except Exception:  # noqa: BLE001 - no CuPy: plain NVRTC
        return ("--std=c++17",)


def elementwise_specs() -> Iterator[K.Elementwise]:
    return (s for s in K.SPECS.values() if isinstance(s, K.Elementwise))


def raw_specs() -> Iterator[K.Raw]:
    return (s for s in K.SPECS.values() if isinstance(s, K.Raw))


def ptx_entries(ptx: str) -> set[str]:
    return set(re.findall(r"\.entry\s+(\w+)", ptx))
