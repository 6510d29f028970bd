"""Module.__repr__: PyTorch's nested layout plus parameter counts (total on the top line, per child after it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .module import Module


def _param_count(mod: Module) -> tuple[int, int]:
    total = trainable = 0
    for p in mod.parameters():
        if type(p).__name__ == "UninitializedParameter":  # a lazy module before its first forward
            continue
        n = p.numel()
        total += n
        trainable += n if p.requires_grad else 0
    return total, trainable


def _count_note(mod: Module, top: bool) -> str:
    total, trainable = _param_count(mod)
    if not total:
        return ""
    frozen = "" if trainable == total else f", {trainable:,} trainable"
    if top:
        return f"  # {total:,} parameter{'s' if total != 1 else ''}{frozen}"
    return f"  # {total:,}{frozen}"


def module_repr(mod: Module, top: bool) -> str:
    from .module import Module

    base_repr = Module.__repr__
    lines = []
    extra = mod.extra_repr()
    if extra:
        lines = extra.split("\n")
    for name, m in mod._modules.items():
        if m is None:
            child = "None"
        elif type(m).__repr__ is not base_repr:
            child = repr(m)
        else:
            child = module_repr(m, top=False)
        lines.append(f"({name}): " + child.replace("\n", "\n  "))
    note = _count_note(mod, top)
    main = mod._get_name() + "("
    if not lines:
        return main + ")" + note
    if len(lines) == 1 and not mod._modules:
        return main + lines[0] + ")" + note
    if note:  # the note goes on the first line, after the opening parenthesis
        main += note
    return main + "\n  " + "\n  ".join(lines) + "\n)"
