"""Forward and backward hooks on modules."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

_next_id = [0]


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters."""

    def __init__(self, store: OrderedDict, key: int) -> None:
        self._store, self.id = store, key

    def remove(self) -> None:
        self._store.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(store: OrderedDict, hook: Any, prepend: bool, with_kwargs: bool) -> RemovableHandle:
    _next_id[0] += 1
    key = _next_id[0]
    store[key] = (hook, with_kwargs)
    if prepend:
        store.move_to_end(key, last=False)
    return RemovableHandle(store, key)


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    for hook, with_kwargs in list(module._forward_pre_hooks.values()):
        if with_kwargs:
            r = hook(module, args, kwargs)
            if r is not None:
                args, kwargs = r
        else:
            r = hook(module, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
    out = module.forward(*args, **kwargs)
    for hook, with_kwargs in list(module._forward_hooks.values()):
        r = hook(module, args, kwargs, out) if with_kwargs else hook(module, args, out)
        if r is not None:
            out = r
    return out
