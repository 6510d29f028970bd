"""nn.functional: pixel_shuffle / pixel_unshuffle (depth <-> space) and channel_shuffle, as reshapes + permutes.

Each is a pure rearrangement of elements, so gradients come from reshape/permute and are differentiable again.
"""

from __future__ import annotations

from autograd import Tensor

__all__ = ["channel_shuffle", "pixel_shuffle", "pixel_unshuffle"]


def _check(op: str, x: Tensor, factor: int, what: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if not isinstance(factor, int) or isinstance(factor, bool):
        raise TypeError(f"{op}: {what} must be an int, got {factor!r}")
    if factor <= 0:
        raise RuntimeError(f"{op}: expects a positive {what}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): channel blocks become r x r pixel blocks."""
    op, r = "pixel_shuffle", upscale_factor
    _check(op, input, r, "upscale_factor")
    if input.ndim < 3:
        raise RuntimeError(
            f"{op}: expects input to have at least 3 dimensions (*, C*r*r, H, W), got shape {tuple(input.shape)}"
        )
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            f"{op}: expects the channel dim (size {c}, input shape {tuple(input.shape)}) to be divisible by "
            f"upscale_factor**2 = {r * r}"
        )
    nb = len(batch)
    y = input.reshape(*batch, c // (r * r), r, r, h, w)
    y = y.permute(*range(nb), nb, nb + 3, nb + 1, nb + 4, nb + 2)
    return y.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W): the inverse of ``pixel_shuffle``."""
    op, r = "pixel_unshuffle", downscale_factor
    _check(op, input, r, "downscale_factor")
    if input.ndim < 3:
        raise RuntimeError(
            f"{op}: expects input to have at least 3 dimensions (*, C, H*r, W*r), got shape {tuple(input.shape)}"
        )
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise RuntimeError(
            f"{op}: expects height and width (input shape {tuple(input.shape)}) to be divisible by "
            f"downscale_factor = {r}"
        )
    nb = len(batch)
    y = input.reshape(*batch, c, h // r, r, w // r, r)
    y = y.permute(*range(nb), nb, nb + 2, nb + 4, nb + 1, nb + 3)
    return y.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with C = g*k: reorder channels from (g, k) to (k, g) blocks (ShuffleNet)."""
    op = "channel_shuffle"
    _check(op, input, groups, "groups")
    if input.ndim <= 2:
        raise RuntimeError(f"{op}: expects input with > 2 dims (N, C, *), got shape {tuple(input.shape)}")
    n, c, *rest = input.shape
    if c % groups:
        raise RuntimeError(
            f"{op}: number of channels must be divisible by groups; got {c} channels (input shape "
            f"{tuple(input.shape)}) and {groups} groups"
        )
    y = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return y.reshape(n, c, *rest)
