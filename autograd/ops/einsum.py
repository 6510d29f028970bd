"""einsum: Einstein summation with PyTorch's rules (implicit output, ellipsis, broadcasting, diagonals).

The public function rewrites the equation into an explicit one over letters only (ellipsis expanded,
implicit output filled in) and broadcasts size-1 dims up front, so the primitive sees consistent
sizes. Its backward for each operand is another einsum of the output gradient with the other operands;
letters only that operand had are broadcast back and repeated letters are put back on the diagonal.
"""

from __future__ import annotations

import string
from typing import Any

from ..tensor import Tensor
from .base import Primitive, check_same_device

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's label order: A-Z then a-z


class Einsum(Primitive):
    """``einsum(equation, *operands)`` for an explicit, letters-only equation with consistent sizes."""

    @staticmethod
    def forward(ctx, equation, *arrays):
        xp = ctx.backend_xp(*arrays)
        return xp.einsum(equation, *arrays, optimize=len(arrays) > 1)

    @staticmethod
    def backward(ctx, g):
        equation, *ops = ctx.inputs
        lhs, out = equation.split("->")
        terms = lhs.split(",")
        needs = ctx.needs_input_grad
        grads: list[Any] = [None]
        for i in range(len(terms)):
            grads.append(_operand_grad(g, out, terms, ops, i) if needs[i + 1] else None)
        return tuple(grads)


def _operand_grad(g: Tensor, out: str, terms: list, ops: list, i: int) -> Tensor:
    """d(sum(g * einsum(...)))/d(ops[i]) as einsums of ``g`` with the other operands."""
    term, x = terms[i], ops[i]
    unique = "".join(dict.fromkeys(term))
    elsewhere = set(out).union(*(set(t) for j, t in enumerate(terms) if j != i))
    kept = "".join(c for c in unique if c in elsewhere)
    others = [(t, o) for j, (t, o) in enumerate(zip(terms, ops)) if j != i]
    eq = ",".join([out] + [t for t, _ in others]) + "->" + kept
    gu = Einsum.apply(eq, g, *[o for _, o in others]) if (others or eq != f"{out}->{out}") else g
    size = {c: x.shape[term.index(c)] for c in unique}
    if kept != unique:  # letters only this operand had: summed in forward, so constant along them
        gu = gu.reshape(tuple(size[c] if c in kept else 1 for c in unique))
        gu = gu.expand(tuple(size[c] for c in unique))
    if len(unique) == len(term):
        return gu
    # repeated letters (a diagonal was read): write the gradient back on that diagonal
    free = iter(c for c in _LETTERS if c not in term)
    renamed, eyes, seen = [], [], set()
    for c in term:
        if c in seen:
            f = next(free)
            renamed.append(f)
            eyes.append(c + f)
        else:
            seen.add(c)
            renamed.append(c)
    xp = x.backend.xp
    eye_ops = [Tensor._make(xp.eye(size[e[0]], dtype=x._data.dtype)) for e in eyes]
    return Einsum.apply(",".join([unique] + eyes) + "->" + "".join(renamed), gu, *eye_ops)


def _parse(equation: str, shapes: list) -> tuple[list[str], str]:
    """Explicit per-operand subscripts and output subscripts, ellipses replaced by fresh letters."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the equation has {len(terms)} operand(s) ({equation!r}) but {len(shapes)} were given"
        )
    for part in terms + ([rhs] if arrow else []):
        bad = set(part.replace("...", "")) - set(_LETTERS)
        if bad or part.count("...") > 1:
            raise ValueError(
                f"einsum: invalid subscripts {part!r} in {equation!r}: use letters a-z, A-Z and at most "
                "one '...' per operand"
            )
    n_ell = 0
    for k, (t, shp) in enumerate(zip(terms, shapes)):
        named = len(t.replace("...", ""))
        if "..." in t:
            if named > len(shp):
                raise ValueError(
                    f"einsum: operand {k} has {len(shp)} dims but its subscripts {t!r} name {named} of them"
                )
            n_ell = max(n_ell, len(shp) - named)
        elif named != len(shp):
            raise ValueError(
                f"einsum: the number of subscripts in the equation ({named}) does not match the number of "
                f"dimensions ({len(shp)}) for operand {k} (subscripts {t!r}, shape {tuple(shp)}) and no "
                "ellipsis was given"
            )
    used = set(eq)
    ell = "".join([c for c in _LETTERS if c not in used][:n_ell])
    out_terms = []
    for t, shp in zip(terms, shapes):
        if "..." in t:
            k = len(shp) - len(t.replace("...", ""))
            t = t.replace("...", ell[n_ell - k :])
        out_terms.append(t)
    if arrow:
        out = rhs.replace("...", ell)
        for c in out:
            if out.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once in {equation!r}")
            if not any(c in t for t in out_terms):
                raise ValueError(
                    f"einsum: output subscript {c!r} does not appear in the equation for any input operand"
                )
    else:
        counts: dict[str, int] = {}
        for t in terms:
            for c in t.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c, n in counts.items() if n == 1), key=_LETTERS.index))
    return out_terms, out


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """PyTorch's sublist form ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])`` as an equation and operands:
    subscripts are ints in [0, 52) (or ``...``); a trailing list names the output."""
    ops, terms = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(terms):  # op, sub, op, sub, out: the last "operand" is the output sublist
        out = ops.pop()
        if isinstance(out, Tensor):
            raise ValueError("einsum: every operand needs a sublist of subscripts after it")

    def letters(sub: Any, what: str) -> str:
        if not isinstance(sub, list | tuple):
            raise TypeError(f"einsum: expected a list of subscripts for {what}, got {type(sub).__name__}")
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and not isinstance(s, bool) and 0 <= s < len(_LETTERS):
                out.append(_LETTERS[s])
            else:
                raise ValueError(
                    f"einsum: subscripts in a sublist must be ints in [0, {len(_LETTERS)}) or Ellipsis, "
                    f"got {s!r} for {what}"
                )
        return "".join(out)

    eq = ",".join(letters(t, f"operand {k}") for k, t in enumerate(terms))
    if out is not None:
        eq += "->" + letters(out, "the output")
    return eq, tuple(ops)


def einsum(*args: Any) -> Tensor:
    """Sums of products of operand elements, labelled by an equation (``einsum('bij,bjk->bik', a, b)``) or by
    sublists (``einsum(a, [0, 1, 2], b, [0, 2, 3], [0, 1, 3])``), as in PyTorch."""
    if not args:
        raise TypeError("einsum: expected an equation and operands, got nothing")
    if isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: expected the equation as a string, got {type(equation).__name__}")
    if not operands:
        raise ValueError("einsum: must provide at least one operand")
    for k, o in enumerate(operands):
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum: operand {k} is a {type(o).__name__}, expected a Tensor")
    check_same_device("einsum", *operands)
    terms, out = _parse(equation, [o.shape for o in operands])
    dt = operands[0]._data.dtype
    if any(o._data.dtype != dt for o in operands):
        raise RuntimeError(
            "einsum: expected all operands to have the same dtype, got "
            + ", ".join(str(o.dtype) for o in operands)
        )
    # one size per letter; size-1 dims broadcast (as in PyTorch), anything else must agree
    size: dict[str, int] = {}
    for k, (t, o) in enumerate(zip(terms, operands)):
        for c, n in zip(t, o.shape):
            if t.count(c) > 1 and n != o.shape[t.index(c)]:
                raise RuntimeError(
                    f"einsum: subscript {c!r} is repeated for operand {k} but the sizes don't match, "
                    f"{o.shape[t.index(c)]} != {n} (shape {tuple(o.shape)})"
                )
            cur = size.get(c, 1)
            if n != 1 and cur != 1 and n != cur:
                raise RuntimeError(
                    f"einsum: operands do not broadcast: subscript {c!r} has size {cur} in one operand and "
                    f"{n} in operand {k} (equation {equation!r}, shapes "
                    + ", ".join(str(tuple(x.shape)) for x in operands)
                    + ")"
                )
            size[c] = n if cur == 1 else cur
    ops = []
    for t, o in zip(terms, operands):
        target = tuple(size[c] for c in t)
        ops.append(o.expand(target) if target != o.shape else o)
    return Einsum.apply(",".join(terms) + "->" + out, *ops)
