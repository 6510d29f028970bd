"""Recurrent layers (RNN, LSTM, GRU) and their cells, with PyTorch's parameters, layout and init.

Parameter names, shapes and gate order match PyTorch (``weight_ih_l0``, ``bias_hh_l1_reverse``...,
LSTM gates i, f, g, o; GRU gates r, z, n), so a PyTorch ``state_dict`` loads one to one.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import autograd
from autograd import Tensor, cat, no_grad, stack

from .._functional import rnn as R
from .._functional.dropout import dropout
from .._functional.linear import linear
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters, input checks and the layer/direction loop."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if mode not in _GATES:
            raise ValueError(f"{name}: unrecognized RNN mode {mode!r}")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{name}: dropout should be a number in range [0, 1] representing the probability of an "
                f"element being zeroed, got {dropout!r}"
            )
        for what, v in (("hidden_size", hidden_size), ("num_layers", num_layers), ("input_size", input_size)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(f"{name}: {what} should be of type int, got: {type(v).__name__}")
            if v <= 0 and what != "input_size":
                raise ValueError(f"{name}: {what} must be greater than zero, got {v}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_in = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    pname = f"{base}_l{layer}{suffix}"
                    setattr(self, pname, Parameter(autograd.empty(*shape, dtype=dtype, device=device)))
                    names.append(pname)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        with no_grad():
            for p in self.parameters():
                p.uniform_(-stdv, stdv)

    def flatten_parameters(self) -> None:
        """Kept for API compatibility (PyTorch compacts cuDNN weights here); nothing to do."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ---- checks --------------------------------------------------------------------------------
    def _name(self) -> str:
        return type(self).__name__

    def _check_input(self, input: Any) -> None:
        name = self._name()
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}: expected input to be a Tensor of shape (L, N, H_in), (N, L, H_in) with batch_first "
                f"or (L, H_in), or a PackedSequence, got {type(input).__name__}"
            )
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{name}: Expected input to be 2D (L, H_in) or 3D (L, N, H_in), got {input.ndim}D input of "
                f"shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                f"{input.shape[-1]} (input shape {tuple(input.shape)})"
            )
        w = self.weight_ih_l0
        if not input.is_floating_point() or input.dtype != w.dtype:
            raise RuntimeError(f"{name}: input must have the type {w.dtype}, got type {input.dtype}")
        if input.device != w.device:
            raise RuntimeError(f"{name}: input is on {input.device} but the parameters are on {w.device}")

    def _check_hidden(self, h: Any, expected: tuple, unbatched: bool, what: str = "hidden") -> None:
        name = self._name()
        if not isinstance(h, Tensor):
            raise TypeError(f"{name}: expected the {what} state to be a Tensor, got {type(h).__name__}")
        want_dim = 2 if unbatched else 3
        if h.ndim != want_dim:
            kind = "unbatched 2-D" if unbatched else "batched 3-D"
            raise RuntimeError(
                f"{name}: for {kind} input, the {what} state should be {want_dim}-D but got a {h.ndim}-D tensor "
                f"of shape {tuple(h.shape)}"
            )
        got = tuple(h.shape) if not unbatched else (h.shape[0], 1, h.shape[1])
        if got != expected:
            want = expected if not unbatched else (expected[0], expected[2])
            raise RuntimeError(f"{name}: Expected {what} size {want}, got {tuple(h.shape)}")
        if h.dtype != self.weight_ih_l0.dtype:
            raise RuntimeError(
                f"{name}: {what} state must have the type {self.weight_ih_l0.dtype}, got {h.dtype}"
            )

    # ---- the loop ------------------------------------------------------------------------------
    def _run(self, input: Any, hx: Any) -> tuple:
        """Returns ``(output, h_n, c_n or None)``, each in the caller's layout (a PackedSequence in, one out)."""
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx)
        self._check_input(input)
        unbatched = input.ndim == 2
        x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first else input)
        h0, c0 = self._initial(hx, x.shape[1], unbatched)
        if unbatched and h0 is not None:
            h0 = h0.unsqueeze(1)
            c0 = c0.unsqueeze(1) if c0 is not None else None
        x, h_n, c_n = self._stack(x, h0, c0)
        if unbatched:
            x, h_n = x.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            x = x.transpose(0, 1)
        if not x.is_contiguous():
            x = x.contiguous()
        return x, h_n, c_n

    def _initial(self, hx: Any, batch: int, unbatched: bool) -> tuple:
        """The checked initial states (h_0, c_0 or None), or (None, None) for zeros."""
        if hx is None:
            return None, None
        D = 2 if self.bidirectional else 1
        H = self.hidden_size
        P = self.proj_size if self.proj_size > 0 else H
        if self.mode == "LSTM":
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise TypeError(f"{self._name()}: hx should be a tuple (h_0, c_0)")
            h0, c0 = hx
            self._check_hidden(h0, (self.num_layers * D, batch, P), unbatched)
            self._check_hidden(c0, (self.num_layers * D, batch, H), unbatched, "cell")
            return h0, c0
        self._check_hidden(hx, (self.num_layers * D, batch, H), unbatched)
        return hx, None

    def _stack(self, x: Tensor, h0: Tensor | None, c0: Tensor | None) -> tuple:
        """Every layer and direction over time-major ``x`` (T, B, H_in): (output, h_n, c_n or None)."""
        D = 2 if self.bidirectional else 1
        hn, cn = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                idx = layer * D + d
                ws = [getattr(self, n) for n in self._all_weights[idx]]
                w_ih, w_hh = ws[0], ws[1]
                b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
                hi = h0[idx] if h0 is not None else None
                reverse = d == 1
                if self.mode == "LSTM":
                    w_hr = ws[-1] if self.proj_size > 0 else None
                    ci = c0[idx] if c0 is not None else None
                    out, h_last, c_last = R.lstm_layer(x, w_ih, w_hh, b_ih, b_hh, hi, ci, w_hr, reverse)
                    cn.append(c_last)
                elif self.mode == "GRU":
                    out, h_last = R.gru_layer(linear(x, w_ih, b_ih), w_hh, b_hh, hi, reverse)
                else:
                    b = None if b_ih is None else b_ih + b_hh
                    out, h_last = R.rnn_layer(linear(x, w_ih, b), w_hh, hi, reverse, self.mode == "RNN_RELU")
                outs.append(out)
                hn.append(h_last)
            x = outs[0] if D == 1 else cat(outs, 2)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = dropout(x, self.dropout, True)
        h_n = stack(hn) if len(hn) > 1 else hn[0].unsqueeze(0)
        c_n = (stack(cn) if len(cn) > 1 else cn[0].unsqueeze(0)) if cn else None
        return x, h_n, c_n

    def _run_packed(self, packed: PackedSequence, hx: Any) -> tuple:
        """A PackedSequence: the sequences of each length run together (so no padding enters the recurrence and
        each final state is taken at the sequence's own last step); output packed like the input."""
        from ..utils.rnn import _pack_index, _unpack_sorted

        data = packed.data
        if not isinstance(data, Tensor) or data.ndim != 2:
            raise ValueError(
                f"{self._name()}: a PackedSequence's data must be 2-D (sum of lengths, input_size), got "
                f"{tuple(data.shape) if isinstance(data, Tensor) else type(data).__name__}"
            )
        self._check_input(data)
        x, lens = _unpack_sorted(packed, 0.0, len(packed.batch_sizes))
        h0, c0 = self._initial(hx, x.shape[1], False)
        if packed.sorted_indices is not None and h0 is not None:  # hx comes in the caller's batch order
            h0 = h0.index_select(1, packed.sorted_indices)
            c0 = c0.index_select(1, packed.sorted_indices) if c0 is not None else None
        outs, hns, cns = [], [], []
        start = 0
        while start < len(lens):  # lengths are sorted longest first: equal lengths are neighbours
            n, stop = lens[start], start + 1
            while stop < len(lens) and lens[stop] == n:
                stop += 1
            out, h_n, c_n = self._stack(
                x[:n, start:stop],
                None if h0 is None else h0[:, start:stop],
                None if c0 is None else c0[:, start:stop],
            )
            if n < x.shape[0]:
                pad = autograd.zeros(x.shape[0] - n, *out.shape[1:], dtype=out.dtype, device=out.device)
                out = cat([out, pad], 0)
            outs.append(out)
            hns.append(h_n)
            cns.append(c_n)
            start = stop
        out = outs[0] if len(outs) == 1 else cat(outs, 1)
        h_n = hns[0] if len(hns) == 1 else cat(hns, 1)
        c_n = None if cns[0] is None else (cns[0] if len(cns) == 1 else cat(cns, 1))
        t_idx, b_idx, _ = _pack_index(lens)
        dev = data.device
        out_data = out[autograd.tensor(t_idx, device=dev), autograd.tensor(b_idx, device=dev)]
        if packed.unsorted_indices is not None:  # states go back to the caller's batch order
            h_n = h_n.index_select(1, packed.unsorted_indices)
            c_n = c_n.index_select(1, packed.unsorted_indices) if c_n is not None else None
        return packed._replace(data=out_data), h_n, c_n


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        args = list(args)
        if len(args) > 3:
            nonlinearity = args.pop(3)
            if "nonlinearity" in kwargs:
                raise TypeError("RNN: got multiple values for argument 'nonlinearity'")
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out, h_n, _ = self._run(input, hx)
        return out, h_n


class LSTM(RNNBase):
    """Long short-term memory layer(s); returns ``(output, (h_n, c_n))``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        out, h_n, c_n = self._run(input, hx)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit layer(s); returns ``(output, h_n)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out, h_n, _ = self._run(input, hx)
        return out, h_n


# ---- cells ---------------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Parameters and checks shared by the cells (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        g = num_chunks * hidden_size
        self.weight_ih = Parameter(autograd.empty(g, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(autograd.empty(g, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(autograd.empty(g, dtype=dtype, device=device))
            self.bias_hh = Parameter(autograd.empty(g, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        with no_grad():
            for p in self.parameters():
                p.uniform_(-stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s

    def _prep(self, input: Any, hx: Any, n_states: int) -> tuple:
        """Check shapes; batch an unbatched (1-D) input; zeros for a missing state."""
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(
                f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead (shape {tuple(input.shape)})"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{name}: input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size} "
                f"(input shape {tuple(input.shape)})"
            )
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(
                f"{name}: input must have the type {self.weight_ih.dtype}, got type {input.dtype}"
            )
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        B, H = x.shape[0], self.hidden_size
        if hx is None:
            z = autograd.zeros(B, H, dtype=x.dtype, device=x.device)
            states = (z,) * n_states
        else:
            states = tuple(hx) if n_states == 2 else (hx,)
            if n_states == 2 and len(states) != 2:
                raise TypeError(f"{name}: hx should be a tuple (h_0, c_0)")
            fixed = []
            for s in states:
                if not isinstance(s, Tensor):
                    raise TypeError(
                        f"{name}: expected the hidden state to be a Tensor, got {type(s).__name__}"
                    )
                if s.ndim != input.ndim:
                    raise RuntimeError(
                        f"{name}: Expected hidden to be {input.ndim}D for {input.ndim}D input, got {s.ndim}D "
                        f"(shape {tuple(s.shape)})"
                    )
                s = s.unsqueeze(0) if unbatched else s
                if tuple(s.shape) != (B, H):
                    raise RuntimeError(
                        f"{name}: hidden state has shape {tuple(s.shape)}, expected {(B, H)} "
                        f"(batch {B}, hidden_size {H})"
                    )
                fixed.append(s)
            states = tuple(fixed)
        return x, states, unbatched


class RNNCell(RNNCellBase):
    """One Elman step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), unbatched = self._prep(input, hx, 1)
        cell = R.rnn_tanh_cell if self.nonlinearity == "tanh" else R.rnn_relu_cell
        out = cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out.squeeze(0) if unbatched else out


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, Tensor]:
        x, (h, c), unbatched = self._prep(input, hx, 2)
        h, c = R.lstm_cell(x, (h, c), self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step."""

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), unbatched = self._prep(input, hx, 1)
        out = R.gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out.squeeze(0) if unbatched else out
