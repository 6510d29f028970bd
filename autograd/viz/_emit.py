"""DOT text from a collected drawing: node styles, module clusters (nested, emitted without recursion)."""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import Any

_NODE_STYLE = {
    "op": 'style="filled,rounded", fillcolor="#d9d9d9"',
    "freed": 'style="filled,rounded,dashed", fillcolor="#f4cccc", color="#cc0000"',
    "param": 'fillcolor="#cfe2f3", color="#1f4e99", penwidth=2',  # leaves that require grad stand out
    "leaf": 'fillcolor="#cfe2f3", color="#1f4e99", penwidth=2',
    "const": 'style=dashed, fontcolor="#595959", color="#7f7f7f"',
    "output": 'fillcolor="#d9ead3", color="#38761d", penwidth=2',
    "tensor": 'fillcolor="#fff2cc"',
    "saved": 'fillcolor="#fce5cd", color="#e69138"',
    "stale": 'fillcolor="#f4cccc", color="#cc0000", penwidth=2',
    "trunc": 'shape=note, fillcolor="#fce5cd"',
    "note": 'shape=note, fillcolor="#fffbe6", fontsize=9',
}
_EDGE_STYLE = {
    "data": "",
    "const": 'style=dashed, color="#7f7f7f"',
    "saved": 'style=dotted, dir=none, color="#e69138", fontcolor="#b45f06"',
    "stale": 'style=dotted, dir=none, color="#cc0000", fontcolor="#cc0000", penwidth=2',
}
_CLUSTER_FILL = ("#f3f6fb", "#fbf7f0", "#f2f8f2", "#f8f2f8")


def esc(s: str) -> str:
    """A DOT double-quoted string body: backslashes and quotes escaped, newlines as centered breaks."""
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def emit(b: Any, trace: Any, notes: list[str], rankdir: str) -> str:
    """The DOT source for builder ``b``; with a module trace, nodes sit in nested per-call clusters."""
    calls: list = []
    parent: list[int] = []
    cluster_of: dict[str, int] = {}
    if trace is not None:
        calls, parent = _call_tree(trace.calls)
        cluster_of = _assign(b, calls, parent)
    members: dict[int, list[str]] = {}
    for nid, (kind, label, extra) in b.nodes.items():
        attrs = _NODE_STYLE[kind] + (", " + extra if extra else "")
        members.setdefault(cluster_of.get(nid, -1), []).append(f'{nid} [label="{esc(label)}", {attrs}]')
    if notes:
        members.setdefault(-1, []).append(f'note [label="{esc(chr(10).join(notes))}", {_NODE_STYLE["note"]}]')
    lines = [
        "digraph autograd {",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=10];',
        '  node [shape=box, style=filled, fillcolor=white, fontname="Helvetica", fontsize=10, height=0.2];',
        '  edge [fontname="Helvetica", fontsize=8, arrowsize=0.7];',
    ]
    lines += ["  " + s + ";" for s in members.get(-1, ())]
    if calls:
        lines += _clusters(calls, parent, members)
    for src, dst, label, kind in b.edges:
        attrs = [f'label="{esc(label)}"'] if label else []
        if _EDGE_STYLE[kind]:
            attrs.append(_EDGE_STYLE[kind])
        lines.append(f"  {src} -> {dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _call_tree(raw_calls: list) -> tuple[list, list[int]]:
    """Calls sorted by start, and each one's innermost enclosing call (-1 for none)."""
    calls = sorted(raw_calls, key=lambda c: (c.start, -_end(c)))
    parent: list[int] = []
    stack: list[int] = []
    for c in calls:
        while stack and _end(calls[stack[-1]]) < _end(c):
            stack.pop()
        parent.append(stack[-1] if stack else -1)
        stack.append(len(parent) - 1)
    return calls, parent


def _end(c: Any) -> float:
    return math.inf if c.end is None else c.end


def _assign(b: Any, calls: list, parent: list[int]) -> dict[str, int]:
    """Node id -> index of the innermost module call that created it (ops by seq, tensors by owner)."""
    starts = [c.start for c in calls]
    out: dict[str, int] = {}
    for nid, fn in b.op_fn.items():
        s = getattr(fn, "seq", None)
        if s is None:
            continue
        k = bisect_left(starts, s) - 1
        while k >= 0 and not calls[k].contains(s):
            k = parent[k]
        if k >= 0:
            out[nid] = k
    for nid, fn in b.home.items():
        k = out.get(b.op_ids.get(fn, ""), -1)
        if k >= 0:
            out[nid] = k
    by_name: dict[str, list[int]] = {}
    for k, c in enumerate(calls):
        by_name.setdefault(c.name, []).append(k)
    for nid, pname in b.param_of.items():
        owner = by_name.get(pname.rpartition(".")[0], ())
        if len(owner) == 1 and nid not in out:  # a module called several times keeps its params outside
            out[nid] = owner[0]
    return out


def _clusters(calls: list, parent: list[int], members: dict[int, list[str]]) -> list[str]:
    """Nested ``subgraph cluster_k`` blocks for the calls that hold any node, without recursion."""
    n = len(calls)
    size = [len(members.get(k, ())) for k in range(n)]
    for k in range(n - 1, -1, -1):  # children come after their parent in start order
        if parent[k] >= 0:
            size[parent[k]] += size[k]
    children: dict[int, list[int]] = {}
    for k in range(n):
        if size[k]:
            children.setdefault(parent[k], []).append(k)
    total: dict[str, int] = {}
    for k in range(n):
        if size[k]:
            total[calls[k].name] = total.get(calls[k].name, 0) + 1
    nth: dict[str, int] = {}
    lines: list[str] = []
    stack: list[tuple[int, int, bool]] = [(k, 1, True) for k in reversed(children.get(-1, ()))]
    while stack:
        k, depth, opening = stack.pop()
        pad = "  " * depth
        if not opening:
            lines.append(pad + "}")
            continue
        c = calls[k]
        label = f"{c.name}: {c.type_name}" if c.name else c.type_name
        nth[c.name] = nth.get(c.name, 0) + 1
        if total[c.name] > 1:
            label += f" #{nth[c.name]}"
        fill = _CLUSTER_FILL[(depth - 1) % len(_CLUSTER_FILL)]
        lines.append(f"{pad}subgraph cluster_{k} {{")
        lines.append(
            f'{pad}  graph [label="{esc(label)}", labeljust=l, style="rounded,filled", '
            f'fillcolor="{fill}", color="#999999", fontcolor="#404040"];'
        )
        lines += [f"{pad}  {s};" for s in members.get(k, ())]
        stack.append((k, depth, False))
        stack += [(ch, depth + 1, True) for ch in reversed(children.get(k, ()))]
    return lines
