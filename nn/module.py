"""Module: the base class of layers. Registers parameters, buffers and submodules on assignment."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from autograd import Tensor, no_grad

from . import hooks as _hooks
from .parameter import Buffer, Parameter

_STORES = ("_parameters", "_buffers", "_modules")
# the global hook registries (mutated in place, never rebound), read directly on every module call
_GLOBAL_FWD_PRE = _hooks._global_forward_pre_hooks
_GLOBAL_FWD = _hooks._global_forward_hooks
_GLOBAL_BWD = _hooks._global_backward_hooks
_GLOBAL_BWD_PRE = _hooks._global_backward_pre_hooks


class Module:
    """Base class for all layers; subclasses define ``forward`` and assign parameters/submodules in ``__init__``."""

    training: bool
    _version: int = 1
    call_super_init: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'"
            )
        if args:
            raise TypeError(
                f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given"
            )
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if (
            d["_forward_pre_hooks"]
            or d["_forward_hooks"]
            or d["_backward_hooks"]
            or d["_backward_pre_hooks"]
            or _GLOBAL_FWD_PRE
            or _GLOBAL_FWD
            or _GLOBAL_BWD
            or _GLOBAL_BWD_PRE
        ):
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ---- registration ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _discard(d, name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _discard(d, name)
            d["_modules"][name] = value
        elif isinstance(value, Buffer):
            if params is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            persistent = value._extra.get("persistent", True) if value._extra else True
            self.register_buffer(name, Tensor._make(value._data), persistent)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' (nn.Module or None expected)"
                )
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in _STORES:
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for store in _STORES:
            if name in d.get(store, ()):
                del d[store][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name, self, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' (nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                "explicitly; to express '{name}' as a function of another Tensor, compute the value in forward()."
            )
        _discard(self.__dict__, name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a non-learnable tensor (running stats...); persistent buffers go in the state_dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name, self, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' (Tensor or None required)"
            )
        _discard(self.__dict__, name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name, self, "_modules")
        _discard(self.__dict__, name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        mod = self
        if not target:
            return mod
        for part in target.split("."):
            if part not in mod._modules or mod._modules[part] is None:
                raise AttributeError(f"{mod._get_name()} has no attribute `{part}` (looking up '{target}')")
            mod = mod._modules[part]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # ---- iteration ------------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Every module in the tree, self first then depth first, with dotted names."""
        seen: set[int] = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in seen:
                    continue
                seen.add(id(mod))
            yield name, mod
            children = [
                (name + ("." if name else "") + k, m) for k, m in mod._modules.items() if m is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(
        self, store: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for mod_prefix, mod in mods:
            for k, v in getattr(mod, store).items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + k, v

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- modes ----------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every submodule (dropout, batch norm change behaviour)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.__dict__["training"] = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad.detach() if p.grad.grad_fn is not None else p.grad
                g.requires_grad = False
                with no_grad():
                    g.zero_()
                p.grad = g

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first, post-order as PyTorch) and then on self."""
        stack: list[tuple[Module, bool]] = [(self, False)]
        seen: set[int] = set()
        while stack:
            mod, expanded = stack.pop()
            if expanded:
                fn(mod)
                continue
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            stack.append((mod, True))
            stack.extend((c, False) for c in reversed(list(mod.children())))
        return self

    # ---- moves and casts ------------------------------------------------------------------------
    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Module:
        """Replace every parameter's and buffer's data by ``fn(tensor)``, keeping the Parameter objects."""
        done: dict[int, Tensor] = {}
        with no_grad():
            for m in self.modules():
                for p in m._parameters.values():
                    if p is None or id(p) in done:
                        continue
                    done[id(p)] = p
                    new = fn(p)
                    if new._data is not p._data:
                        p._data = new._data
                    if p.grad is not None:
                        p.grad = fn(p.grad)
                for k, b in m._buffers.items():
                    if b is not None:
                        if id(b) not in done:
                            done[id(b)] = fn(b)
                        m._buffers[k] = done[id(b)]
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move/cast parameters and buffers in place: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``;
        ``memory_format=autograd.channels_last`` lays out the 4-d ones channels-last."""
        from autograd.ops.device import _parse_to

        kwargs = dict(kwargs)
        fmt = kwargs.pop("memory_format", None)
        device, dtype, _ = _parse_to(args, kwargs)
        if dtype is not None:
            from autograd import dtypes

            if dtypes.to_np(dtype).kind != "f":
                raise TypeError(
                    f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
                )

        def move(t: Tensor) -> Tensor:
            out = t
            if device is not None:
                out = out.to(device)
            if dtype is not None and out.is_floating_point():
                out = out.to(dtype)
            if (
                fmt is not None and fmt.perm is not None and out.ndim == len(fmt.perm)
            ):  # 4-d (5-d) tensors only
                out = out.contiguous(memory_format=fmt)
            return out

        return self._apply(move)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Module:
        return self.to(
            "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
        )

    def float(self) -> Module:
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> Module:
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> Module:
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def type(self, dst_type: Any) -> Module:
        return self._apply(lambda t: t.to(dst_type))

    # ---- state ----------------------------------------------------------------------------------
    def state_dict(
        self, *args: Any, destination: Any = None, prefix: str = "", keep_vars: bool = False
    ) -> Any:
        """Parameters and persistent buffers by dotted name (detached unless ``keep_vars``)."""
        from .state import state_dict

        if args:  # PyTorch's deprecated positional form: (destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        return state_dict(self, destination, prefix, keep_vars)

    def load_state_dict(self, state_dict: Any, strict: bool = True, assign: bool = False) -> Any:
        """Copy tensors into the parameters/buffers by name; errors list missing/unexpected/mis-shaped keys."""
        from .state import load_state_dict

        return load_state_dict(self, state_dict, strict, assign)

    def _save_to_state_dict(self, destination: Any, prefix: str, keep_vars: bool) -> None:
        from .state import save_to_state_dict

        save_to_state_dict(self, destination, prefix, keep_vars)

    def _load_from_state_dict(
        self,
        state_dict: Any,
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list,
        unexpected_keys: list,
        error_msgs: list,
    ) -> None:
        from .state import load_from_state_dict

        load_from_state_dict(
            self, state_dict, prefix, local_metadata, missing_keys, unexpected_keys, error_msgs
        )

    def get_extra_state(self) -> Any:
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called; override it to "
            "save extra state in the state_dict"
        )

    def set_extra_state(self, state: Any) -> None:
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called; override it to "
            "load extra state from the state_dict"
        )

    # ---- hooks ----------------------------------------------------------------------------------
    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> _hooks.RemovableHandle:
        """``hook(module, args)`` (or ``(module, args, kwargs)``) before forward; may return new args."""
        return _hooks.add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ) -> _hooks.RemovableHandle:
        """``hook(module, args, output)`` after forward; a returned value replaces the output."""
        return _hooks.add_hook(self._forward_hooks, hook, prepend, with_kwargs, always_call)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> _hooks.RemovableHandle:
        """``hook(module, grad_input, grad_output)`` once the grads w.r.t. the inputs are known; may return new
        grad_input."""
        return _hooks.add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(
        self, hook: Callable, prepend: bool = False
    ) -> _hooks.RemovableHandle:
        """``hook(module, grad_output)`` when the grads w.r.t. the outputs are known; may return new ones."""
        return _hooks.add_hook(self._backward_pre_hooks, hook, prepend)

    # ---- printing -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        """PyTorch's layout, plus parameter counts: on the top line, and after each child that has any."""
        from ._module_repr import module_repr

        return module_repr(self, top=True)

    # ---- copying (deepcopy yes, pickle never) -----------------------------------------------------
    def __deepcopy__(self, memo: dict) -> Module:
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            new.__dict__[k] = copy.deepcopy(v, memo)
        return new

    def __copy__(self) -> Module:
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(
            f"{type(self).__name__}: modules are never pickled (DESIGN: Safety); "
            "save model.state_dict() with nn.save and load it with nn.load instead"
        )

    def __getstate__(self) -> Any:
        return self.__reduce_ex__(2)


def _discard(d: dict, name: str) -> None:
    for store in _STORES:
        if name in d.get(store, ()):
            del d[store][name]
    d.pop(name, None)


def _check_name(kind: str, name: str, mod: Module, store: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if not name:
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name in mod.__dict__[store]:
        return
    if hasattr(type(mod), name) or (name in mod.__dict__ and name not in _STORES):
        raise KeyError(f"attribute '{name}' already exists")
