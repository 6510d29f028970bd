"""The fused LSTM layer: one primitive runs one direction of one layer over a whole sequence.

Its fast backward works on raw arrays from the activations the forward saved; its Tensor-op backward
(used when a higher-order graph is built) recomputes them from the inputs, so it is differentiable.
"""

from __future__ import annotations

import threading
from typing import Any

from autograd import Tensor, cat, stack
from autograd.ops.base import Primitive, wants


def _flip(a: Any, reverse: bool) -> Any:
    return a[::-1] if reverse else a


def _order(T: int, reverse: bool) -> list[int]:
    return list(range(T - 1, -1, -1)) if reverse else list(range(T))


_OIFG = (3, 0, 1, 2)  # PyTorch's gate blocks (i, f, g, o) in the kernel's order o, i, f, g


def _oifg(xp: Any, H: int) -> Any:
    """Row index taking PyTorch's (i, f, g, o) gate layout to the kernel's (o, i, f, g)."""
    return xp.concatenate([xp.arange(o * H, o * H + H) for o in _OIFG])


_SCRATCH = threading.local()
_SCRATCH_MAX = 1 << 25  # bytes: bigger work arrays are allocated per call rather than kept


def _scratch(xp: Any, name: str, shape: tuple, dtype: Any) -> Any:
    """A reusable work array for one kernel call (never returned to the caller nor saved).

    Fresh multi-megabyte temporaries cost page faults and cache misses on every call; these are
    kept per thread (up to a size cap) and reused while their shape and dtype stay the same.
    """
    cache = getattr(_SCRATCH, "arrays", None)
    if cache is None:
        cache = _SCRATCH.arrays = {}
    key = (name, id(xp))
    arr = cache.get(key)
    if arr is not None and arr.shape == shape and arr.dtype == dtype:
        return arr
    arr = xp.empty(shape, dtype=dtype)
    if arr.nbytes <= _SCRATCH_MAX:
        cache[key] = arr
    else:
        cache.pop(key, None)
    return arr


class LSTMLayer(Primitive):
    """One LSTM layer in one direction over a whole sequence, input projection included.

    ``x`` is ``(T, B, I)``; ``w_hr`` (optional, ``(P, H)``) is PyTorch's projection (``proj_size``).
    Returns a flat array ``[h_1..h_T as (T, B, P) in processing order, c_T as (B, H)]`` (see
    ``lstm_layer``). Internally gates and cell state are feature-major (``(4H, B)``, ``(H, B)``) with
    the gates reordered to o, i, f, g, so every per-step elementwise op runs on a contiguous block
    and the three sigmoids are one block; the projection ``W_ih x + b`` of all steps is one batched
    matmul. The backward works from the saved activations (not the output).
    """

    op = "lstm"
    _saved_inputs = (0, 1, 2, 3, 4, 5, 6, 7)

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, reverse):
        xp = ctx.backend_xp(x)
        T, B, I = x.shape
        G, P = w_hh.shape
        H = G // 4
        dt = x.dtype
        perm = _oifg(xp, H)
        # sigmoid(z) = 0.5 * tanh(z / 2) + 0.5: the sigmoid gates' rows are pre-scaled by 1/2
        bias = b_ih is not None
        ws = xp.empty((G, P), dtype=dt)
        w_in = xp.empty((G, I + bias), dtype=dt)  # [W_ih | b_ih + b_hh], the bias as a column
        for new, old in enumerate(_OIFG):
            src, dst, scale = (
                slice(old * H, old * H + H),
                slice(new * H, new * H + H),
                0.5 if new < 3 else 1.0,
            )
            xp.multiply(w_hh[src], scale, out=ws[dst])
            xp.multiply(w_ih[src], scale, out=w_in[dst, :I])
            if bias:
                xp.add(b_ih[src], b_hh[src], out=w_in[dst, I])
                w_in[dst, I] *= scale
        # z[k] = [x_k | 1 | h_k] (batch-major, processing order): the input projection of all steps is one
        # batched matmul over its x columns, step k's recurrent matmul reads its h columns, and the
        # backward gets every weight gradient from one GEMM over it
        nx = I + bias
        z = xp.empty((T + 1, B, nx + P), dtype=dt)
        z[:T, :, :I] = _flip(x, reverse)
        z[T, :, :nx] = 0
        if bias:
            z[:T, :, I] = 1
        hz = z[:, :, nx:]  # h_0..h_T
        hz[0] = 0 if h0 is None else h0
        xst = xp.matmul(w_in, z[:T, :, :nx].transpose(0, 2, 1), out=_scratch(xp, "xst", (T, G, B), dt))
        cs = xp.empty((T + 1, H, B), dtype=dt)
        cs[0] = 0 if c0 is None else c0.T
        acts = xp.empty((T, G, B), dtype=dt)
        tcs = xp.empty((T, H, B), dtype=dt)
        hr = None if w_hr is None else xp.empty((T, H, B), dtype=dt)
        w_hr_t = None if w_hr is None else w_hr.T
        ig = xp.empty((H, B), dtype=dt)
        for k in range(T):
            a = acts[k]
            xp.matmul(ws, hz[k].T, out=a)
            a += xst[k]
            xp.tanh(a, out=a)
            sig = a[: 3 * H]
            sig *= 0.5
            sig += 0.5
            c = cs[k + 1]
            xp.multiply(a[2 * H : 3 * H], cs[k], out=c)  # f * c_prev
            xp.multiply(a[H : 2 * H], a[3 * H :], out=ig)  # i * g
            c += ig
            xp.tanh(c, out=tcs[k])
            if hr is None:
                xp.multiply(a[:H], tcs[k], out=hz[k + 1].T)  # o * tanh(c)
            else:
                xp.multiply(a[:H], tcs[k], out=hr[k])
                xp.matmul(hr[k].T, w_hr_t, out=hz[k + 1])
        n = T * B * P
        flat = xp.empty(n + B * H, dtype=dt)
        flat[:n].reshape(T, B, P)[...] = hz[1:]
        flat[n:].reshape(B, H)[...] = cs[T].T
        ctx.saved = (acts, cs, tcs, z, hr, perm)
        return flat

    @staticmethod
    def backward_raw(ctx, gout):
        x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, reverse = ctx.inputs
        acts, cs, tcs, z, hr, perm = ctx.saved
        T, B, I = x.shape
        G, P = w_hh.shape
        H = G // 4
        xp = ctx.backend_xp(gout)
        dt = gout.dtype
        n = T * B * P
        ghs = gout[:n].reshape(T, B, P)  # grads of h_1..h_T, processing order
        dc = xp.ascontiguousarray(gout[n:].reshape(B, H).T)
        wt = w_hh._data[perm].T  # (P, G), a transposed view (BLAS takes it as is)
        w_hr_t = None if w_hr is None else xp.ascontiguousarray(w_hr._data.T)
        dpre = _scratch(xp, "dpre", (T, G, B), dt)
        dhs = None if hr is None else xp.empty((T, P, B), dtype=dt)
        dh_next = xp.zeros((P, B), dtype=dt)
        tmp, t2 = xp.empty((H, B), dtype=dt), xp.empty((H, B), dtype=dt)
        s3 = xp.empty((3 * H, B), dtype=dt)
        # activation derivatives are formed per step: recomputing them in cache beats a pass over
        # the whole saved sequence
        for k in range(T - 1, -1, -1):
            dh = ghs[k].T + dh_next
            if dhs is None:
                dhr = dh
            else:
                dhs[k] = dh
                dhr = w_hr_t @ dh
            a, d, tc = acts[k], dpre[k], tcs[k]
            xp.multiply(dhr, tc, out=d[:H])  # o
            xp.multiply(dhr, a[:H], out=tmp)
            xp.multiply(tc, tc, out=t2)
            xp.subtract(1, t2, out=t2)
            tmp *= t2
            dc += tmp  # dc += dh * o * tanh'(c)
            xp.multiply(dc, a[3 * H :], out=d[H : 2 * H])  # i
            xp.multiply(dc, cs[k], out=d[2 * H : 3 * H])  # f
            xp.multiply(dc, a[H : 2 * H], out=d[3 * H :])  # g
            xp.subtract(1, a[: 3 * H], out=s3)
            s3 *= a[: 3 * H]
            d[: 3 * H] *= s3  # sigmoid' = s (1 - s)
            xp.multiply(a[3 * H :], a[3 * H :], out=t2)
            xp.subtract(1, t2, out=t2)
            d[3 * H :] *= t2  # tanh' = 1 - g^2
            dc *= a[2 * H : 3 * H]  # through f
            dh_next = wt @ d
        d2 = _scratch(xp, "d2", (G, T, B), dt)
        d2[...] = dpre.transpose(1, 0, 2)
        d2 = d2.reshape(G, T * B)  # (G, T*B), processing order
        n_ih, n_b, n_hh = wants(w_ih), wants(b_ih) or wants(b_hh), wants(w_hh)
        dx = dwi = dwh = db_ih = db_hh = dwr = None
        if n_ih or n_b or n_hh:
            nx = z.shape[2] - P
            dcat = xp.empty((G, z.shape[2]), dtype=dt)
            dcat[perm] = d2 @ z[:T].reshape(T * B, -1)  # columns [x | 1 | h_prev]: dW_ih, db, dW_hh
            dwi = dcat[:, :I] if n_ih else None
            dwh = dcat[:, nx:] if n_hh else None
            if n_b:
                db = dcat[:, I]
                db_ih = db if wants(b_ih) else None
                db_hh = (db.copy() if db_ih is not None else db) if wants(b_hh) else None
        if wants(x):
            dx = _flip((d2.T @ w_ih._data[perm]).reshape(T, B, I), reverse)
        if wants(w_hr):
            dwr = xp.tensordot(dhs, hr, axes=([0, 2], [0, 2]))
        dh0 = xp.ascontiguousarray(dh_next.T) if wants(h0) else None
        dc0 = xp.ascontiguousarray(dc.T) if wants(c0) else None
        return dx, dwi, dwh, db_ih, db_hh, dh0, dc0, dwr, None

    @staticmethod
    def backward(ctx, gout):
        x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, reverse = ctx.inputs
        T, B, I = x.shape
        G, P = w_hh.shape
        H = G // 4
        n = T * B * P
        gh = gout[:n].reshape(T, B, P)  # processing order
        gc = gout[n:].reshape(B, H)
        xproj = x @ w_ih.t()
        if b_ih is not None:
            xproj = xproj + (b_ih + b_hh)
        h = h0 if h0 is not None else x.new_zeros((B, P))
        c = c0 if c0 is not None else x.new_zeros((B, H))
        order = _order(T, reverse)
        steps = []
        for t in order:  # recompute the activations as functions of the inputs
            i, f, g, o = (xproj[t] + h @ w_hh.t()).chunk(4, -1)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            c_new = f * c + i * g
            tc = c_new.tanh()
            hraw = o * tc
            steps.append((i, f, g, o, c, tc, h, hraw))
            h, c = (hraw if w_hr is None else hraw @ w_hr.t()), c_new
        dpre, dhs = [None] * T, [None] * T
        dh_next, dc = None, gc
        for k in range(T - 1, -1, -1):
            i, f, g, o, c_prev, tc, h_prev, hraw = steps[k]
            dh = gh[k] if dh_next is None else gh[k] + dh_next
            dhs[k] = dh
            dhr = dh if w_hr is None else dh @ w_hr
            dc = dc + dhr * o * (1 - tc * tc)
            d = cat(
                [
                    dc * g * i * (1 - i),
                    dc * c_prev * f * (1 - f),
                    dc * i * (1 - g * g),
                    dhr * tc * o * (1 - o),
                ],
                -1,
            )
            dpre[k] = d
            dh_next = d @ w_hh
            dc = dc * f
        if T == 0:
            dh_next = x.new_zeros((B, P))
        need = ctx.needs_input_grad
        dxp = stack(dpre[::-1] if reverse else dpre) if T else x.new_zeros((0, B, G))  # time order
        dx = dxp @ w_ih if need[0] else None
        dwi = dxp.flatten(0, 1).t() @ x.flatten(0, 1) if need[1] else None
        dwh = dwr = None
        if need[2]:
            dwh = stack(dpre).flatten(0, 1).t() @ stack([s[6] for s in steps]).flatten(0, 1)
        db = dxp.sum((0, 1)) if (need[3] or need[4]) else None
        if need[7]:
            dwr = stack(dhs).flatten(0, 1).t() @ stack([s[7] for s in steps]).flatten(0, 1)
        return (
            dx,
            dwi,
            dwh,
            db if need[3] else None,
            db if need[4] else None,
            dh_next if need[5] else None,
            dc if need[6] else None,
            dwr,
            None,
        )


def lstm_layer(
    x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any, h0: Any, c0: Any, w_hr: Any, reverse: bool
) -> tuple:
    """Run one LSTM direction; returns ``(outputs (T, B, P), h_T (B, P), c_T (B, H))``."""
    T, B = x.shape[0], x.shape[1]
    G, P = w_hh.shape
    H = G // 4
    flat = LSTMLayer.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, reverse)
    n = T * B * P
    out = flat[:n].reshape(T, B, P)  # processing order
    if reverse:
        out = out.flip(0)
    if T:
        h_last = flat[n - B * P : n].reshape(B, P)
    else:
        h_last = h0 if h0 is not None else x.new_zeros((B, P))
    return out, h_last, flat[n:].reshape(B, H)
