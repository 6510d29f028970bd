"""Recurrent kernels: one fused primitive per layer type runs one direction over a whole sequence.

(The LSTM's lives in ``_lstm.py``; this file has the GRU, Elman RNN and the single-step cells.)

The input projection ``x @ W_ih^T + b`` is computed beforehand in one matmul, so only ``h @ W_hh^T``
runs per step. The fast backward (``backward_raw``) works on the activations saved by the forward;
the Tensor-op ``backward`` (used when a higher-order graph is built) recomputes them from the inputs,
so it is itself differentiable. The cell functions are plain Tensor-op compositions.
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor, cat, stack
from autograd.ops.base import Primitive, wants

from ._lstm import LSTMLayer, _flip, _order, lstm_layer  # noqa: F401  (LSTM lives in _lstm.py)

__all__: list[str] = []  # recurrent ops are internal: PyTorch's F has none


# ---- single steps, composed of Tensor ops (the *Cell modules) -------------------------------------


def _gates(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None) -> Any:
    gi = x @ w_ih.t()
    gh = h @ w_hh.t()
    if b_ih is not None:
        gi = gi + b_ih
    if b_hh is not None:
        gh = gh + b_hh
    return gi, gh


def rnn_tanh_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step ``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    gi, gh = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    return (gi + gh).tanh()


def rnn_relu_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None) -> Tensor:
    """One Elman step with a ReLU."""
    gi, gh = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    return (gi + gh).relu()


def lstm_cell(x: Tensor, hx: tuple, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None) -> tuple:
    """One LSTM step with PyTorch's gate order (i, f, g, o); returns ``(h, c)``."""
    h, c = hx
    gi, gh = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    i, f, g, o = (gi + gh).chunk(4, -1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c


def gru_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih=None, b_hh=None) -> Tensor:
    """One GRU step, gates (r, z, n) with ``r`` applied to ``(W_hn h + b_hn)`` as in PyTorch."""
    gi, gh = _gates(x, h, w_ih, w_hh, b_ih, b_hh)
    ir, iz, in_ = gi.chunk(3, -1)
    hr, hz, hn = gh.chunk(3, -1)
    r = (ir + hr).sigmoid()
    z = (iz + hz).sigmoid()
    n = (in_ + r * hn).tanh()
    return n + z * (h - n)


# ---- whole-sequence layers -------------------------------------------------------------------------


def _init_state(xp: Any, shape: tuple, dtype: Any, given: Any) -> Any:
    out = xp.empty(shape, dtype=dtype)
    out[...] = 0 if given is None else given
    return out


class GRULayer(Primitive):
    """GRU over a sequence: ``(T, B, 3H)`` projected input (with ``b_ih``) -> ``(T, B, H)`` hidden states.

    ``b_hh`` stays separate because ``r`` multiplies ``(W_hn h + b_hn)``.
    """

    op = "gru"
    _saved_inputs = (0, 1, 2, 3)

    @staticmethod
    def forward(ctx, xproj, w_hh, b_hh, h0, reverse):
        xp = ctx.backend_xp(xproj)
        T, B, G = xproj.shape
        H = G // 3
        dt = xproj.dtype
        xs = _flip(xproj, reverse)
        wt = w_hh.T
        hs = _init_state(xp, (T + 1, B, H), dt, h0)
        rz = xp.empty((T, B, 2 * H), dtype=dt)
        ns = xp.empty((T, B, H), dtype=dt)
        hns = xp.empty((T, B, H), dtype=dt)
        hp = xp.empty((B, G), dtype=dt)
        for k in range(T):
            xp.matmul(hs[k], wt, out=hp)
            if b_hh is not None:
                hp += b_hh
            r_z = rz[k]
            xp.add(xs[k][:, : 2 * H], hp[:, : 2 * H], out=r_z)
            r_z *= 0.5  # sigmoid via tanh
            xp.tanh(r_z, out=r_z)
            r_z *= 0.5
            r_z += 0.5
            hns[k] = hp[:, 2 * H :]
            n = ns[k]
            xp.multiply(r_z[:, :H], hns[k], out=n)
            n += xs[k][:, 2 * H :]
            xp.tanh(n, out=n)
            h1 = hs[k + 1]
            xp.subtract(hs[k], n, out=h1)
            h1 *= r_z[:, H:]
            h1 += n
        ctx.saved = (rz, ns, hns, hs)
        return _flip(hs[1:], reverse).copy()

    @staticmethod
    def backward_raw(ctx, gout):
        xproj, w_hh, b_hh, h0, reverse = ctx.inputs
        rz, ns, hns, hs = ctx.saved
        xp = ctx.backend_xp(gout)
        T, B, H = gout.shape
        G = 3 * H
        gh = _flip(gout, reverse)
        drz = rz * (1 - rz)
        dn_all = 1 - ns * ns
        dxs = xp.empty((T, B, G), dtype=gout.dtype)
        dhp = xp.empty((T, B, G), dtype=gout.dtype)
        w = w_hh._data
        dh_next = xp.zeros((B, H), dtype=gout.dtype)
        tmp = xp.empty((B, H), dtype=gout.dtype)
        for k in range(T - 1, -1, -1):
            dh = gh[k] + dh_next
            r, z = rz[k][:, :H], rz[k][:, H:]
            dx, dp = dxs[k], dhp[k]
            dn = dx[:, 2 * H :]
            xp.subtract(dh, dh * z, out=dn)
            dn *= dn_all[k]  # d pre-activation of n
            xp.multiply(dn, hns[k], out=dx[:, :H])
            xp.subtract(hs[k], ns[k], out=tmp)
            xp.multiply(dh, tmp, out=dx[:, H : 2 * H])
            dx[:, : 2 * H] *= drz[k]
            dp[:, : 2 * H] = dx[:, : 2 * H]
            xp.multiply(dn, r, out=dp[:, 2 * H :])
            dh_next = dp @ w
            dh *= z
            dh_next += dh
        dxp = _flip(dxs, reverse) if wants(xproj) else None
        dw = dhp.reshape(-1, G).T @ hs[:T].reshape(-1, H) if wants(w_hh) else None
        db = dhp.reshape(-1, G).sum(0) if wants(b_hh) else None
        return dxp, dw, db, (dh_next if wants(h0) else None), None

    @staticmethod
    def backward(ctx, gout):
        xproj, w_hh, b_hh, h0, reverse = ctx.inputs
        T, B, H = gout.shape
        h = h0 if h0 is not None else xproj.new_zeros((B, H))
        order = _order(T, reverse)
        steps = []
        for t in order:
            hp = h @ w_hh.t()
            if b_hh is not None:
                hp = hp + b_hh
            xr, xz, xn = xproj[t].chunk(3, -1)
            hr, hz, hn = hp.chunk(3, -1)
            r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
            n = (xn + r * hn).tanh()
            steps.append((r, z, n, hn, h))
            h = n + z * (h - n)
        dxs, dhps = [None] * T, [None] * T
        dh_next = None
        for k in range(T - 1, -1, -1):
            r, z, n, hn, h_prev = steps[k]
            dh = gout[order[k]] if dh_next is None else gout[order[k]] + dh_next
            dn = dh * (1 - z) * (1 - n * n)
            dr = dn * hn * r * (1 - r)
            dz = dh * (h_prev - n) * z * (1 - z)
            dxs[k] = cat([dr, dz, dn], -1)
            dhps[k] = cat([dr, dz, dn * r], -1)
            dh_next = dh * z + dhps[k] @ w_hh
        if T == 0:
            dh_next = xproj.new_zeros((B, H))
        need = ctx.needs_input_grad
        dx = stack(dxs[::-1] if reverse else dxs) if need[0] else None
        dhp = stack(dhps).flatten(0, 1) if (need[1] or need[2]) else None
        dw = dhp.t() @ stack([s[4] for s in steps]).flatten(0, 1) if need[1] else None
        db = dhp.sum(0) if need[2] else None
        return dx, dw, db, (dh_next if need[3] else None), None


class RNNLayer(Primitive):
    """Elman RNN over a sequence: ``(T, B, H)`` projected input (both biases folded in) -> hidden states."""

    op = "rnn"
    _saved_inputs = (0, 1, 2)

    @staticmethod
    def forward(ctx, xproj, w_hh, h0, reverse, relu):
        xp = ctx.backend_xp(xproj)
        T, B, H = xproj.shape
        xs = _flip(xproj, reverse)
        wt = w_hh.T
        hs = _init_state(xp, (T + 1, B, H), xproj.dtype, h0)
        for k in range(T):
            h1 = hs[k + 1]
            xp.matmul(hs[k], wt, out=h1)
            h1 += xs[k]
            if relu:
                xp.maximum(h1, 0, out=h1)
            else:
                xp.tanh(h1, out=h1)
        ctx.saved = hs
        return _flip(hs[1:], reverse).copy()

    @staticmethod
    def backward_raw(ctx, gout):
        xproj, w_hh, h0, reverse, relu = ctx.inputs
        hs = ctx.saved
        xp = ctx.backend_xp(gout)
        T, B, H = gout.shape
        gh = _flip(gout, reverse)
        deriv = (hs[1:] > 0).astype(gout.dtype) if relu else 1 - hs[1:] * hs[1:]
        dpre = xp.empty((T, B, H), dtype=gout.dtype)
        w = w_hh._data
        dh_next = xp.zeros((B, H), dtype=gout.dtype)
        for k in range(T - 1, -1, -1):
            d = dpre[k]
            xp.add(gh[k], dh_next, out=d)
            d *= deriv[k]
            dh_next = d @ w
        dx = _flip(dpre, reverse) if wants(xproj) else None
        dw = dpre.reshape(-1, H).T @ hs[:T].reshape(-1, H) if wants(w_hh) else None
        return dx, dw, (dh_next if wants(h0) else None), None, None

    @staticmethod
    def backward(ctx, gout):
        xproj, w_hh, h0, reverse, relu = ctx.inputs
        T, B, H = gout.shape
        h = h0 if h0 is not None else xproj.new_zeros((B, H))
        order = _order(T, reverse)
        hs = [h]
        for t in order:
            pre = xproj[t] + hs[-1] @ w_hh.t()
            hs.append(pre.relu() if relu else pre.tanh())
        dpre = [None] * T
        dh_next = None
        for k in range(T - 1, -1, -1):
            dh = gout[order[k]] if dh_next is None else gout[order[k]] + dh_next
            h1 = hs[k + 1]
            dpre[k] = dh * (h1 > 0).to(dh.dtype) if relu else dh * (1 - h1 * h1)
            dh_next = dpre[k] @ w_hh
        if T == 0:
            dh_next = xproj.new_zeros((B, H))
        need = ctx.needs_input_grad
        dx = stack(dpre[::-1] if reverse else dpre) if need[0] else None
        dw = stack(dpre).flatten(0, 1).t() @ stack(hs[:T]).flatten(0, 1) if need[1] else None
        return dx, dw, (dh_next if need[2] else None), None, None


def gru_layer(xproj: Tensor, w_hh: Tensor, b_hh: Any, h0: Any, reverse: bool) -> tuple:
    """Run one GRU direction; returns ``(outputs (T, B, H), h_T (B, H))``."""
    out = GRULayer.apply(xproj, w_hh, b_hh, h0, reverse)
    return out, _last(out, h0, reverse)


def rnn_layer(xproj: Tensor, w_hh: Tensor, h0: Any, reverse: bool, relu: bool) -> tuple:
    """Run one Elman RNN direction; returns ``(outputs (T, B, H), h_T (B, H))``."""
    out = RNNLayer.apply(xproj, w_hh, h0, reverse, relu)
    return out, _last(out, h0, reverse)


def _last(out: Tensor, h0: Any, reverse: bool) -> Tensor:
    T = out.shape[0]
    if T == 0:
        return h0 if h0 is not None else out.new_zeros(out.shape[1:])
    return out[0 if reverse else T - 1]
