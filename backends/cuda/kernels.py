"""Every custom CUDA kernel of the CUDA backend, each beside its xp fallback.

A kernel is built once per array module (memoized ``ElementwiseKernel``/``RawKernel``); on real
CuPy it is compiled by NVRTC at first use, on the strict stand-in its fallback runs instead.
The fallbacks are written against a generic ``xp`` so they also run on CuPy, where the GPU tests
check that kernel and fallback agree. ``tests/backends/test_nvrtc.py`` compiles every source here
to PTX with NVRTC, so a kernel that does not compile fails the build even without a GPU.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._row_sources import SOFTMAX_SRC, XENT_SRC
from .standin._registry import register_fallback

BLOCK = 256  # threads per block of the row-wise raw kernels (a multiple of 32, at most 1024)


@dataclass(frozen=True)
class Elementwise:
    """An ``ElementwiseKernel`` definition; ``scalars`` names the params passed as scalars."""

    name: str
    in_params: str
    out_params: str
    operation: str
    fallback: Callable
    preamble: str = ""
    options: tuple = ()
    scalars: frozenset = frozenset()
    bindings: tuple = ({"T": "float32"}, {"T": "float64"})  # type placeholders to compile for

    def build(self, xp: Any) -> Any:
        kw = {"options": self.options} if self.options else {}
        return xp.ElementwiseKernel(
            self.in_params, self.out_params, self.operation, self.name, preamble=self.preamble, **kw
        )


@dataclass(frozen=True)
class Raw:
    """A ``RawKernel``: one ``extern "C"`` entry point ``name`` of ``code``."""

    name: str
    code: str
    fallback: Callable
    options: tuple = field(default=())

    def build(self, xp: Any) -> Any:
        return xp.RawKernel(self.code, self.name, options=self.options)


SPECS: dict[str, Elementwise | Raw] = {}


def _add(spec: Elementwise | Raw) -> None:
    if spec.name in SPECS:
        raise ValueError(f"kernel {spec.name} is defined twice")
    SPECS[spec.name] = spec
    register_fallback(spec.name, spec.fallback)


@functools.cache
def _built(xp: Any, name: str) -> Any:
    return SPECS[name].build(xp)


def get(xp: Any, name: str) -> Any:
    """The kernel ``name`` for array module ``xp`` (CuPy or the stand-in), built once."""
    return _built(xp, name)


def suffix(dtype: Any) -> str:
    """'f32' / 'f64': the raw kernels exist per float type."""
    return "f32" if dtype.itemsize == 4 else "f64"


# ---- activations ---------------------------------------------------------------------------------


def _sigmoid_fb(xp: Any, x: Any, y: Any) -> Any:
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


_add(
    Elementwise(
        "eg_sigmoid",
        "T x",
        "T y",
        # exp of a non-positive number never overflows: pick the formula by sign
        "T e = exp(-fabs(x)); y = x >= (T)0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e);",
        _sigmoid_fb,
    )
)


_add(
    Elementwise(
        "eg_sigmoid_bwd", "T g, T y", "T gx", "gx = g * y * ((T)1 - y);", lambda xp, g, y, gx: g * y * (1 - y)
    )
)
_add(
    Elementwise(
        "eg_tanh_bwd", "T g, T y", "T gx", "gx = g * ((T)1 - y * y);", lambda xp, g, y, gx: g * (1 - y * y)
    )
)
_add(
    Elementwise(
        "eg_relu_bwd",
        "T g, T y",
        "T gx",
        "gx = g * (T)(y != (T)0);",  # a product, as on the CPU: NaN/inf gradients propagate the same way
        lambda xp, g, y, gx: g * (y != 0),
    )
)


def _softplus_fb(xp: Any, x: Any, y: Any) -> Any:
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


_add(
    Elementwise(
        "eg_softplus",
        "T x",
        "T y",
        "y = (x > (T)0 ? x : (T)0) + log1p(exp(-fabs(x)));",
        _softplus_fb,
    )
)


def _erf_fb(xp: Any, x: Any, y: Any) -> Any:
    """erf to ~1e-15 from exp alone: a positive-term series below 3, erfc's continued fraction above."""
    a = xp.abs(x).astype("float64")
    s = xp.minimum(a, 3.0)
    s2 = s * s
    term = total = s
    for n in range(1, 90):  # erf(s) = 2/sqrt(pi) e^(-s^2) sum_n (2 s^2)^n s / (2n+1)!!
        term = term * (2.0 * s2) / (2 * n + 1)
        total = total + term
    series = (2.0 / math.sqrt(math.pi)) * xp.exp(-s2) * total
    b = xp.maximum(a, 3.0)
    f = b
    for k in range(80, 0, -1):  # erfc(b) = e^(-b^2) / (sqrt(pi) (b + (1/2)/(b + 1/(b + (3/2)/(b + ...)))))
        f = b + (0.5 * k) / f
    cf = 1.0 - xp.exp(-b * b) / (math.sqrt(math.pi) * f)
    return (xp.sign(x) * xp.where(a < 3.0, series, cf)).astype(x.dtype)


_add(Elementwise("eg_erf", "T x", "T y", "y = erf(x);", _erf_fb))


# ---- optimizer updates (in place; formulas and their order follow backends/optim_kernels.py) --------
# fmad=false: no fused multiply-add contraction, so a step rounds exactly as the CPU's does

_NO_FMA = ("--fmad=false",)


def _sgd_fb(xp: Any, grad: Any, neg_lr: Any, wd: Any, maximize: Any, p: Any) -> Any:
    g = -grad if maximize else grad
    if wd != 0:
        g = p * wd + g
    return p + g * neg_lr


_add(
    Elementwise(
        "eg_sgd",
        "T grad, T neg_lr, T wd, int32 maximize",
        "T p",
        "T g = maximize ? -grad : grad; if (wd != (T)0) g = p * wd + g; p = p + g * neg_lr;",
        _sgd_fb,
        options=_NO_FMA,
        scalars=frozenset({"neg_lr", "wd", "maximize"}),
    )
)


def _sgd_momentum_fb(
    xp: Any, grad: Any, momentum: Any, omd: Any, neg_lr: Any, wd: Any, maximize: Any, first: Any,
    nesterov: Any, damp: Any, p: Any, buf: Any,
) -> tuple:  # fmt: skip
    g = -grad if maximize else grad
    if wd != 0:
        g = p * wd + g
    if first:
        b = g
    else:
        b = buf * momentum + (g * omd if damp else g)
    d = b * momentum + g if nesterov else b
    return p + d * neg_lr, b


_add(
    Elementwise(
        "eg_sgd_momentum",
        "T grad, T momentum, T omd, T neg_lr, T wd, int32 maximize, int32 first, int32 nesterov, int32 damp",
        "T p, T buf",
        """
        T g = maximize ? -grad : grad;
        if (wd != (T)0) g = p * wd + g;
        T b;
        if (first) { b = g; } else { b = buf * momentum; b = b + (damp ? g * omd : g); }
        buf = b;
        T d = nesterov ? b * momentum + g : b;
        p = p + d * neg_lr;
        """,
        _sgd_momentum_fb,
        options=_NO_FMA,
        scalars=frozenset({"momentum", "omd", "neg_lr", "wd", "maximize", "first", "nesterov", "damp"}),
    )
)

_ADAM_IN = (
    "T grad, T decay, T wd, T w1, T w1c, int32 small, T beta2, T omb2, T bc2s, T eps, T neg_step, "
    "int32 maximize, int32 decoupled"
)
_ADAM_SCALARS = frozenset(
    {"decay", "wd", "w1", "w1c", "small", "beta2", "omb2", "bc2s", "eps", "neg_step", "maximize", "decoupled"}
)
_ADAM_OP = """
        T pp = p;
        if (decoupled && wd != (T)0) pp = pp * decay;
        T g = maximize ? -grad : grad;
        if (!decoupled && wd != (T)0) g = pp * wd + g;
        T d = g - m;
        T mm;
        if (small) { d = d * w1; mm = m + d; } else { d = d * w1c; mm = g - d; }
        T vv = v * beta2;
        T t = g * omb2;
        t = t * g;
        vv = vv + t;
        {AMS}
        T den = sqrt({V});
        den = den / bc2s;
        den = den + eps;
        den = mm / den;
        den = den * neg_step;
        p = pp + den;
        m = mm;
        v = vv;
"""


def _adam_core(xp: Any, grad: Any, a: tuple, p: Any, m: Any, v: Any, vmax: Any) -> tuple:
    decay, wd, w1, w1c, small, beta2, omb2, bc2s, eps, neg_step, maximize, decoupled = a
    pp = p * decay if (decoupled and wd != 0) else p
    g = -grad if maximize else grad
    if not decoupled and wd != 0:
        g = pp * wd + g
    d = g - m
    mm = m + d * w1 if small else g - d * w1c
    t = g * omb2
    vv = v * beta2 + t * g
    vm = None if vmax is None else xp.maximum(vmax, vv)
    den = xp.sqrt(vv if vm is None else vm) / bc2s + eps
    out = (pp + (mm / den) * neg_step, mm, vv)
    return out if vm is None else (*out, vm)


_add(
    Elementwise(
        "eg_adam",
        _ADAM_IN,
        "T p, T m, T v",
        _ADAM_OP.replace("{AMS}", "").replace("{V}", "vv"),
        lambda xp, grad, *rest: _adam_core(xp, grad, rest[:12], *rest[12:], None),
        options=_NO_FMA,
        scalars=_ADAM_SCALARS,
    )
)
_add(
    Elementwise(
        "eg_adam_amsgrad",
        _ADAM_IN,
        "T p, T m, T v, T vmax",
        _ADAM_OP.replace("{AMS}", "T vm = (vmax != vmax || vmax > vv) ? vmax : vv; vmax = vm;").replace(
            "{V}", "vm"
        ),
        lambda xp, grad, *rest: _adam_core(xp, grad, rest[:12], *rest[12:]),
        options=_NO_FMA,
        scalars=_ADAM_SCALARS,
    )
)


# ---- cross-entropy backward: (softmax - one_hot) * coef (+ label smoothing), rows x classes ---------


def _xent_bwd_fb(
    xp: Any, logp: Any, target: Any, coef: Any, gv: Any, weight: Any, wsum: Any, cols: Any, ignore: Any,
    mode: Any, grad: Any,
) -> Any:  # fmt: skip
    p = xp.exp(logp)
    c = coef.reshape(-1, 1)
    t = xp.where(target != ignore, target, 0).reshape(-1, 1)
    out = p * c - xp.where(xp.arange(int(cols)).reshape(1, -1) == t, c, 0)
    if mode == 1:
        out = out + gv.reshape(-1, 1) * (p * int(cols) - 1)
    elif mode == 2:
        out = out + gv.reshape(-1, 1) * (p * wsum - weight.reshape(1, -1))
    return out


_add(
    Elementwise(
        "eg_xent_bwd",
        "T logp, raw S target, raw T coef, raw T gv, raw T weight, T wsum, int32 cols, int64 ignore, "
        "int32 mode",
        "T grad",
        """
        ptrdiff_t r = i / cols;
        int j = (int)(i % cols);
        T p = exp(logp);
        S t = target[r];
        if (t == (S)ignore) t = 0;
        T c = coef[r];
        T gr = p * c;
        if (t == (S)j) gr = gr - c;
        if (mode == 1) gr = gr + gv[r] * (p * (T)cols - (T)1);
        else if (mode == 2) gr = gr + gv[r] * (p * wsum - weight[j]);
        grad = gr;
        """,
        _xent_bwd_fb,
        scalars=frozenset({"cols", "ignore", "mode"}),  # wsum: a 0-d array (no host sync)
        bindings=({"T": "float32", "S": "int64"}, {"T": "float64", "S": "int64"}),
    )
)


# ---- row-wise raw kernels: one block per row, warp-shuffle reductions --------------------------------


def _softmax_fb(xp: Any, x: Any, y: Any, rows: Any, cols: Any, log_mode: Any) -> None:
    xr = x.reshape(int(rows), int(cols))
    s = xr - xr.max(axis=1, keepdims=True)
    if log_mode:
        out = s - xp.log(xp.exp(s).sum(axis=1, keepdims=True))
    else:
        e = xp.exp(s)
        out = e / e.sum(axis=1, keepdims=True)
    y[...] = out.reshape(y.shape)


def _softmax_bwd_fb(xp: Any, g: Any, y: Any, gx: Any, rows: Any, cols: Any, log_mode: Any) -> None:
    gr, yr = g.reshape(int(rows), int(cols)), y.reshape(int(rows), int(cols))
    if log_mode:
        out = gr - xp.exp(yr) * gr.sum(axis=1, keepdims=True)
    else:
        out = yr * (gr - (gr * yr).sum(axis=1, keepdims=True))
    gx[...] = out.reshape(gx.shape)


for _s in ("f32", "f64"):
    _add(Raw(f"eg_softmax_{_s}", SOFTMAX_SRC, _softmax_fb))
    _add(Raw(f"eg_softmax_bwd_{_s}", SOFTMAX_SRC, _softmax_bwd_fb))


def _xent_fb(
    xp: Any, x: Any, target: Any, weight: Any, logp: Any, loss: Any, wt: Any, rows: Any, cols: Any,
    ignore: Any, oml: Any, lsc: Any, has_weight: Any,
) -> None:  # fmt: skip
    r, c = int(rows), int(cols)
    xr = x.reshape(r, c)
    s = xr - xr.max(axis=1, keepdims=True)
    lp = s - xp.log(xp.exp(s).sum(axis=1, keepdims=True))
    logp[...] = lp.reshape(logp.shape)
    valid = target != ignore
    t = xp.where(valid, target, 0)
    picked = xp.take_along_axis(lp, t.reshape(-1, 1), 1).reshape(-1)
    w = xp.where(valid, weight[t] if has_weight else 1, 0).astype(x.dtype)
    out = xp.where(valid, -picked * w, 0).astype(x.dtype)
    if lsc != 0:
        smooth = -(lp * weight.reshape(1, -1)).sum(axis=1) if has_weight else -lp.sum(axis=1)
        out = oml * out + xp.where(valid, smooth, 0) * lsc
    loss[...] = out
    wt[...] = w


for _s in ("f32", "f64"):
    _add(Raw(f"eg_xent_{_s}", XENT_SRC, _xent_fb))
del _s
