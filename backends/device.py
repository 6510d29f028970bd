"""Device names: parsing 'cpu', 'cuda', 'cuda:1' into a comparable, hashable object."""

from __future__ import annotations


class Device:
    """A device like ``torch.device``: a type ('cpu' or 'cuda') and an optional index."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | Device, index: int | None = None) -> None:
        if isinstance(type, Device):
            type, index = type.type, type.index if index is None else index
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            if index is not None or not idx.isdigit():
                raise ValueError(f"device: invalid device string {type + ':' + idx!r}; expected 'cuda:N'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device type {type!r}; expected 'cpu' or 'cuda'")
        if type == "cpu" and index not in (None, 0):
            raise ValueError(f"device: cpu has no index {index}")
        self.type = type
        self.index = None if type == "cpu" else index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except (ValueError, TypeError):
                return False
        if not isinstance(other, Device):
            return NotImplemented
        if self.type != other.type:
            return False
        # 'cuda' and 'cuda:0' name the same default device
        return (self.index or 0) == (other.index or 0)

    def __hash__(self) -> int:
        return hash((self.type, self.index or 0))


def as_device(d: str | Device | int | None) -> Device:
    """Turn what a user passes as ``device=`` into a Device (an int means that CUDA index)."""
    if d is None:
        return CPU
    if isinstance(d, Device):
        return d
    if isinstance(d, int):
        return Device("cuda", d)
    return Device(d)


CPU = Device("cpu")
