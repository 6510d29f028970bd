"""Pooling kernels, written against ``self.xp``.

Arrays are logically NCHW (1-d callers add a unit H axis) in any memory layout; each kernel works on
strided views of its input, one per kernel offset, so a channels-last input stays channels-last.
Max pooling keeps no index array: its backward recomputes which element of each window won (the
first maximum, as PyTorch), which costs less than tracking an argmax in the forward.
"""

from __future__ import annotations

from typing import Any

Pad2 = tuple[tuple[int, int], tuple[int, int]]


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length along one axis."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or the left padding
    return out


class PoolKernels:
    """Max/avg pooling forward and backward; mixed into every Backend."""

    # ---- geometry and views --------------------------------------------------------------------
    @staticmethod
    def pool_geometry(hw: tuple, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool) -> tuple:
        """Output size and the ((top, bottom), (left, right)) padding its windows read."""
        out, pads = [], []
        for size, kk, ss, pp, dd in zip(hw, k, s, p, d):
            o = pool_out_size(size, kk, ss, pp, dd, ceil_mode)
            need = (o - 1) * ss + dd * (kk - 1) + 1
            out.append(o)
            pads.append((pp, max(need - size - pp, 0)))
        return tuple(out), tuple(pads)

    @staticmethod
    def _mem_order(x: Any) -> list[int]:
        """Axes from outermost to innermost in memory (unit axes keep their logical place)."""
        return sorted(range(x.ndim), key=lambda a: (-x.strides[a] if x.shape[a] > 1 else 0, a))

    def _match_layout(self, a: Any, ref: Any) -> Any:
        """``a`` in ``ref``'s memory order (one copy if it differs): mixed layouts make every later op slow."""
        if a.shape != ref.shape or self._mem_order(a) == self._mem_order(ref):
            return a
        buf = self._like_layout(ref, ref.shape[2:], None)
        buf[...] = a
        return buf

    def _like_layout(self, x: Any, hw: tuple, fill: float | None) -> Any:
        """A new (N, C, *hw) array in ``x``'s memory order (channels-last stays so); None = uninitialised."""
        xp = self.xp
        shape = x.shape[:2] + tuple(hw)
        order = self._mem_order(x)
        mem = tuple(shape[a] for a in order)
        if fill is None:
            buf = xp.empty(mem, dtype=x.dtype)
        elif fill == 0:
            buf = xp.zeros(mem, dtype=x.dtype)
        else:
            buf = xp.full(mem, fill, dtype=x.dtype)
        inv = [order.index(a) for a in range(4)]
        return buf.transpose(inv)

    def _pool_pad(self, x: Any, pads: Pad2, fill: float) -> Any:
        (pt, pb), (pl, pr) = pads
        if not (pt or pb or pl or pr):
            return x
        h, w = x.shape[2:]
        buf = self._like_layout(x, (h + pt + pb, w + pl + pr), fill)
        buf[:, :, pt : pt + h, pl : pl + w] = x
        return buf

    @staticmethod
    def _windows(a: Any, k: tuple, s: tuple, d: tuple, out_hw: tuple) -> list:
        """One strided view of ``a`` per kernel offset, in row-major offset order."""
        (kh, kw), (sh, sw), (dh, dw), (ho, wo) = k, s, d, out_hw
        return [
            a[:, :, i * dh : i * dh + (ho - 1) * sh + 1 : sh, j * dw : j * dw + (wo - 1) * sw + 1 : sw]
            for i in range(kh)
            for j in range(kw)
        ]

    # ---- max pooling -------------------------------------------------------------------------------
    def max_pool2d(self, x: Any, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool) -> Any:
        xp = self.xp
        out_hw, pads = self.pool_geometry(x.shape[2:], k, s, p, d, ceil_mode)
        views = self._windows(self._pool_pad(x, pads, float("-inf")), k, s, d, out_hw)
        if len(views) == 1:
            return xp.copy(views[0])
        out = xp.maximum(views[0], views[1])
        for v in views[2:]:
            xp.maximum(out, v, out=out)
        return out

    def _max_hits(self, x: Any, out: Any, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool):
        """For each kernel offset: (offset index, mask of the windows whose first maximum sits there)."""
        xp = self.xp
        out_hw, pads = self.pool_geometry(x.shape[2:], k, s, p, d, ceil_mode)
        views = self._windows(self._pool_pad(x, pads, float("-inf")), k, s, d, out_hw)
        valid = None
        if any(a or b for a, b in pads) and bool((out == float("-inf")).any()):
            # a window whose maximum is -inf must not pick a padding cell: its first real cell wins, as in PyTorch
            h, w = x.shape[2:]
            (pt, pb), (pl, pr) = pads
            inside = xp.zeros((1, 1, h + pt + pb, w + pl + pr), dtype=bool)
            inside[:, :, pt : pt + h, pl : pl + w] = True
            valid = self._windows(inside, k, s, d, out_hw)
        free = None
        last = len(views) - 1
        nan = bool(xp.isnan(out).any())  # a NaN is the maximum of its window, as in PyTorch
        for idx, v in enumerate(views):
            hit = v == out
            if nan:
                hit |= xp.isnan(v)
            if valid is not None:
                hit &= valid[idx]
            if free is not None:
                xp.logical_and(hit, free, out=hit)
            if idx < last:
                free = xp.logical_not(hit) if free is None else xp.logical_xor(free, hit, out=free)
            yield idx, hit

    def max_pool2d_backward(
        self, x: Any, out: Any, g: Any, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool
    ) -> Any:
        """Route each output gradient to the first maximum of its window."""
        xp = self.xp
        out_hw, pads = self.pool_geometry(x.shape[2:], k, s, p, d, ceil_mode)
        (pt, pb), (pl, pr) = pads
        h, w = x.shape[2:]
        disjoint = all(ss >= dd * (kk - 1) + 1 for kk, ss, dd in zip(k, s, d))
        # windows that tile the padded input exactly write every element: no zero fill needed
        tiles = all(ss == kk and dd == 1 for kk, ss, dd in zip(k, s, d)) and all(
            o * kk == size + p0 + p1 for o, kk, size, (p0, p1) in zip(out_hw, k, (h, w), pads)
        )
        gpad = self._like_layout(x, (h + pt + pb, w + pl + pr), None if tiles else 0)
        gviews = self._windows(gpad, k, s, d, out_hw)
        g = self._match_layout(g, out)
        for idx, hit in self._max_hits(x, out, k, s, p, d, ceil_mode):
            if disjoint:
                xp.multiply(g, hit, out=gviews[idx])
            else:
                gviews[idx] += g * hit
        return gpad[:, :, pt : pt + h, pl : pl + w]

    def max_pool2d_indices(
        self, x: Any, out: Any, k: tuple, s: tuple, p: tuple, d: tuple, ceil_mode: bool
    ) -> Any:
        """PyTorch's ``return_indices``: each window's first maximum as a flat index into H*W (int64)."""
        xp = self.xp
        kidx = xp.zeros(out.shape, dtype=xp.int64)
        for idx, hit in self._max_hits(x, out, k, s, p, d, ceil_mode):
            if idx:
                kidx = xp.where(hit, idx, kidx)
        ho, wo = out.shape[2:]
        w = x.shape[3]
        rows = xp.arange(ho, dtype=xp.int64).reshape(ho, 1) * s[0] - p[0] + (kidx // k[1]) * d[0]
        cols = xp.arange(wo, dtype=xp.int64) * s[1] - p[1] + (kidx % k[1]) * d[1]
        return rows * w + cols

    # ---- average pooling ---------------------------------------------------------------------------
    def _avg_scale(
        self,
        hw: tuple,
        k: tuple,
        s: tuple,
        p: tuple,
        out_hw: tuple,
        include_pad: bool,
        divisor: Any,
        dtype: Any,
    ) -> Any:
        """1/divisor per output position (a scalar when all windows count the same), as PyTorch's."""
        if divisor:
            return 1.0 / divisor
        counts = []
        for size, kk, ss, pp, o in zip(hw, k, s, p, out_hw):
            c = []
            for i in range(o):
                start = i * ss - pp
                end = min(start + kk, size + pp)
                c.append(end - start if include_pad else min(end, size) - max(start, 0))
            counts.append(c)
        ch, cw = counts
        if len(set(ch)) == 1 and len(set(cw)) == 1:
            return 1.0 / (ch[0] * cw[0])
        xp = self.xp
        num = xp.asarray(ch, dtype=dtype).reshape(-1, 1) * xp.asarray(cw, dtype=dtype).reshape(1, -1)
        return 1 / num

    def avg_pool2d(
        self, x: Any, k: tuple, s: tuple, p: tuple, ceil_mode: bool, include_pad: bool, divisor: Any = None
    ) -> Any:
        xp = self.xp
        d = (1, 1)
        out_hw, pads = self.pool_geometry(x.shape[2:], k, s, p, d, ceil_mode)
        views = self._windows(self._pool_pad(x, pads, 0), k, s, d, out_hw)
        out = xp.copy(views[0]) if len(views) == 1 else xp.add(views[0], views[1])
        for v in views[2:]:
            xp.add(out, v, out=out)
        out *= self._avg_scale(x.shape[2:], k, s, p, out_hw, include_pad, divisor, x.dtype)
        return out

    def avg_pool2d_backward(
        self,
        g: Any,
        in_hw: tuple,
        k: tuple,
        s: tuple,
        p: tuple,
        ceil_mode: bool,
        include_pad: bool,
        divisor: Any = None,
    ) -> Any:
        """Spread each output gradient evenly over its window (``avg_pool2d``'s adjoint)."""
        d = (1, 1)
        out_hw, pads = self.pool_geometry(in_hw, k, s, p, d, ceil_mode)
        (pt, pb), (pl, pr) = pads
        h, w = in_hw
        gs = g * self._avg_scale(in_hw, k, s, p, out_hw, include_pad, divisor, g.dtype)
        gpad = self._like_layout(g, (h + pt + pb, w + pl + pr), 0)
        disjoint = all(ss >= kk for kk, ss in zip(k, s))
        for v in self._windows(gpad, k, s, d, out_hw):
            if disjoint:
                v[...] = gs
            else:
                v += gs
        return gpad[:, :, pt : pt + h, pl : pl + w]

    # ---- adaptive max pooling ----------------------------------------------------------------------
    def adaptive_max_pool2d_indices(self, x: Any, out_hw: tuple) -> Any:
        """Flat H*W index of each adaptive window's first maximum (windows [floor(i*H/o), ceil((i+1)*H/o)))."""
        xp = self.xp
        n, c, h, w = x.shape
        idx_axes = []
        for size, o in zip((h, w), out_hw):
            starts = [(i * size) // o for i in range(o)]
            ends = [-((-(i + 1) * size) // o) for i in range(o)]
            k = max(e - s for s, e in zip(starts, ends))
            # windows shorter than k repeat their last element: it never beats the earlier copy
            rows = [[min(s + t, e - 1) for t in range(k)] for s, e in zip(starts, ends)]
            idx_axes.append(xp.asarray(rows, dtype=xp.int64))
        r, cc = idx_axes
        (oh, kh), (ow, kw) = r.shape, cc.shape
        win = x[:, :, r.reshape(-1), :].reshape(n, c, oh, kh, w)[..., cc.reshape(-1)]
        win = win.reshape(n, c, oh, kh, ow, kw).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, oh, ow, kh * kw)
        a = xp.argmax(win, axis=-1)
        rows = r[xp.arange(oh).reshape(oh, 1), a // kw]
        cols = cc[xp.arange(ow).reshape(1, ow), a % kw]
        return rows * w + cols
