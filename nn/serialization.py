"""Safe save/load of state dicts and checkpoints (``nn.save`` / ``nn.load``, PyTorch's ``torch.save/load``).

A checkpoint is an ``.npz`` archive: one plain array per tensor, plus a JSON entry describing the tree
(dicts, lists, tuples, scalars, strings) and each tensor's dtype and device. Loading uses
``allow_pickle=False`` and never unpickles, so an untrusted file can fail but cannot run code.
Writes to a path are atomic: a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd
import backends
from autograd import Tensor, dtypes

__all__ = ["save", "load", "CheckpointError"]

FORMAT = "embergrad-checkpoint"
VERSION = 1
_META = "__embergrad__"
_MAX_DEPTH = 256


class CheckpointError(RuntimeError):
    """A file that is not a (valid) embergrad checkpoint: truncated, corrupt, foreign, or holding pickles."""


# ---- encoding -------------------------------------------------------------------------------------


class _Encoder:
    """Turns a Python tree into a JSON-able description plus a dict of named host arrays."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.memo: dict[int, str] = {}
        self.keep: list = []  # keeps memoized objects alive so their ids stay unique

    def _array(self, obj: Any, host: np.ndarray) -> str:
        key = self.memo.get(id(obj))
        if key is None:
            key = f"a{len(self.arrays)}"
            self.arrays[key] = host
            self.memo[id(obj)] = key
            self.keep.append(obj)
        return key

    def enc(self, x: Any, path: str, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError(f"nn.save: the object is nested more than {_MAX_DEPTH} levels deep at {path}")
        if x is None or isinstance(x, bool | int | str):
            return x
        if isinstance(x, float):
            return x
        if isinstance(x, Tensor):
            from .parameter import Parameter

            host = x.backend.to_host(x._data)
            return {
                "t": "tensor",
                "a": self._array(x, host),
                "dtype": x.dtype.name,
                "shape": list(x.shape),
                "device": str(x.device),
                "requires_grad": bool(x.requires_grad and x.grad_fn is None),
                "param": isinstance(x, Parameter),
            }
        if isinstance(x, np.ndarray):
            if x.dtype.kind not in "biuf":
                raise TypeError(
                    f"nn.save: cannot save a NumPy array of dtype {x.dtype} at {path} "
                    "(only bool, integer and float arrays; object arrays would need pickling)"
                )
            return {"t": "ndarray", "a": self._array(x, x), "dtype": x.dtype.str, "shape": list(x.shape)}
        if isinstance(x, np.generic):
            return self.enc(x.item(), path, depth)
        if isinstance(x, dict):
            keys, values = [], []
            for k, v in x.items():
                if not (k is None or isinstance(k, bool | int | float | str | tuple)):
                    raise TypeError(
                        f"nn.save: dict key {k!r} of type {type(k).__name__} at {path} is not supported "
                        "(use str, int, float, bool, None or tuples of them)"
                    )
                keys.append(self.enc(k, f"{path} (key {k!r})", depth + 1))
                values.append(self.enc(v, f"{path}[{k!r}]", depth + 1))
            node: dict = {"t": "dict", "ordered": isinstance(x, OrderedDict), "keys": keys, "values": values}
            meta = getattr(x, "_metadata", None)
            if meta is not None:
                node["metadata"] = self.enc(meta, f"{path}._metadata", depth + 1)
            return node
        if isinstance(x, list | tuple):
            return {
                "t": "list" if isinstance(x, list) else "tuple",
                "items": [self.enc(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(x)],
            }
        if isinstance(x, dtypes.dtype):
            return {"t": "dtype", "name": x.name}
        if isinstance(x, backends.Device):
            return {"t": "device", "name": str(x)}
        from .module import Module

        if isinstance(x, Module):
            raise TypeError(
                f"nn.save: cannot save a Module ({type(x).__name__}) at {path}: that would need pickling. "
                "Save model.state_dict() and load it into a new model with load_state_dict()"
            )
        raise TypeError(
            f"nn.save: cannot save an object of type {type(x).__name__} at {path}; supported: tensors, NumPy "
            "arrays, dicts, lists, tuples, str, int, float, bool, None, dtypes and devices"
        )


def _write_npz(fh: Any, arrays: dict[str, np.ndarray]) -> None:
    """Write the archive (uncompressed .npz) to an open binary file."""
    np.savez(fh, **arrays)


def _payload(obj: Any) -> dict[str, np.ndarray]:
    enc = _Encoder()
    root = enc.enc(obj, "obj")
    meta = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, separators=(",", ":"))
    arrays = {_META: np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)}
    arrays.update(enc.arrays)
    return arrays


def _file_mode(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _atomic_write(path: str, write: Callable[[Any], None]) -> None:
    """Write via a temp file in the same directory, fsync, then rename over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    mode = _file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def save(obj: Any, f: Any) -> None:
    """Save a state dict (or any tree of tensors, arrays, dicts, lists, tuples and plain values) to ``f``.

    ``f`` is a path (written atomically) or a binary file-like object. Never pickles.
    """
    arrays = _payload(obj)
    if isinstance(f, str | os.PathLike):
        _atomic_write(os.fspath(f), lambda fh: _write_npz(fh, arrays))
    elif hasattr(f, "write"):
        _write_npz(f, arrays)
    else:
        raise TypeError(f"nn.save: expected a path or a binary file object, got {type(f).__name__}")


# ---- decoding -------------------------------------------------------------------------------------


class _Decoder:
    def __init__(self, name: str, npz: Any, map_location: Any) -> None:
        self.name, self.npz, self.map_location = name, npz, map_location
        self.cache: dict[str, Any] = {}

    def bad(self, why: str) -> CheckpointError:
        return CheckpointError(f"nn.load: {self.name} is not a valid embergrad checkpoint: {why}")

    def array(self, key: Any, meta: bool = False) -> np.ndarray:
        if not isinstance(key, str) or (key == _META) != meta or key not in self.npz.files:
            raise self.bad(f"the structure refers to a missing array entry {key!r}")
        try:
            return self.npz[key]
        except ValueError as e:
            if "pickle" in str(e).lower() or "object" in str(e).lower():
                raise CheckpointError(
                    f"nn.load: {self.name}: entry {key!r} holds pickled Python objects; refusing to load it "
                    "(nn.load never unpickles)"
                ) from None
            raise self.bad(f"entry {key!r} is unreadable ({e})") from None
        except (zipfile.BadZipFile, EOFError, OSError) as e:
            raise self.bad(f"entry {key!r} is truncated or corrupt ({e})") from None

    def device_for(self, saved: str) -> Any:
        ml = self.map_location
        if ml is None:
            return saved
        if isinstance(ml, str | backends.Device):
            return ml
        if isinstance(ml, dict):
            if saved in ml:
                return ml[saved]
            for k, v in ml.items():  # 'cuda' and 'cuda:0' name the same device
                with contextlib.suppress(TypeError, ValueError):
                    if backends.as_device(k) == backends.as_device(saved):
                        return v
            return saved
        raise TypeError(
            f"nn.load: map_location must be None, a device string, a Device, a dict or a callable, "
            f"got {type(ml).__name__}"
        )

    def tensor(self, node: dict) -> Tensor:
        arr = self.array(node.get("a"))
        name = node.get("dtype")
        if name not in dtypes._NAMES or arr.dtype != dtypes._NAMES[name].np:
            raise self.bad(
                f"tensor entry {node.get('a')!r} has dtype {arr.dtype}, the structure says {name!r}"
            )
        if list(arr.shape) != node.get("shape"):
            raise self.bad(
                f"tensor entry {node.get('a')!r} has shape {arr.shape}, the structure says {node.get('shape')}"
            )
        saved_dev = str(node.get("device", "cpu"))
        t = Tensor._make(arr if arr.flags.c_contiguous else np.ascontiguousarray(arr))
        if callable(self.map_location) and not isinstance(self.map_location, dict):
            res = self.map_location(t, saved_dev)
            if res is not None:
                if not isinstance(res, Tensor):
                    raise TypeError(
                        f"nn.load: map_location callable must return a Tensor or None, got {type(res).__name__}"
                    )
                t = res
            else:
                t = self._place(t, saved_dev)
        else:
            t = self._place(t, self.device_for(saved_dev))
        if node.get("param"):
            from .parameter import Parameter

            return Parameter(t, requires_grad=bool(node.get("requires_grad", True)))
        if node.get("requires_grad") and t.is_floating_point():
            t.requires_grad_(True)
        return t

    def _place(self, t: Tensor, device: Any) -> Tensor:
        dev = backends.as_device(device)
        if dev.type == "cpu":
            return t
        if self.map_location is None and not autograd.cuda.is_available():
            raise RuntimeError(
                f"nn.load: {self.name} holds tensors saved on {dev} but CUDA is not available. If you are "
                "running on a CPU-only machine, use nn.load(..., map_location='cpu') to load them on the CPU."
            )
        return t.to(dev)

    def dec(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise self.bad("the structure is nested too deeply")
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if not isinstance(node, dict):
            raise self.bad(f"unexpected structure element {type(node).__name__}")
        kind = node.get("t")
        if kind in ("tensor", "ndarray"):
            key = f"{kind}:{node.get('a')}"
            if key not in self.cache:  # a tensor saved twice (tied weights) loads as one object
                if kind == "tensor":
                    self.cache[key] = self.tensor(node)
                else:
                    arr = self.array(node.get("a"))
                    if arr.dtype.str != node.get("dtype") or list(arr.shape) != node.get("shape"):
                        raise self.bad(f"array entry {node.get('a')!r} does not match its description")
                    self.cache[key] = arr
            return self.cache[key]
        if kind == "dict":
            keys, values = node.get("keys"), node.get("values")
            if not isinstance(keys, list) or not isinstance(values, list) or len(keys) != len(values):
                raise self.bad("a dict entry is malformed")
            out: dict = OrderedDict() if node.get("ordered") else {}
            for k, v in zip(keys, values):
                k = self.dec(k, depth + 1)
                if isinstance(k, list):
                    raise self.bad("a dict key is a list")
                out[k] = self.dec(v, depth + 1)
            if "metadata" in node and isinstance(out, OrderedDict):
                out._metadata = self.dec(node["metadata"], depth + 1)
            return out
        if kind in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                raise self.bad(f"a {kind} entry is malformed")
            vals = [self.dec(v, depth + 1) for v in items]
            return vals if kind == "list" else tuple(vals)
        if kind == "dtype":
            if node.get("name") not in dtypes._NAMES:
                raise self.bad(f"unknown dtype {node.get('name')!r}")
            return dtypes._NAMES[node["name"]]
        if kind == "device":
            try:
                return backends.Device(str(node.get("name")))
            except (TypeError, ValueError) as e:
                raise self.bad(f"bad device ({e})") from None
        raise self.bad(f"unknown structure element {kind!r}")


def _describe(f: Any) -> str:
    if isinstance(f, str | os.PathLike):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{type(f).__name__}>"


def _read(fh: Any, name: str, map_location: Any) -> Any:
    try:
        npz = np.load(fh, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise CheckpointError(
                f"nn.load: {name} is a pickle file (e.g. written by torch.save or pickle); refusing to unpickle "
                "it. Load it with PyTorch and re-save the tensors with nn.save, or convert them via .numpy()"
            ) from None
        raise CheckpointError(f"nn.load: {name} is not a valid embergrad checkpoint: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise CheckpointError(
            f"nn.load: {name} is not a valid embergrad checkpoint: truncated or corrupt ({e})"
        ) from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise CheckpointError(
            f"nn.load: {name} is not an embergrad checkpoint (a bare .npy array, not an archive)"
        )
    with npz:
        if _META not in npz.files:
            raise CheckpointError(
                f"nn.load: {name} is not an embergrad checkpoint (no {_META!r} entry; was it written by nn.save?)"
            )
        dec = _Decoder(name, npz, map_location)
        raw = dec.array(_META, meta=True)
        try:
            meta = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise dec.bad(f"its structure entry is not valid JSON ({e})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise CheckpointError(f"nn.load: {name} is not an embergrad checkpoint (unknown format marker)")
        if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
            raise CheckpointError(
                f"nn.load: {name} has checkpoint format version {meta.get('version')!r}; this embergrad reads "
                f"versions up to {VERSION}"
            )
        return dec.dec(meta.get("root"))


def load(f: Any, map_location: Any = None, weights_only: bool | None = None, **kwargs: Any) -> Any:
    """Load what ``nn.save`` wrote, from a path or a binary file-like object.

    ``map_location``: None (devices as saved), a device ('cpu', 'cuda', a Device), a dict mapping saved
    device strings to new ones, or ``fn(tensor_on_cpu, saved_device_str)`` returning a Tensor (or None).
    Always weights-only: ``weights_only`` is accepted for PyTorch compatibility.
    """
    for k in kwargs:
        if k not in ("pickle_module", "mmap"):
            raise TypeError(f"nn.load: unexpected keyword argument {k!r}")
    name = _describe(f)
    if isinstance(f, str | os.PathLike):
        with open(os.fspath(f), "rb") as fh:
            return _read(fh, name, map_location)
    if not hasattr(f, "read"):
        raise TypeError(f"nn.load: expected a path or a binary file object, got {type(f).__name__}")
    if not (hasattr(f, "seek") and getattr(f, "seekable", lambda: True)()):
        f = io.BytesIO(f.read())
    return _read(f, name, map_location)
