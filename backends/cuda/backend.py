"""The CUDA backend: CuPy as ``xp`` (or the strict stand-in), plus the kernels CuPy lacks.

Everything shared with the CPU is inherited from ``Backend`` (written against ``self.xp``); this
class adds placement (devices, host copies, the current-device context), a cuRAND-backed
RandomState per device, memory statistics from CuPy's pool, ``cupyx.scatter_add`` for repeated
indices, and fused kernels (backends/cuda/kernels.py) for activations, the softmax family,
cross-entropy and the SGD/Adam updates.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from ..base import Backend
from ..device import Device
from . import kernels as K

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class CudaBackend(Backend):
    """Kernels on a CUDA device through CuPy (``standin=True``: through the strict CPU stand-in)."""

    name = "cuda"

    def __init__(self, xp: Any, cupyx: Any, standin: bool = False) -> None:
        self.xp = xp
        self.cupyx = cupyx
        self.is_standin = standin
        self.array_types = (xp.ndarray,)
        self._gens: dict[int, Any] = {}
        self._seed: int | None = None
        self._peak: dict[int, int] = {}
        self._pool = xp.get_default_memory_pool()
        self._tracking = False
        try:  # route allocations through us to record the peak (CuPy's pool keeps no peak)
            if xp.cuda.get_allocator() == self._pool.malloc:
                xp.cuda.set_allocator(self._malloc)
                self._tracking = True
        except AttributeError:  # an older CuPy without get_allocator: no peak statistics
            pass

    def __repr__(self) -> str:
        return f"<CudaBackend on {'the strict CuPy stand-in' if self.is_standin else 'CuPy'}>"

    # ---- placement ---------------------------------------------------------------------------------
    def index(self, device: Device | None = None) -> int:
        """The CUDA ordinal of ``device`` (None or 'cuda' without index: the current device)."""
        if device is None or device.index is None:
            return int(self.xp.cuda.Device().id)
        return int(device.index)

    def device_of(self, arr: Any) -> Device:
        return Device("cuda", arr.device.id)

    def to_host(self, arr: Any) -> np.ndarray:
        return arr.get()

    def data_ptr(self, arr: Any) -> int:
        return int(arr.data.ptr)

    def from_host(self, arr: np.ndarray, device: Device) -> Any:
        with self.xp.cuda.Device(self.index(device)):
            return self.xp.asarray(arr)

    def using(self, device: Device | None) -> contextlib.AbstractContextManager:
        return self.xp.cuda.Device(self.index(device))

    def synchronize(self, device: Device | None = None) -> None:
        self.xp.cuda.Device(self.index(device)).synchronize()

    def errstate(self) -> contextlib.AbstractContextManager:
        """CuPy never warns about inf/nan; NumPy under the stand-in does, so silence it as on the CPU."""
        return np.errstate(all="ignore") if self.is_standin else contextlib.nullcontext()

    def asarray(self, data: Any, dtype: Any = None, device: Device | None = None) -> Any:
        with self.using(device):
            return self.xp.asarray(data, dtype=dtype)

    # ---- memory statistics (CuPy's memory pool) -----------------------------------------------------
    def _malloc(self, size: int) -> Any:
        mem = self._pool.malloc(size)
        used = self._pool.used_bytes()  # the allocating device is current here
        if used > self._peak.get(mem.device_id, 0):
            self._peak[mem.device_id] = used
        return mem

    def memory_allocated(self, device: Device | None = None) -> int:
        with self.using(device):
            return int(self._pool.used_bytes())

    def memory_reserved(self, device: Device | None = None) -> int:
        with self.using(device):
            return int(self._pool.total_bytes())

    def max_memory_allocated(self, device: Device | None = None) -> int:
        return max(self._peak.get(self.index(device), 0), self.memory_allocated(device))

    def reset_peak_memory_stats(self, device: Device | None = None) -> None:
        self._peak[self.index(device)] = self.memory_allocated(device)

    def empty_cache(self) -> None:
        """Give cached, unused blocks of every device back to the driver."""
        for i in range(self.xp.cuda.runtime.getDeviceCount()):
            with self.xp.cuda.Device(i):
                self._pool.free_all_blocks()

    # ---- random numbers: one generator per device, seeded by manual_seed -------------------------------
    def manual_seed(self, seed: int) -> None:
        """Seed every device's generator (generators made later start from this seed too)."""
        self._seed = int(seed)
        for i in list(self._gens):
            self.manual_seed_device(i, seed)

    def manual_seed_device(self, index: int, seed: int) -> None:
        with self.xp.cuda.Device(index):
            self._gens[index] = self.xp.random.RandomState(int(seed))

    def generator(self, device: Device | None = None) -> Any:
        i = self.index(device)
        g = self._gens.get(i)
        if g is None:
            with self.xp.cuda.Device(i):
                g = self._gens[i] = self.xp.random.RandomState(self._seed)
        return g

    def swap_generator(self, device: Device | None, seed: int | None, gen: Any = None) -> Any:
        old = self.generator(device)
        i = self.index(device)
        if gen is None:
            with self.xp.cuda.Device(i):
                gen = self.xp.random.RandomState(int(seed))
        self._gens[i] = gen
        return old

    def uniform(self, shape: tuple, dtype: Any, low: float = 0.0, high: float = 1.0, device=None) -> Any:
        dt = np.dtype(dtype)
        with self.using(device):
            out = self.generator(device).random_sample(shape, dtype=_gen_float(dt))
            if low != 0.0 or high != 1.0:
                out = out * (high - low) + low
            return out.astype(dt, copy=False)

    def normal(self, shape: tuple, dtype: Any, mean: float = 0.0, std: float = 1.0, device=None) -> Any:
        dt = np.dtype(dtype)
        with self.using(device):
            out = self.generator(device).standard_normal(shape, dtype=_gen_float(dt))
            if std != 1.0:
                out = out * std
            if mean != 0.0:
                out = out + mean
            return out.astype(dt, copy=False)

    def standard_gamma(self, alpha: Any, dtype: Any, device=None) -> Any:
        dt = np.dtype(dtype)
        with self.using(device):
            out = self.generator(device).standard_gamma(alpha.astype(np.float64), dtype=np.float64)
            return out.astype(dt, copy=False)

    def poisson(self, rate: Any, dtype: Any, device=None) -> Any:
        with self.using(device):
            out = self.generator(device).poisson(rate.astype(np.float64), dtype=np.int64)
            return out.astype(dtype, copy=False)

    def binomial(self, count: Any, probs: Any, dtype: Any, device=None) -> Any:
        with self.using(device):
            g = self.generator(device)
            out = g.binomial(count.astype(np.int64), probs.astype(np.float64), dtype=np.int64)
            return out.astype(dtype, copy=False)

    def randint(self, low: int, high: int, shape: tuple, dtype: Any, device=None) -> Any:
        with self.using(device):
            out = self.generator(device).randint(low, high, size=shape, dtype=np.int64)
            return out.astype(dtype, copy=False)

    def permutation(self, n: int, device=None) -> Any:
        with self.using(device):
            return self.generator(device).permutation(int(n))

    # ---- scatter: repeated indices accumulate (atomicAdd) --------------------------------------------
    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        if getattr(values, "dtype", target.dtype) != target.dtype:
            values = values.astype(target.dtype)
        if target.dtype.kind == "b":  # no atomicAdd on bool: accumulate as int and write back
            acc = target.astype(np.int32)
            self.cupyx.scatter_add(acc, index, values)
            target[...] = acc != 0
            return
        self.cupyx.scatter_add(target, index, values)

    # ---- fused elementwise activations ----------------------------------------------------------------
    def _ew(self, name: str) -> Any:
        return K.get(self.xp, name)

    def sigmoid(self, x: Any) -> Any:
        return self._ew("eg_sigmoid")(x) if x.dtype in _FLOATS else super().sigmoid(x)

    def _grad_ok(self, g: Any, y: Any) -> bool:
        return y.dtype in _FLOATS and g.dtype == y.dtype and g.shape == y.shape

    def sigmoid_backward(self, g: Any, y: Any) -> Any:
        return self._ew("eg_sigmoid_bwd")(g, y) if self._grad_ok(g, y) else super().sigmoid_backward(g, y)

    def tanh_backward(self, g: Any, y: Any) -> Any:
        return self._ew("eg_tanh_bwd")(g, y) if self._grad_ok(g, y) else super().tanh_backward(g, y)

    def relu_backward(self, g: Any, y: Any) -> Any:
        return self._ew("eg_relu_bwd")(g, y) if self._grad_ok(g, y) else super().relu_backward(g, y)

    def softplus(self, x: Any) -> Any:
        return self._ew("eg_softplus")(x) if x.dtype in _FLOATS else super().softplus(x)

    def erf(self, x: Any) -> Any:
        if x.dtype in _FLOATS:
            return self._ew("eg_erf")(x)
        return self._ew("eg_erf")(x.astype(np.float32)).astype(x.dtype)

    # ---- softmax family: one block per row -------------------------------------------------------------
    def _rows(self, x: Any, axis: int) -> tuple[Any, tuple]:
        """``x`` with ``axis`` moved last, as a C-contiguous 2-D (rows, cols) array."""
        moved = self.xp.moveaxis(x, axis, -1) if axis % x.ndim != x.ndim - 1 else x
        c = moved.shape[-1]
        rows = self.xp.ascontiguousarray(moved).reshape(-1, c)
        return rows, moved.shape

    def _unrows(self, y: Any, moved_shape: tuple, axis: int, ndim: int) -> Any:
        y = y.reshape(moved_shape)
        return self.xp.moveaxis(y, -1, axis) if axis % ndim != ndim - 1 else y

    def _row_ok(self, x: Any) -> bool:
        return (
            x.dtype in _FLOATS
            and x.ndim >= 1
            and x.size > 0
            and x.shape[-1] < 2**31
            and x.size // max(x.shape[-1], 1) < 2**31
        )

    def _launch_rows(self, name: str, dtype: Any, rows: int, args: tuple) -> None:
        K.get(self.xp, f"{name}_{K.suffix(dtype)}")((rows,), (K.BLOCK,), args)

    def _softmax(self, x: Any, axis: int, log_mode: int) -> Any:
        r, moved = self._rows(x, axis)
        y = self.xp.empty_like(r)
        self._launch_rows(
            "eg_softmax", r.dtype, r.shape[0], (r, y, _i32(r.shape[0]), _i32(r.shape[1]), _i32(log_mode))
        )
        return self._unrows(y, moved, axis, x.ndim)

    def softmax(self, x: Any, axis: int) -> Any:
        return self._softmax(x, axis, 0) if self._row_ok(x) else super().softmax(x, axis)

    def log_softmax(self, x: Any, axis: int) -> Any:
        return self._softmax(x, axis, 1) if self._row_ok(x) else super().log_softmax(x, axis)

    def _softmax_bwd(self, g: Any, y: Any, axis: int, log_mode: int) -> Any:
        gr, moved = self._rows(g.astype(y.dtype, copy=False), axis)
        yr, _ = self._rows(y, axis)
        gx = self.xp.empty_like(yr)
        n, c = yr.shape
        self._launch_rows("eg_softmax_bwd", yr.dtype, n, (gr, yr, gx, _i32(n), _i32(c), _i32(log_mode)))
        return self._unrows(gx, moved, axis, y.ndim)

    def softmax_backward(self, g: Any, y: Any, axis: int) -> Any:
        if self._row_ok(y) and g.shape == y.shape:
            return self._softmax_bwd(g, y, axis, 0)
        return super().softmax_backward(g, y, axis)

    def log_softmax_backward(self, g: Any, y: Any, axis: int) -> Any:
        if self._row_ok(y) and g.shape == y.shape:
            return self._softmax_bwd(g, y, axis, 1)
        return super().log_softmax_backward(g, y, axis)

    # ---- cross-entropy on class indices ---------------------------------------------------------------
    def cross_entropy_forward(
        self, x: Any, target: Any, weight: Any, ignore_index: int, label_smoothing: float
    ) -> tuple[Any, Any, Any]:
        if not (self._row_ok(x) and x.ndim >= 2 and target.dtype.kind in "iu"):
            return super().cross_entropy_forward(x, target, weight, ignore_index, label_smoothing)
        xp = self.xp
        r, moved = self._rows(x, 1)
        n, c = r.shape
        t = xp.ascontiguousarray(target.reshape(-1), dtype=np.int64)
        w = xp.ascontiguousarray(weight, dtype=x.dtype) if weight is not None else xp.zeros(1, dtype=x.dtype)
        logp = xp.empty_like(r)
        loss = xp.empty(n, dtype=x.dtype)
        wt = xp.empty(n, dtype=x.dtype)
        ls = float(label_smoothing)
        sc = r.dtype.type
        args = (r, t, w, logp, loss, wt, _i32(n), _i32(c), np.int64(ignore_index), sc(1 - ls), sc(ls / c))
        self._launch_rows("eg_xent", r.dtype, n, (*args, _i32(weight is not None)))
        out_shape = target.shape
        return loss.reshape(out_shape), self._unrows(logp, moved, 1, x.ndim), wt.reshape(out_shape)

    def cross_entropy_backward(
        self, logp: Any, target: Any, weight: Any, wt: Any, ignore_index: int, label_smoothing: float, g: Any
    ) -> Any:
        if not (self._row_ok(logp) and logp.ndim >= 2 and target.dtype.kind in "iu"):
            return super().cross_entropy_backward(logp, target, weight, wt, ignore_index, label_smoothing, g)
        xp = self.xp
        lr, moved = self._rows(logp, 1)
        n, c = lr.shape
        dt = lr.dtype
        gb = xp.broadcast_to(xp.asarray(g, dtype=dt), target.shape)
        coef = xp.ascontiguousarray((gb * wt * (1 - label_smoothing)).astype(dt, copy=False).reshape(-1))
        t = xp.ascontiguousarray(target.reshape(-1))
        mode, wsum = 0, xp.zeros((), dtype=dt)  # a 0-d device array: no host sync for sum(weight)
        gv = coef
        wv = xp.zeros(1, dtype=dt)
        if label_smoothing:
            valid = target != ignore_index
            gv = xp.ascontiguousarray((gb * valid * (label_smoothing / c)).astype(dt, copy=False).reshape(-1))
            mode = 1
            if weight is not None:
                mode, wv = 2, xp.ascontiguousarray(weight, dtype=dt)
                wsum = wv.sum()
        grad = self._ew("eg_xent_bwd")(lr, t, coef, gv, wv, wsum, c, ignore_index, mode)
        return self._unrows(grad, moved, 1, logp.ndim)

    # ---- optimizer updates: one fused kernel per parameter --------------------------------------------
    def sgd_step(
        self,
        param: Any,
        grad: Any,
        buf: Any,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
        first_step: bool = False,
    ) -> None:
        if param.dtype not in _FLOATS or grad.dtype != param.dtype or not _same_shape(param, grad, buf):
            return super().sgd_step(
                param, grad, buf, lr, momentum, dampening, nesterov, weight_decay, maximize, first_step
            )
        if momentum == 0:
            self._ew("eg_sgd")(grad, -lr, weight_decay, int(maximize), param)
            return
        self._ew("eg_sgd_momentum")(
            grad,
            momentum,
            1.0 - dampening,
            -lr,
            weight_decay,
            int(maximize),
            int(first_step),
            int(nesterov),
            int(dampening != 0),
            param,
            buf,
        )

    def adam_step(
        self,
        param: Any,
        grad: Any,
        exp_avg: Any,
        exp_avg_sq: Any,
        max_exp_avg_sq: Any,
        step: int,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        ams = max_exp_avg_sq if amsgrad else None
        if (
            param.dtype not in _FLOATS
            or grad.dtype != param.dtype
            or not _same_shape(param, grad, exp_avg, exp_avg_sq, ams)
        ):
            return super().adam_step(
                param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, lr, beta1, beta2, eps,
                weight_decay, amsgrad, maximize, decoupled_weight_decay,
            )  # fmt: skip
        w1 = 1.0 - beta1
        scalars = (
            1.0 - lr * weight_decay,
            weight_decay,
            w1,
            1.0 - float(param.dtype.type(w1)),  # lerp's other branch, as backends/optim_kernels.lerp_
            int(abs(w1) < 0.5),
            beta2,
            1.0 - beta2,
            (1.0 - beta2**step) ** 0.5,
            eps,
            -(lr / (1.0 - beta1**step)),
            int(maximize),
            int(decoupled_weight_decay),
        )
        if amsgrad:
            self._ew("eg_adam_amsgrad")(grad, *scalars, param, exp_avg, exp_avg_sq, max_exp_avg_sq)
        else:
            self._ew("eg_adam")(grad, *scalars, param, exp_avg, exp_avg_sq)


class StandinBackend(CudaBackend):
    """The CUDA backend on the strict CPU stand-in (its own type, so ``.to()`` copies between the two)."""

    def __init__(self, xp: Any, cupyx: Any) -> None:
        super().__init__(xp, cupyx, standin=True)


def _gen_float(dt: np.dtype) -> Any:
    return np.float64 if dt.itemsize > 4 else np.float32


def _i32(v: int) -> np.int32:
    return np.int32(v)


def _same_shape(p: Any, *others: Any) -> bool:
    """A fused update needs every state array C-contiguous and shaped like the parameter."""
    return all(o is None or (o.shape == p.shape and o.dtype == p.dtype) for o in others)
