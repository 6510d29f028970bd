"""In-place random fills (random_, exponential_, geometric_, log_normal_, cauchy_) and multinomial.

Every draw comes from the tensor's backend generator for its device (seeded by ``manual_seed``) as
uniforms or normals, transformed with elementwise xp calls, so CPU and CUDA share one code path.
"""

from __future__ import annotations

import math
from typing import Any

from ..generator import use_generator
from ..grad_mode import state as _grad_state
from ..tensor import Tensor
from .inplace import check_inplace, overwrite


def _fill(self: Tensor, name: str, make: Any, generator: Any = None) -> Tensor:
    """Write ``make(backend, uniform_dtype)`` into ``self`` (a leaf requiring grad is refused; a tensor with history
    gets a zero gradient to its old value)."""
    if _grad_state.enabled:
        check_inplace(self, name)
    be = self.backend
    dt = self._data.dtype
    with use_generator(generator, self.device, name):
        vals = make(be, "float64" if dt.itemsize > 4 else "float32").astype(dt)
    return overwrite(self, vals)


def _need_float(self: Tensor, name: str) -> None:
    if not self.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating point tensor, got {self.dtype}")


def _open_uniform(be: Any, shape: tuple, ud: str, device: Any) -> Any:
    """Uniforms in (0, 1]: ``1 - u`` for u in [0, 1), so logs stay finite."""
    return 1 - be.uniform(shape, ud, device=device)


def random_(self: Tensor, *args: Any, generator: Any = None, **kwargs: Any) -> Tensor:
    """Integers uniform on [from, to) (``random_(to)``: [0, to); ``random_()``: [0, 2^mantissa] for floats,
    [0, max] for ints)."""
    if len(args) > 2 or set(kwargs) - {"from", "to"}:
        raise TypeError(f"random_: expected (from=0, to=None), got {args!r} {kwargs!r}")
    lo, hi = 0, None
    if len(args) == 1 and "to" not in kwargs and "from" not in kwargs:
        hi = args[0]
    else:
        vals = dict(zip(("from", "to"), args)) | kwargs
        lo, hi = vals.get("from", 0), vals.get("to")
    dt = self._data.dtype
    if hi is None:
        if dt.kind == "f":
            hi = 2 ** {2: 11, 4: 24, 8: 53}[dt.itemsize] + 1
        elif dt.kind == "b":
            hi = 2
        else:
            hi = int(
                self.backend.xp.iinfo(dt).max
            )  # PyTorch's upper bound is inclusive here; ours stops one short
    if not isinstance(lo, int) or not isinstance(hi, int):
        raise TypeError(f"random_: from and to must be ints, got {lo!r} and {hi!r}")
    if lo >= hi:
        raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got from={lo} >= to={hi}")
    if dt.kind == "b" and (lo < 0 or hi > 2):
        raise RuntimeError(f"random_: from={lo}, to={hi} is out of range for a bool tensor ([0, 2))")
    draw = lambda be, ud: be.randint(lo, hi, self.shape, "int64", device=self.device)  # noqa: E731
    return _fill(self, "random_", draw, generator)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Exponential samples with rate ``lambd``."""
    _need_float(self, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
    xp = self.backend.xp
    return _fill(
        self,
        "exponential_",
        lambda be, ud: -xp.log(_open_uniform(be, self.shape, ud, self.device)) / lambd,
        generator,
    )


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Number of Bernoulli(p) trials up to the first success (values >= 1)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_: expects p to be in (0, 1), but got p={p}")
    xp = self.backend.xp
    scale = 1.0 / math.log1p(-p)

    def make(be: Any, ud: str) -> Any:
        u = _open_uniform(be, self.shape, "float64", self.device)
        return xp.maximum(xp.ceil(xp.log(u) * scale), 1.0)

    return _fill(self, "geometric_", make, generator)


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Tensor:
    """exp of Normal(mean, std) samples."""
    _need_float(self, "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_: expects std > 0.0, but found std={std}")
    xp = self.backend.xp
    return _fill(
        self,
        "log_normal_",
        lambda be, ud: xp.exp(be.normal(self.shape, ud, mean, std, device=self.device)),
        generator,
    )


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Tensor:
    """Cauchy samples: median + sigma * tan(pi * (u - 1/2))."""
    _need_float(self, "cauchy_")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_: expects sigma > 0.0, but found sigma={sigma}")
    xp = self.backend.xp

    def make(be: Any, ud: str) -> Any:
        u = be.uniform(self.shape, "float64", device=self.device)
        return median + sigma * xp.tan(math.pi * (u - 0.5))

    return _fill(self, "cauchy_", make, generator)


def multinomial(x: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None) -> Tensor:
    """Category indices drawn from the rows of ``x`` (non-negative weights, need not sum to 1)."""
    with use_generator(generator, x.device, "multinomial"):
        return _multinomial(x, num_samples, replacement)


def _multinomial(x: Tensor, num_samples: int, replacement: bool) -> Tensor:
    if not x.is_floating_point():
        raise RuntimeError(f"multinomial: only supports floating-point dtypes for input, got {x.dtype}")
    if x.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {tuple(x.shape)}")
    if not isinstance(num_samples, int) or num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample num_samples={num_samples} <= 0 samples")
    n = x.shape[-1]
    if n == 0:
        raise RuntimeError("multinomial: the number of categories cannot be 0")
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"multinomial: cannot sample num_samples={num_samples} > prob_dist.size(-1)={n} samples "
            "without replacement"
        )
    xp, be = x.backend.xp, x.backend
    p = x._data.reshape(-1, n).astype("float64")
    if bool((~xp.isfinite(p)).any()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    if bool((p < 0).any()):
        raise RuntimeError("multinomial: probability tensor contains either `inf`, `nan` or element < 0")
    total = p.sum(axis=1)
    if bool((total <= 0).any()):
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities <= 0)")
    rows = p.shape[0]
    if not replacement:
        if bool(((p > 0).sum(axis=1) < num_samples).any()):
            raise RuntimeError(
                f"multinomial: invalid multinomial distribution (with replacement=False, not enough "
                f"non-negative category to sample {num_samples} of them)"
            )
        # exponential race: category i finishes at E_i / p_i; the first num_samples to finish are the draw
        u = _open_uniform(be, (rows, n), "float64", x.device)
        with be.errstate():
            keys = xp.where(p > 0, -xp.log(u) / xp.where(p > 0, p, 1.0), xp.inf)
        idx = xp.argsort(keys, axis=1)[:, :num_samples]
    else:
        cdf = xp.cumsum(p, axis=1) / total[:, None]
        u = be.uniform((rows, num_samples), "float64", device=x.device)
        offset = xp.arange(rows, dtype="float64")[:, None]  # one sorted 1-d search for all rows
        flat = xp.searchsorted((cdf + 2 * offset).reshape(-1), (u + 2 * offset).reshape(-1), side="right")
        idx = flat.reshape(rows, num_samples) - xp.arange(rows, dtype=flat.dtype)[:, None] * n
        last = n - 1 - xp.argmax((p > 0)[:, ::-1], axis=1)  # rounding never picks a zero category
        idx = xp.minimum(idx, last[:, None])
    idx = idx.astype("int64")
    return Tensor._make(xp.ascontiguousarray(idx.reshape(num_samples) if x.ndim == 1 else idx))
