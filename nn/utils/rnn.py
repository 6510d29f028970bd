"""Variable-length sequences for the recurrent layers (``torch.nn.utils.rnn``).

A ``PackedSequence`` holds a batch of sequences of different lengths without padding: ``data`` stacks, time
step by time step, the elements of the sequences still running at that step (longest first), and
``batch_sizes[t]`` says how many there are. ``RNN``/``LSTM``/``GRU`` accept one and return one; padding never
reaches the recurrence, so the final hidden state of each sequence is taken at its own last step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

import autograd
from autograd import Tensor

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "pack_sequence",
    "unpad_sequence",
    "unpack_sequence",
]


class PackedSequence(NamedTuple):
    """``data`` (sum of lengths, *features), ``batch_sizes`` (a CPU int64 tensor, one entry per time step),
    and the permutation that sorted the batch by length (None when it came sorted)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` moved/cast as ``Tensor.to`` does; the index tensors follow data's device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (
            (lambda t: None if t is None else t.to(data.device)) if data.device != self.data.device else None
        )
        if move is None:
            return self._replace(data=data)
        return PackedSequence(data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices))

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> PackedSequence:
        return self.to("cuda" if device is None else device)

    def double(self) -> PackedSequence:
        return self.to(autograd.float64)

    def float(self) -> PackedSequence:
        return self.to(autograd.float32)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _lengths_list(op: str, lengths: Any, batch: int) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1 or lengths.dtype.is_floating_point:
            raise RuntimeError(
                f"{op}: lengths must be a 1-D integer tensor, got {lengths.dtype} of shape {tuple(lengths.shape)}"
            )
        out = [int(v) for v in lengths.tolist()]
    else:
        out = [int(v) for v in lengths]
    if len(out) != batch:
        raise RuntimeError(f"{op}: expected {batch} lengths (one per batch element), got {len(out)}")
    if any(n <= 0 for n in out):
        raise RuntimeError(
            f"{op}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is "
            f"<= 0 (lengths {out})"
        )
    return out


def _pack_index(lengths: list[int]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """For lengths sorted longest first: (time, batch) indices of the packed rows, in packed order, and the
    batch sizes."""
    steps = lengths[0]
    sizes = [sum(1 for n in lengths if n > t) for t in range(steps)]
    t_idx = np.repeat(np.arange(steps), sizes)
    b_idx = np.concatenate([np.arange(s) for s in sizes]) if sizes else np.zeros(0, dtype=np.int64)
    return t_idx, b_idx, sizes


def _index(like: Tensor, values: Any) -> Tensor:
    return autograd.tensor(np.asarray(values, dtype=np.int64), device=like.device)


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) whose sequence ``b`` is
    ``lengths[b]`` steps long."""
    op = "pack_padded_sequence"
    if not isinstance(input, Tensor) or input.ndim < 2:
        raise ValueError(f"{op}: expected a padded Tensor of at least 2 dims (T, B, *), got {input!r:.80}")
    if batch_first:
        input = input.transpose(0, 1)
    lens = _lengths_list(op, lengths, input.shape[1])
    if max(lens) > input.shape[0]:
        raise RuntimeError(
            f"{op}: a length ({max(lens)}) exceeds the padded sequence length {input.shape[0]} "
            f"(input of shape {tuple(input.shape)})"
        )
    sorted_indices = unsorted_indices = None
    if enforce_sorted:
        if any(a < b for a, b in zip(lens, lens[1:])):
            raise RuntimeError(
                f"{op}: `lengths` array must be sorted in decreasing order when `enforce_sorted` is True "
                f"(got {lens}). You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX exportability."
            )
    else:
        order = sorted(range(len(lens)), key=lambda b: -lens[b])  # stable: ties keep their order
        inverse = [0] * len(order)
        for pos, b in enumerate(order):
            inverse[b] = pos
        sorted_indices, unsorted_indices = _index(input, order), _index(input, inverse)
        input = input.index_select(1, sorted_indices)
        lens = [lens[b] for b in order]
    t_idx, b_idx, sizes = _pack_index(lens)
    data = input[_index(input, t_idx), _index(input, b_idx)]
    return PackedSequence(
        data, autograd.tensor(sizes, dtype=autograd.int64), sorted_indices, unsorted_indices
    )


def _sizes(sequence: PackedSequence) -> list[int]:
    sizes = [int(s) for s in sequence.batch_sizes.tolist()]
    if not sizes or any(a < b for a, b in zip(sizes, sizes[1:])) or sizes[-1] <= 0:
        raise RuntimeError(f"PackedSequence: batch_sizes must be positive and non-increasing, got {sizes}")
    return sizes


def _sorted_lengths(sizes: list[int]) -> list[int]:
    """Lengths of the (longest-first) sequences from the batch sizes."""
    return [sum(1 for s in sizes if s > b) for b in range(sizes[0])]


def _unpack_sorted(sequence: PackedSequence, padding_value: float, total: int) -> tuple[Tensor, list[int]]:
    """(T, B, *) padded in the packed (sorted) batch order, and the sorted lengths."""
    data, sizes = sequence.data, _sizes(sequence)
    lens = _sorted_lengths(sizes)
    if data.shape[0] != sum(sizes):
        raise RuntimeError(
            f"PackedSequence: data has {data.shape[0]} rows but batch_sizes {sizes} add up to {sum(sizes)}"
        )
    t_idx, b_idx, _ = _pack_index(lens)
    flat = t_idx * sizes[0] + b_idx  # rows of the (T * B, *) padded block that packed data fills
    padded = autograd.full(
        (total * sizes[0], *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device
    )
    padded[_index(data, flat)] = data  # differentiable: data's gradient is read back from these rows
    return padded.reshape(total, sizes[0], *data.shape[1:]), lens


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: (padded (T, B, *) or (B, T, *), lengths), in the original
    batch order."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}")
    steps = len(_sizes(sequence))
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "pad_packed_sequence: Expected total_length to be at least the length of the longest sequence "
                f"in the input, but got total_length={total_length} and max sequence length being {steps}"
            )
        steps = total_length
    padded, lens = _unpack_sorted(sequence, padding_value, steps)
    lengths = autograd.tensor(lens, dtype=autograd.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu()]
    return (padded.transpose(0, 1) if batch_first else padded), lengths


def pad_sequence(
    sequences: Sequence[Tensor] | Tensor,
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shape (L_i, *) into (max L, B, *) (or (B, max L, *)), padding each to the longest."""
    op = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError(f"{op}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"{op}: padding_side must be 'left' or 'right', got {padding_side!r}")
    trailing = tuple(sequences[0].shape[1:])
    for k, s in enumerate(sequences):
        if not isinstance(s, Tensor) or s.ndim < 1 or tuple(s.shape[1:]) != trailing:
            raise RuntimeError(
                f"{op}: every sequence must be a Tensor of shape (L, {', '.join(map(str, trailing)) or ''}) like the "
                f"first; sequence {k} is {tuple(s.shape) if isinstance(s, Tensor) else type(s).__name__}"
            )
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            pad = autograd.full((missing, *trailing), padding_value, dtype=s.dtype, device=s.device)
            s = autograd.cat([s, pad] if padding_side == "right" else [pad, s], 0)
        rows.append(s)
    return autograd.stack(rows, 0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *) (longest first unless ``enforce_sorted=False``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The sequences of a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    lens = _lengths_list("unpad_sequence", lengths, padded_sequences.shape[0])
    return [padded_sequences[b, :n] for b, n in enumerate(lens)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The sequences of a PackedSequence, in the original batch order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
