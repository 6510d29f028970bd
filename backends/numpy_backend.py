"""The CPU backend: NumPy arrays and a seeded NumPy Generator."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .base import Backend
from .device import CPU, Device


def _keep_freed_memory() -> None:
    """Let glibc reuse freed large blocks instead of returning them to the OS (as PyTorch's CPU allocator does).

    Otherwise every multi-MB temporary of a training step (im2col columns, activations) comes back as fresh
    pages and page-faults on first touch: ~2500 faults and a third of a CNN step's time. Opt out with
    EMBERGRAD_MALLOC_TUNING=0; a no-op where glibc's mallopt is missing.
    """
    if os.environ.get("EMBERGRAD_MALLOC_TUNING", "1") == "0":
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: blocks up to 32 MiB come from the heap
        libc.mallopt(-1, 256 << 20)  # M_TRIM_THRESHOLD: keep up to 256 MiB of freed heap for reuse
    except (OSError, AttributeError):  # not glibc
        pass


_keep_freed_memory()


_AXPY: dict = {}
# np.may_share_memory's C implementation, without the __array_function__ dispatch (a Python frame per call)
_may_share_memory = getattr(np.may_share_memory, "_implementation", np.may_share_memory)


def _flat_positions(target: np.ndarray, key: Any) -> np.ndarray | None:
    """The flat positions in C-contiguous ``target`` that the key of integer index arrays ``key`` (one per dim,
    broadcast together) selects, or None when that does not apply (another key, another layout, or an index
    that is negative or out of range: those keep NumPy's own handling and errors)."""
    if (
        type(key) is not tuple
        or len(key) != target.ndim
        or not target.flags.c_contiguous
        or not all(type(i) is np.ndarray and i.dtype.kind in "iu" for i in key)
        or not all(not i.size or (i.min() >= 0 and i.max() < n) for i, n in zip(key, target.shape))
    ):
        return None
    flat, stride = None, 1
    for i, n in zip(reversed(key), reversed(target.shape)):
        term = i.astype(np.int64, copy=False) * stride if stride != 1 else i
        flat = term if flat is None else flat + term
        stride *= n
    return np.broadcast_to(flat, np.broadcast_shapes(*(i.shape for i in key)))


def _blas_axpy(dtype: np.dtype):
    """SciPy's BLAS ``?axpy`` (y += a * x in place) for float32/float64, or None (other dtypes, no SciPy).

    Imported on first use: scipy.linalg costs ~0.3 s to import, paid by the first optimizer step only.
    """
    if not _AXPY:
        try:
            from scipy.linalg import blas

            _AXPY.update({np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy})
        except ImportError:  # pragma: no cover - depends on the environment
            _AXPY[None] = None
    return _AXPY.get(dtype)


class NumpyBackend(Backend):
    """Kernels on the host, with NumPy as ``xp``."""

    name = "cpu"
    xp = np
    array_types = (np.ndarray,)

    def __init__(self) -> None:
        self._gen = np.random.default_rng()

    def device_of(self, arr) -> Device:
        return CPU

    def to_host(self, arr) -> np.ndarray:
        return arr

    def from_host(self, arr: np.ndarray, device: Device) -> np.ndarray:
        return np.array(arr, copy=True)

    def errstate(self):
        return np.errstate(all="ignore")

    def strided_view(self, flat, shape: tuple, strides: tuple, offset: int):
        # an ndarray over flat's buffer: its .base chain is plain ndarrays (as_strided's goes through a
        # non-array object), so views of it are recognised as views of the same memory
        item = flat.itemsize
        return np.ndarray(
            tuple(shape),
            flat.dtype,
            buffer=flat,
            offset=offset * item if flat.size else 0,
            strides=tuple(s * item for s in strides),
        )

    def manual_seed(self, seed: int) -> None:
        self._gen = np.random.default_rng(seed)

    def generator(self, device=None):
        return self._gen

    def swap_generator(self, device, seed, gen=None):
        old, self._gen = self._gen, (np.random.default_rng(seed) if gen is None else gen)
        return old

    _SCALED_CHUNK = (
        1 << 16
    )  # elements per block: a float32 block (256 KiB) stays in L2 between the two passes

    def _add_scaled_(self, target, x, alpha: float, x_owned: bool) -> None:
        """``target += alpha * x`` in one pass, never writing ``x`` (a ``.grad``): the optimizer step's update.

        Contiguous float32/float64 arrays take BLAS axpy: one fused multiply-add per element, as torch's
        ``p.add_(g, alpha=-lr)`` computes it (bit for bit on OpenBLAS) and ~2x faster than a scaled temporary.
        Without SciPy, big arrays go blockwise through a small scratch; anything else takes the generic kernel.
        """
        if x_owned or type(alpha) is not float:  # (a NumPy scalar may promote: the generic kernel)
            return super()._add_scaled_(target, x, alpha, x_owned)
        dt = x.dtype
        tf = target.flags
        if (
            target.dtype != dt
            or target.shape != x.shape
            or not (tf.c_contiguous and tf.writeable and x.flags.c_contiguous)
            or _may_share_memory(target, x)
        ):
            return super()._add_scaled_(target, x, alpha, x_owned)
        n = x.size
        axpy = (_AXPY.get(dt) if _AXPY else _blas_axpy(dt)) if 0 < n < 2**31 else None
        if axpy is not None:
            t = target.reshape(-1)
            out = axpy(x.reshape(-1), t, a=alpha)  # in place on t (contiguous, writeable, the right dtype)
            if out is not t:  # defensive: a wrapper that copied after all
                t[...] = out
            return
        chunk = self._SCALED_CHUNK
        if n <= 2 * chunk:
            return super()._add_scaled_(target, x, alpha, x_owned)
        t, src = target.reshape(-1), x.reshape(-1)
        buf = np.empty(chunk, dtype=x.dtype)
        for i in range(0, n, chunk):
            j = min(n, i + chunk)
            b = buf[: j - i]
            np.multiply(src[i:j], alpha, out=b)
            t[i:j] += b

    def scatter_add(self, target, index, values):
        """``target[index] += values``, repeated indices accumulating. ``np.add.at`` is fast only for one 1-d
        index with 1-d contiguous values (measured 0.6 ms vs 5-6.5 ms for 131k updates given as three index
        arrays or with broadcast values), so a key of in-bounds integer arrays over a C-contiguous target goes
        through flat positions: the same elements in the same order, so the same sums, bit for bit. Anything
        else (slices, negative or out-of-range indices) takes ``np.add.at`` as given."""
        flat = _flat_positions(target, index)
        if flat is None:
            np.add.at(target, index, values)
        else:
            np.add.at(target.reshape(-1), flat.reshape(-1), np.broadcast_to(values, flat.shape).reshape(-1))

    def take_along_axis(self, arr, index, axis):
        """``np.take_along_axis`` (gather's forward) by flat positions when they apply: one ``take`` instead
        of an open-mesh fancy index (~5x faster on large index arrays); the same elements either way."""
        key = self._along_axis(index, axis)
        flat = _flat_positions(arr, key) if arr.ndim > 1 and arr.ndim == index.ndim else None
        return np.take_along_axis(arr, index, axis=axis) if flat is None else arr.reshape(-1).take(flat)

    def mm(self, a, b):
        """For two 2-d arrays ``ndarray.dot`` is matmul's product bit for bit at about half the call cost."""
        return a.dot(b) if a.ndim == 2 and b.ndim == 2 else a @ b

    # ---- linear ---------------------------------------------------------------------------------------------
    def linear(self, x, w, b):
        """For a small batch and many outputs, OpenBLAS's sgemm runs faster producing the (out, batch) product
        ``w @ x.T``; one transposing pass (fused with the bias add) then gives the usual C-contiguous
        (batch, out) output. Measured single-threaded, float32, median of 80 paired ratios (this path over
        ``x @ w.T + b``): batch 8 x (512 -> 512) 0.82, 16 x (784 -> 512) 0.93, 32 x (1024 -> 1024) 0.94,
        32 x (512 -> 2048) 0.95; but 64 x (784 -> 512) 1.03, 128 x (784 -> 512) 1.05 and 128 x (1024 -> 4096)
        1.05, so batches above 32 take the plain product."""
        if (
            x.ndim == 2
            and x.shape[0] <= 32
            and w.shape[0] >= 4 * x.shape[0]
            and w.shape[1] >= 512
            and x.dtype == w.dtype
        ):
            z = w @ x.T
            out = np.empty((x.shape[0], w.shape[0]), dtype=z.dtype)
            if b is None:
                np.copyto(out, z.T)
            else:
                np.add(z.T, b, out=out)
            return out
        out = x.dot(w.T) if x.ndim == 2 else x @ w.T
        if b is not None:
            out += b
        return out

    # ---- cross-entropy, dense case (the training loop's hot path) ------------------------------------
    _SMALL_C = 64  # up to this many classes, rows are reduced in the transposed (C, N) layout

    def _arange(self, n: int) -> np.ndarray:
        """A cached, read-only ``arange(n)`` (row indices for picking one class per sample)."""
        cache = self.__dict__.setdefault("_aranges", {})
        r = cache.get(n)
        if r is None:
            if len(cache) > 32:
                cache.clear()
            r = cache[n] = np.arange(n)
            r.flags.writeable = False
        return r

    def cross_entropy_dense_forward(self, x, target):
        """Few NumPy calls: with few classes the work runs on the (C, N) transpose, where the per-row max and
        sum become fast reductions over the leading axis (over a short last axis they are ~5x slower)."""
        if x.ndim != 2 or x.dtype.kind != "f" or target.ndim != 1:
            return super().cross_entropy_dense_forward(x, target)
        n, c = x.shape
        rows = self._arange(n)
        if c <= self._SMALL_C:
            e = x.T.copy()  # (C, N) C-contiguous, our own copy
            e -= e.max(0)
            picked = e[target, rows]
            np.exp(e, out=e)
            s = e.sum(0)
        else:
            e = x - x.max(1, keepdims=True)
            picked = e[rows, target]
            np.exp(e, out=e)
            s = e.sum(1)
        loss = np.log(s)
        loss -= picked
        return loss, (e, s, c <= self._SMALL_C)

    def cross_entropy_dense_backward(self, saved, target, g):
        """``(softmax - one_hot) * g`` as one scaled copy of the saved exponentials and one indexed update."""
        if len(saved) != 3:  # the generic forward's state
            return super().cross_entropy_dense_backward(saved, target, g)
        e, s, transposed = saved
        n = s.shape[0]
        coef = np.divide(g, s, dtype=e.dtype)  # g / sum(exp): softmax scaled by the upstream gradient
        grad = np.empty((n, e.shape[0] if transposed else e.shape[1]), dtype=e.dtype)
        np.multiply(e.T if transposed else e, coef[:, None], out=grad)
        rows = self._arange(n)
        grad[rows, target] -= np.asarray(g, dtype=e.dtype)
        return grad
