"""Every custom CUDA kernel compiles to PTX with NVRTC (no GPU needed): a kernel that does not compile fails here.

ElementwiseKernels are compiled twice: as the exact source CuPy generates for them (where CuPy is
importable) and as an equivalent standalone source; RawKernels as written. Skipped only when
NVRTC itself cannot be loaded (install the pip package nvidia-cuda-nvrtc-cu12, in the dev extra).
"""

from __future__ import annotations

import functools

import pytest
from nvrtc_sources import (
    CtypesNvrtc,
    Nvrtc,
    _find_libnvrtc,
    cupy_source,
    elementwise_specs,
    ptx_entries,
    raw_options,
    raw_specs,
    standalone_source,
)

from backends.cuda import kernels as K

EW = list(elementwise_specs())
RAW = list(raw_specs())


@functools.cache
def _nvrtc() -> Nvrtc | str:
    try:
        return Nvrtc()
    except OSError as e:
        return str(e)


@pytest.fixture(scope="module")
def nvrtc() -> Nvrtc:
    n = _nvrtc()
    if isinstance(n, str):
        pytest.skip(f"NVRTC cannot be loaded, so kernels cannot be compiled here: {n}")
    return n


def test_every_kernel_is_covered():
    assert {s.name for s in EW} | {s.name for s in RAW} == set(K.SPECS)
    assert len(EW) >= 8 and len(RAW) >= 6


@pytest.mark.parametrize("spec", EW, ids=lambda s: s.name)
def test_elementwise_standalone_compiles(nvrtc, spec):
    for binding in spec.bindings:
        ptx = nvrtc.compile(
            standalone_source(spec, binding), f"{spec.name}.cu", spec.options + ("--std=c++17",)
        )
        assert spec.name in ptx_entries(ptx), f"{spec.name} {binding}: no entry point in the PTX"


@pytest.mark.parametrize("spec", EW, ids=lambda s: s.name)
def test_elementwise_cupy_source_compiles(nvrtc, spec):
    """The very source CuPy would build: contiguous 1-D (float32, float64) and strided 2-D (float32)."""
    pytest.importorskip(
        "cupy", reason="CuPy's code generator needs CuPy (the standalone source is compiled above)"
    )
    variants = [(b, 1, True) for b in spec.bindings] + [(spec.bindings[0], 2, False)]
    for binding, ndim, contiguous in variants:
        src, opts = cupy_source(spec, binding, ndim, contiguous)
        assert spec.operation.strip().splitlines()[0].strip() in src
        ptx = nvrtc.compile(src, f"{spec.name}.cu", opts)
        assert spec.name in ptx_entries(ptx), f"{spec.name} {binding} ndim={ndim}: no entry point"


@functools.cache
def _compile_raw(code: str, options: tuple) -> frozenset:
    n = _nvrtc()
    assert not isinstance(n, str), n
    return frozenset(ptx_entries(n.compile(code, "raw.cu", raw_options() + options)))


@pytest.mark.parametrize("spec", RAW, ids=lambda s: s.name)
def test_raw_kernel_compiles(nvrtc, spec):
    assert spec.name in _compile_raw(spec.code, spec.options)


def test_a_broken_kernel_fails_to_compile(nvrtc):
    """The check can fail: an operation with an undeclared name is rejected with NVRTC's log."""
    bad = K.Elementwise("eg_broken", "T x", "T y", "y = x * undeclared_name;", lambda xp, x, y: x)
    with pytest.raises(RuntimeError, match="undeclared_name"):
        nvrtc.compile(standalone_source(bad, {"T": "float32"}), "bad.cu", ("--std=c++17",))
    with pytest.raises(RuntimeError):
        nvrtc.compile('extern "C" __global__ void k(float* x) { x[0] = ; }', "bad.cu", ())


def test_ctypes_loader_compiles_without_cupy(nvrtc):
    """The ctypes path (used where CuPy is absent) loads libnvrtc and compiles too."""
    path = _find_libnvrtc()
    if path is None:
        pytest.skip("no libnvrtc on disk for the ctypes loader (only CuPy's binding found it)")
    c = CtypesNvrtc(path)
    assert c.version()[0] >= 11
    ptx = c.compile(RAW[0].code, "raw.cu", ["--std=c++17", "-arch=compute_70"])
    assert RAW[0].name in ptx_entries(ptx)
    with pytest.raises(RuntimeError, match="nvrtcCompileProgram"):
        c.compile('extern "C" __global__ void k(float* x) { x[0] = ; }', "bad.cu", ["-arch=compute_70"])
