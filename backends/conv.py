"""Convolution kernels (im2col + one GEMM per conv, col2im for the input gradient), written against ``self.xp``.

Arrays are logically NCHW (1-d callers add a unit H axis). Inside, the kernels prefer channels-last
memory: a conv returns an NCHW *view* of an NHWC buffer, so the next conv reads it without a copy.
The column matrix is built from one strided view (``as_strided``) and one copy; array modules without
``as_strided`` get the same matrix from kh*kw slice copies. Padding is ((top, bottom), (left, right)).
"""

from __future__ import annotations

from typing import Any

Pad2 = tuple[tuple[int, int], tuple[int, int]]


def conv_out_size(size: int, k: int, s: int, pad: tuple[int, int], d: int) -> int:
    """Output length of a convolution along one axis (floor mode)."""
    return (size + pad[0] + pad[1] - d * (k - 1) - 1) // s + 1


class ConvKernels:
    """Convolution forward and gradients; mixed into every Backend."""

    # ---- strided views ---------------------------------------------------------------------------
    def as_strided(self, a: Any, shape: tuple, strides: tuple) -> Any | None:
        """A strided view of ``a`` (strides in bytes), or None when the array module has none."""
        st = getattr(getattr(self.xp, "lib", None), "stride_tricks", None)
        fn = getattr(st, "as_strided", None)
        if fn is None:
            return None
        try:
            return fn(a, shape=shape, strides=strides)
        except TypeError:  # an array module whose ``lib`` is not its own (a host-only as_strided)
            return None

    def _padded(self, x: Any, pad: Pad2, channels_last: bool) -> Any:
        """``x`` (N, C, H, W) zero-padded, returned as NHWC (channels_last) or NCHW-indexed memory."""
        xp = self.xp
        (pt, pb), (pl, pr) = pad
        n, c, h, w = x.shape
        if channels_last:
            xh = x.transpose(0, 2, 3, 1)
            if not (pt or pb or pl or pr):
                return xh if xh.flags.c_contiguous else xp.ascontiguousarray(xh)
            buf = xp.zeros((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)
            buf[:, pt : pt + h, pl : pl + w, :] = xh
            return buf
        if not (pt or pb or pl or pr):
            return x
        buf = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
        buf[:, :, pt : pt + h, pl : pl + w] = x
        return buf

    # ---- im2col ------------------------------------------------------------------------------------
    conv_chunk_bytes = 1 << 19  # CPU: GEMM on cache-sized blocks of the batch; 0 = the whole batch at once

    def _chunks(self, n: int, rows_per_sample: int, row_bytes: int, scale: int = 1) -> list[tuple[int, int]]:
        """Batch ranges whose column blocks fit ``scale * conv_chunk_bytes`` (at least one sample each).

        Skinny GEMMs (few output channels) gain most from cache-sized blocks (scale 1); wider ones and
        the scatter-adds of col2im prefer bigger blocks, which also bound the temporaries' memory.
        """
        cb = self.conv_chunk_bytes * scale
        if not cb:
            return [(0, n)]
        nb = max(1, cb // max(rows_per_sample * row_bytes, 1))
        return [(i, min(i + nb, n)) for i in range(0, n, nb)]

    def _matmul_into(self, a: Any, b: Any, out: Any) -> None:
        """``out[...] = a @ b``, straight into ``out`` when it is contiguous."""
        if out.flags.c_contiguous:
            self.xp.matmul(a, b, out=out)
        else:
            out[...] = self.xp.matmul(a, b)

    @staticmethod
    def _use_chw(x: Any, cg: int) -> bool:
        """Few channels in channel-major memory (a first layer on images): rows of Wo are the long runs."""
        return cg <= 3 and (x.shape[1] == 1 or x.strides[1] >= x.strides[3])

    def _window_view(self, x: Any, order: str, geo: tuple) -> Any | None:
        """All sliding windows of the padded input as one strided view (None without ``as_strided``).

        'hwc' (channels-last input): (N, Ho, Wo, groups, kh, kw, Cg); 'chw': (groups, Cg, kh, kw, N, Ho, Wo).
        """
        (kh, kw), (sh, sw), (dh, dw), (ho, wo), groups, cg = geo
        n = x.shape[0]
        if order == "hwc":
            s_n, s_h, s_w, s_c = x.strides
            shape = (n, ho, wo, groups, kh, kw, cg)
            return self.as_strided(x, shape, (s_n, sh * s_h, sw * s_w, cg * s_c, dh * s_h, dw * s_w, s_c))
        s_n, s_c, s_h, s_w = x.strides
        shape = (groups, cg, kh, kw, n, ho, wo)
        return self.as_strided(x, shape, (cg * s_c, s_c, dh * s_h, dw * s_w, s_n, sh * s_h, sw * s_w))

    def _cols_into(self, buf: Any, x: Any, view: Any, order: str, geo: tuple, n0: int, n1: int) -> None:
        """Copy the windows of samples n0:n1 into the 7-d column buffer: one strided copy, or kh*kw slices."""
        (kh, kw), (sh, sw), (dh, dw), (ho, wo), groups, cg = geo
        if order == "hwc":
            if view is not None:
                buf[n0:n1] = view[n0:n1]
                return
            for i in range(kh):
                for j in range(kw):
                    win = x[
                        n0:n1,
                        i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                        j * dw : j * dw + (wo - 1) * sw + 1 : sw,
                    ]
                    buf[n0:n1, :, :, :, i, j] = win.reshape(n1 - n0, ho, wo, groups, cg)
            return
        if view is not None:
            buf[:, :, :, :, n0:n1] = view[:, :, :, :, n0:n1]
            return
        for i in range(kh):
            for j in range(kw):
                win = x[
                    n0:n1,
                    :,
                    i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                    j * dw : j * dw + (wo - 1) * sw + 1 : sw,
                ]
                buf[:, :, i, j, n0:n1] = win.transpose(1, 0, 2, 3).reshape(groups, cg, n1 - n0, ho, wo)

    def _geometry(
        self, x_shape: tuple, ksize: tuple, stride: tuple, pad: Pad2, dil: tuple, groups: int
    ) -> tuple:
        n, c, h, w = x_shape
        kh, kw = ksize
        ho = conv_out_size(h, kh, stride[0], pad[0], dil[0])
        wo = conv_out_size(w, kw, stride[1], pad[1], dil[1])
        return (ksize, stride, dil, (ho, wo), groups, c // groups)

    def _col_buffer(self, x: Any, geo: tuple, order: str) -> Any:
        (kh, kw), _, _, (ho, wo), groups, cg = geo
        n = x.shape[0]
        if order == "hwc":
            return self.xp.empty((n, ho, wo, groups, kh, kw, cg), dtype=x.dtype)
        return self.xp.empty((groups, cg, kh, kw, n, ho, wo), dtype=x.dtype)

    def _cols(self, x: Any, ksize: tuple, stride: tuple, pad: Pad2, dil: tuple, groups: int) -> tuple:
        """The whole column matrix of ``x``: 'hwc' as (M, groups, Kg), 'chw' as (groups, Kg, M)."""
        geo = self._geometry(x.shape, ksize, stride, pad, dil, groups)
        order = "chw" if self._use_chw(x, geo[5]) else "hwc"
        xp_ = self._padded(x, pad, order == "hwc")
        buf = self._col_buffer(x, geo, order)
        self._cols_into(buf, xp_, self._window_view(xp_, order, geo), order, geo, 0, x.shape[0])
        return self._flat_cols(buf, order), order

    @staticmethod
    def _flat_cols(buf: Any, order: str) -> Any:
        if order == "hwc":
            n, ho, wo, g, kh, kw, cg = buf.shape
            return buf.reshape(n * ho * wo, g, kh * kw * cg)
        g, cg, kh, kw, n, ho, wo = buf.shape
        return buf.reshape(g, cg * kh * kw, n * ho * wo)

    @staticmethod
    def _wmat(w: Any, groups: int, order: str) -> Any:
        """Weight (O, Cg, kh, kw) as (groups, Og, Kg) in the column order."""
        o, cg, kh, kw = w.shape
        w5 = w.reshape(groups, o // groups, cg, kh, kw)
        if order == "hwc":
            w5 = w5.transpose(0, 1, 3, 4, 2)
        return w5.reshape(groups, o // groups, cg * kh * kw)

    # ---- convolution ------------------------------------------------------------------------------
    def conv2d(self, x: Any, w: Any, b: Any, stride: tuple, pad: Pad2, dil: tuple, groups: int) -> tuple:
        """``y = conv(x, w) + b`` and the column matrix (kept for the weight gradient).

        Few-channel channel-major inputs give a channel-major output (an NCHW view of CNHW memory);
        the rest give channels-last (an NCHW view of NHWC memory).
        """
        xp = self.xp
        n = x.shape[0]
        o = w.shape[0]
        geo = self._geometry(x.shape, w.shape[2:], stride, pad, dil, groups)
        (ho, wo), cg = geo[3], geo[5]
        og, hw = o // groups, ho * wo
        order = "chw" if self._use_chw(x, cg) else "hwc"
        xpad = self._padded(x, pad, order == "hwc")
        buf = self._col_buffer(x, geo, order)
        view = self._window_view(xpad, order, geo)
        cols = self._flat_cols(buf, order)
        wm = self._wmat(w, groups, order)  # (groups, Og, Kg)
        kg = wm.shape[2]
        if order == "chw":
            yt = xp.empty((groups, og, n * hw), dtype=x.dtype)
            for n0, n1 in self._chunks(n, hw, groups * kg * x.dtype.itemsize):
                self._cols_into(buf, xpad, view, order, geo, n0, n1)
                self._matmul_into(wm, cols[:, :, n0 * hw : n1 * hw], yt[:, :, n0 * hw : n1 * hw])
            if b is not None:
                yt += b.reshape(groups, og, 1)
            return yt.reshape(o, n, ho, wo).transpose(1, 0, 2, 3), (cols, order)
        y3 = xp.empty((n * hw, groups, og), dtype=x.dtype)
        wt = wm.transpose(0, 2, 1)  # (groups, Kg, Og)
        for n0, n1 in self._chunks(n, hw, groups * kg * x.dtype.itemsize, 4):
            self._cols_into(buf, xpad, view, order, geo, n0, n1)
            m0, m1 = n0 * hw, n1 * hw
            if groups == 1:
                self._matmul_into(cols[m0:m1, 0], wt[0], y3[m0:m1, 0])
            else:
                self._matmul_into(cols[m0:m1].transpose(1, 0, 2), wt, y3[m0:m1].transpose(1, 0, 2))
        y2 = y3.reshape(n * hw, o)
        if b is not None:
            y2 += b
        return y2.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), (cols, order)

    def conv2d_grad_weight(
        self,
        x: Any,
        g: Any,
        w_shape: tuple,
        stride: tuple,
        pad: Pad2,
        dil: tuple,
        groups: int,
        saved: Any = None,
    ) -> Any:
        """Gradient of ``conv2d`` with respect to the weight (O, Cg, kh, kw)."""
        xp = self.xp
        o, cg, kh, kw = w_shape
        og = o // groups
        cols, order = saved if saved is not None else self._cols(x, (kh, kw), stride, pad, dil, groups)
        n, _, ho, wo = g.shape
        hw = ho * wo
        kg = cg * kh * kw
        gw = xp.zeros((groups, og, kg), dtype=g.dtype)  # stays zero for an empty batch
        if order == "chw":
            gm = g.transpose(1, 0, 2, 3).reshape(groups, og, n * hw)
            for n0, n1 in self._chunks(n, hw, groups * kg * g.dtype.itemsize):
                part = xp.matmul(
                    gm[:, :, n0 * hw : n1 * hw], cols[:, :, n0 * hw : n1 * hw].transpose(0, 2, 1)
                )
                xp.add(gw, part, out=gw)
            return gw.reshape(o, cg, kh, kw)
        gm = g.transpose(0, 2, 3, 1).reshape(n * hw, groups, og)
        for n0, n1 in self._chunks(n, hw, groups * kg * g.dtype.itemsize, 4):
            m0, m1 = n0 * hw, n1 * hw
            part = xp.matmul(gm[m0:m1].transpose(1, 2, 0), cols[m0:m1].transpose(1, 0, 2))
            xp.add(gw, part, out=gw)
        return xp.ascontiguousarray(gw.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2))

    def conv2d_grad_input(
        self, g: Any, w: Any, in_hw: tuple, stride: tuple, pad: Pad2, dil: tuple, groups: int
    ) -> Any:
        """Gradient of ``conv2d`` with respect to its input (also the transposed convolution)."""
        xp = self.xp
        n, o, ho, wo = g.shape
        _, cg, kh, kw = w.shape
        c, og, hw = cg * groups, o // groups, ho * wo
        (sh, sw), (dh, dw) = stride, dil
        (pt, pb), (pl, pr) = pad
        h, wd = in_hw
        g2 = g.transpose(0, 2, 3, 1).reshape(n * hw, o)
        out = xp.zeros((n, h + pt + pb, wd + pl + pr, c), dtype=g.dtype)
        disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
        if groups == 1:
            # one GEMM per kernel offset leaves each offset's (M, C) block contiguous: fast scatter-adds
            wr = w.transpose(2, 3, 0, 1).reshape(kh * kw, o, c)
            tgt = out
        else:
            wg = self._wmat(w, groups, "hwc")  # (groups, Og, Kg)
            tgt = out.reshape(n, h + pt + pb, wd + pl + pr, groups, cg)
        for n0, n1 in self._chunks(n, hw, c * kh * kw * g.dtype.itemsize, 8):
            m0, m1, nc = n0 * hw, n1 * hw, n1 - n0
            if groups == 1:
                gk = xp.matmul(g2[m0:m1], wr).reshape(kh, kw, nc, ho, wo, c)
            else:
                gc = xp.matmul(g2[m0:m1].reshape(nc * hw, groups, og).transpose(1, 0, 2), wg)
                gk = gc.reshape(groups, nc, ho, wo, kh, kw, cg).transpose(4, 5, 1, 2, 3, 0, 6)
            for i in range(kh):
                for j in range(kw):
                    view = tgt[
                        n0:n1,
                        i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                        j * dw : j * dw + (wo - 1) * sw + 1 : sw,
                    ]
                    if disjoint:
                        view[...] = gk[i, j]
                    else:
                        view += gk[i, j]
        return out[:, pt : pt + h, pl : pl + wd, :].transpose(0, 3, 1, 2)

    def conv2d_bias_grad(self, g: Any) -> Any:
        """Sum of the output gradient over batch and space, reading it in its memory order."""
        n, o = g.shape[:2]
        if g.strides[1] < g.strides[3] or o == 1:  # channels-last
            return g.transpose(0, 2, 3, 1).reshape(-1, o).sum(axis=0)
        if g.strides[1] > g.strides[0]:  # channel-major
            return g.transpose(1, 0, 2, 3).reshape(o, -1).sum(axis=1)
        return g.sum(axis=(0, 2, 3))

    # ---- unfold / fold ----------------------------------------------------------------------------
    def unfold(self, x: Any, ksize: tuple, stride: tuple, pad: Pad2, dil: tuple) -> Any:
        """Sliding blocks of ``x`` (N, C, H, W) as (N, C*kh*kw, L), PyTorch's ``unfold`` order."""
        xp = self.xp
        n, c, h, w = x.shape
        kh, kw = ksize
        (sh, sw), (dh, dw) = stride, dil
        ho = conv_out_size(h, kh, sh, pad[0], dh)
        wo = conv_out_size(w, kw, sw, pad[1], dw)
        xpad = self._padded(x, pad, False)
        s_n, s_c, s_h, s_w = xpad.strides
        shape = (n, c, kh, kw, ho, wo)
        view = self.as_strided(xpad, shape, (s_n, s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w))
        if view is None:
            view = xp.empty(shape, dtype=x.dtype)
            for i in range(kh):
                for j in range(kw):
                    view[:, :, i, j] = xpad[
                        :,
                        :,
                        i * dh : i * dh + (ho - 1) * sh + 1 : sh,
                        j * dw : j * dw + (wo - 1) * sw + 1 : sw,
                    ]
        return view.reshape(n, c * kh * kw, ho * wo)

    def fold(self, cols: Any, out_hw: tuple, ksize: tuple, stride: tuple, pad: Pad2, dil: tuple) -> Any:
        """Sum sliding blocks (N, C*kh*kw, L) back into (N, C, H, W): ``unfold``'s adjoint."""
        xp = self.xp
        n, ck, _ = cols.shape
        kh, kw = ksize
        (sh, sw), (dh, dw) = stride, dil
        (pt, pb), (pl, pr) = pad
        h, w = out_hw
        ho = conv_out_size(h, kh, sh, pad[0], dh)
        wo = conv_out_size(w, kw, sw, pad[1], dw)
        c = ck // (kh * kw)
        blocks = cols.reshape(n, c, kh, kw, ho, wo)
        out = xp.zeros((n, c, h + pt + pb, w + pl + pr), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                out[
                    :, :, i * dh : i * dh + (ho - 1) * sh + 1 : sh, j * dw : j * dw + (wo - 1) * sw + 1 : sw
                ] += blocks[:, :, i, j]
        return out[:, :, pt : pt + h, pl : pl + w]
