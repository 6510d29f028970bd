"""What real CuPy offers, so the stand-in refuses what CuPy would refuse.

Where CuPy is importable (it imports without a GPU), every stand-in function, method and
keyword argument is checked against the installed CuPy: a name CuPy lacks, or a call its
signature rejects, fails on the stand-in as it would on a GPU. Without CuPy only a fixed
list of ndarray methods applies.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

# ndarray methods/attributes both numpy and CuPy 13/14 have (used when CuPy is not importable)
_STATIC_METHODS = frozenset(
    "all any argmax argmin argpartition argsort astype clip compress conj conjugate copy cumprod cumsum "
    "diagonal dot fill flatten item max mean min nonzero partition prod put ravel repeat reshape round "
    "searchsorted sort squeeze std sum swapaxes take tobytes tolist trace transpose var view".split()
)
_UFUNC_KWARGS = frozenset({"out", "dtype", "casting"})

_state: dict[str, Any] = {}


def cupy() -> Any:
    """The installed CuPy module, or None."""
    if "cupy" not in _state:
        try:
            import cupy as cp
        except Exception:  # noqa: BLE001 - any import failure means: no CuPy to compare with
            cp = None
        _state["cupy"] = cp
    return _state["cupy"]


def has_function(name: str, sub: str | None = None) -> bool:
    cp = cupy()
    if cp is None:
        return True
    mod = cp if sub is None else getattr(cp, sub, None)
    return mod is not None and hasattr(mod, name)


def method_names() -> frozenset:
    import numpy as np

    cp = cupy()
    if cp is None:
        return _STATIC_METHODS
    names = {n for n in dir(cp.ndarray) if not n.startswith("_")} & {
        n for n in dir(np.ndarray) if not n.startswith("_")
    }
    return frozenset(n for n in names if callable(getattr(np.ndarray, n, None)))


_SIG_CACHE: dict[Any, Any] = {}
_OK_CALLS: set = set()


class _Default:
    """A default value as CuPy's docstring spells it (only its presence matters for binding)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _parse_doc_signature(doc: str) -> inspect.Signature | None:
    """A Cython method's signature from its docstring's first line ('name(self, a, b=1) -> t')."""
    first = (doc or "").strip().split("\n", 1)[0]
    m = re.match(r"^[\w.]+\((.*)\)", first)
    if not m:
        return None
    parts, depth, cur = [], 0, ""
    for ch in m.group(1):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    params = []
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    for p in parts:
        p = p.strip().replace("\\*", "*")  # reST docstrings escape the star: '\*'
        if p == "self":
            continue
        if p == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        if p == "/":  # the parameters so far are positional-only
            params = [q.replace(kind=inspect.Parameter.POSITIONAL_ONLY) for q in params]
            continue
        if p.startswith("**"):
            params.append(inspect.Parameter(p[2:].split()[-1], inspect.Parameter.VAR_KEYWORD))
            continue
        if p.startswith("*"):
            params.append(inspect.Parameter(p[1:].split()[-1], inspect.Parameter.VAR_POSITIONAL))
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        lhs, eq, default = p.partition("=")
        name = lhs.split()[-1]
        params.append(
            inspect.Parameter(
                name, kind, default=_Default(default.strip()) if eq else inspect.Parameter.empty
            )
        )
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def _signature(target: Any) -> inspect.Signature | None:
    key = id(target)
    if key in _SIG_CACHE:
        return _SIG_CACHE[key][1]
    sig = None
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        sig = _parse_doc_signature(getattr(target, "__doc__", "") or "")
    _SIG_CACHE[key] = (target, sig)  # keep target alive so its id stays unique
    return sig


def check_call(where: str, target: Any, args: tuple, kwargs: dict, drop_self: bool = False) -> None:
    """Raise TypeError if CuPy's ``target`` would reject this call's arity/keywords."""
    if target is None:
        return
    key = (id(target), len(args), tuple(sorted(kwargs)))
    if key in _OK_CALLS:
        return
    sig = _signature(target)
    if sig is not None:
        params = list(sig.parameters.values())
        if drop_self and params and params[0].name == "self":
            sig = sig.replace(parameters=params[1:])
        try:
            sig.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(
                f"strict CuPy stand-in: CuPy's {where}{sig} rejects this call ({e}); "
                f"got {len(args)} positional argument(s) and keywords {sorted(kwargs)}"
            ) from None
    _OK_CALLS.add(key)


def check_ufunc_kwargs(name: str, kwargs: dict) -> None:
    bad = set(kwargs) - _UFUNC_KWARGS
    if bad:
        raise TypeError(
            f"strict CuPy stand-in: CuPy ufunc {name}() does not take {sorted(bad)} "
            f"(it accepts {sorted(_UFUNC_KWARGS)})"
        )


def function_target(name: str, sub: str | None = None) -> Any:
    cp = cupy()
    if cp is None:
        return None
    mod = cp if sub is None else getattr(cp, sub, None)
    return getattr(mod, name, None)


def method_target(name: str) -> Any:
    cp = cupy()
    return None if cp is None else getattr(cp.ndarray, name, None)
