"""autograd.viz: DOT text of the recorded graph (checked by a small DOT parser), module clusters, rendering."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as A
import nn
from autograd import viz

# ---- a small DOT parser: checks structure, gives nodes / edges / clusters back ---------------------

_TOKEN = re.compile(r'\s+|"((?:[^"\\]|\\.)*)"|(->)|([{}\[\];=,])|([A-Za-z_][A-Za-z0-9_.]*|-?[0-9.]+)')


def _tokens(src: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        assert m is not None, f"bad DOT text at {pos}: {src[pos : pos + 40]!r}"
        pos = m.end()
        if m.group(1) is not None:
            s = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(1))
            out.append(("str", s))
        elif m.group(2) or m.group(3):
            out.append(("sym", m.group(0)))
        elif m.group(4):
            out.append(("id", m.group(4)))
    return out


def parse_dot(src: str) -> dict:
    """Nodes (id -> attrs, with 'cluster' = innermost cluster label), edges, clusters (label -> parent)."""
    toks = _tokens(src)
    assert toks[:3] == [("id", "digraph"), ("id", "autograd"), ("sym", "{")], toks[:3]
    nodes: dict[str, dict] = {}
    edges: list[tuple[str, str, dict]] = []
    clusters: dict[str, str | None] = {}
    stack: list[str | None] = [None]  # None: the top-level graph
    i = 3

    def attrs() -> dict:
        nonlocal i
        d: dict = {}
        if toks[i] != ("sym", "["):
            return d
        i += 1
        while toks[i] != ("sym", "]"):
            k = toks[i][1]
            assert toks[i + 1] == ("sym", "="), toks[i : i + 3]
            d[k] = toks[i + 2][1]
            i += 3
            if toks[i] == ("sym", ","):
                i += 1
        i += 1
        return d

    while True:
        kind, val = toks[i]
        if (kind, val) == ("sym", "}"):
            stack.pop()
            i += 1
            if not stack:
                assert i == len(toks), "text after the closing brace"
                break
            continue
        if (kind, val) == ("id", "subgraph"):
            name = toks[i + 1][1]
            assert toks[i + 2] == ("sym", "{") and name.startswith("cluster_")
            stack.append(name)
            clusters[name] = stack[-2]
            i += 3
            continue
        assert kind == "id", f"statement starts with {val!r}"
        i += 1
        if val in ("graph", "node", "edge"):
            a = attrs()
            if val == "graph" and stack[-1] is not None:
                clusters[stack[-1] + ".label"] = a.get("label")
        elif toks[i] == ("sym", "->"):
            dst = toks[i + 1][1]
            i += 2
            edges.append((val, dst, attrs()))
        else:
            assert val not in nodes, f"node {val} declared twice"
            nodes[val] = {**attrs(), "cluster": stack[-1]}
        assert toks[i] == ("sym", ";"), f"missing ';' after {val}"
        i += 1
    for a, b, _ in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} refers to an undeclared node"
    labels = {k: v for k, v in clusters.items() if k.endswith(".label")}
    return {
        "nodes": nodes,
        "edges": edges,
        "parent": {k: v for k, v in clusters.items() if not k.endswith(".label")},
        "cluster_label": {k[: -len(".label")]: v for k, v in labels.items()},
    }


def find(g: dict, text: str) -> str:
    """The one node whose label's first line is ``text`` (or, failing that, contains it)."""
    hits = [n for n, a in g["nodes"].items() if a.get("label", "").split("\n")[0] == text]
    if not hits:
        hits = [n for n, a in g["nodes"].items() if text in a.get("label", "")]
    assert len(hits) == 1, f"{len(hits)} nodes labelled {text!r}: {[g['nodes'][h]['label'] for h in hits]}"
    return hits[0]


def has_edge(g: dict, a: str, b: str) -> bool:
    return any(s == a and d == b for s, d, _ in g["edges"])


def test_parser_rejects_broken_dot() -> None:
    ok = 'digraph autograd {\n  a [label="x"];\n  b [label="y"];\n  a -> b;\n}\n'
    assert parse_dot(ok)["edges"] == [("a", "b", {})]
    for bad in (ok.replace("  b [", "  c ["), ok[:-2], ok.replace("a -> b;", "a -> b"), ok + "}"):
        with pytest.raises((AssertionError, IndexError)):
            parse_dot(bad)


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(4, 6), nn.Tanh())
        self.head = nn.Linear(6, 3)

    def forward(self, x: A.Tensor) -> A.Tensor:
        return self.head(self.block(x))


# ---- the DOT text ------------------------------------------------------------------------------------


def test_ops_tensors_and_edges(device: str) -> None:
    x = A.randn(3, 4, device=device)
    x.name = "x"
    w = A.randn(4, 2, device=device, requires_grad=True)
    out = (x @ w).relu().sum()
    g = parse_dot(viz.make_dot(out, params={"W": w}).source)
    mm, relu, s = find(g, "MatMulBackward"), find(g, "ReluBackward"), find(g, "SumBackward")
    xn, wn, on = find(g, "x"), find(g, "W"), find(g, "output")
    assert has_edge(g, xn, mm) and has_edge(g, wn, mm) and has_edge(g, mm, relu)
    assert has_edge(g, relu, s) and has_edge(g, s, on)
    assert g["nodes"][wn]["label"] == f"W\n(4, 2) float32, {w.device}"
    assert g["nodes"][wn]["penwidth"] == "2"  # leaves that require grad are highlighted
    assert g["nodes"][xn]["style"] == "dashed"  # constants are not
    assert [a["label"] for s_, d, a in g["edges"] if (s_, d) == (mm, relu)] == ["(3, 2)"]
    assert len(g["nodes"]) == 6 and len(g["edges"]) == 5


def test_constants_can_be_hidden_and_dtype_on_edges() -> None:
    x = A.randn(3, dtype=A.float64)
    w = A.randn(3, dtype=A.float64, requires_grad=True)
    g = parse_dot(viz.make_dot((x * w).sum(), show_constants=False).source)
    assert len(g["nodes"]) == 4 and "constant" not in str(g["nodes"])
    mul, s = find(g, "MulBackward"), find(g, "SumBackward")
    assert [a["label"] for a_, b, a in g["edges"] if (a_, b) == (mul, s)] == ["(3,) float64"]
    assert find(g, "leaf")


def test_params_named_from_a_module_and_tensor_name() -> None:
    m = Tiny()
    x = A.randn(2, 4)
    h = m(x)
    h.name = "logits"
    g = parse_dot(viz.make_dot((h * h).sum(), params=m).source)
    for name in ("block.0.weight", "block.0.bias", "head.weight", "head.bias"):
        assert g["nodes"][find(g, name)]["label"].startswith(name + "\n")
    assert has_edge(g, find(g, "logits"), find(g, "MulBackward"))


def test_several_outputs_share_one_graph() -> None:
    x = A.randn(5, requires_grad=True)
    h = x.exp()
    a, b = h.sum(), (h * 2).prod()
    g = parse_dot(viz.make_dot({"a": a, "b": b}).source)
    exp = find(g, "ExpBackward")
    assert has_edge(g, find(g, "SumBackward"), find(g, "a"))
    assert has_edge(g, find(g, "ProdBackward"), find(g, "b"))
    assert sum(1 for s, _, _ in g["edges"] if s == exp) == 2  # drawn once, used twice
    g2 = parse_dot(viz.make_dot([a, b]).source)
    assert find(g2, "output 0") and find(g2, "output 1")


def test_an_output_feeding_another_is_one_node() -> None:
    x = A.randn(3, requires_grad=True)
    h = x * 3
    loss = h.sum()
    g = parse_dot(viz.make_dot([h, loss]).source)
    hn = find(g, "output 0")
    assert has_edge(g, find(g, "MulBackward"), hn) and has_edge(g, hn, find(g, "SumBackward"))


def test_saved_tensors_and_in_place_modification() -> None:
    x = A.randn(3, requires_grad=True)
    a = x * 1.0
    b = a * a
    e = x.exp()
    out = b.sum() + e.sum()
    g = parse_dot(viz.make_dot(out, show_saved=True).source)
    saved = [a_ for _, _, a_ in g["edges"] if a_.get("style") == "dotted"]
    assert sorted(x["label"] for x in saved).count("saved input 0") >= 2  # MulBackward reads both inputs
    assert any(x["label"] == "saved output" for x in saved)  # ExpBackward reads its output
    assert "modified in place" not in str(g)
    a.add_(1)
    g = parse_dot(viz.make_dot(out, show_saved=True).source)
    stale = [a_ for _, _, a_ in g["edges"] if "modified in place" in a_.get("label", "")]
    assert len(stale) == 2 and "version 1, saved at 0" in stale[0]["label"]
    stale_src = {a_ for a_, _, e in g["edges"] if "modified in place" in e.get("label", "")}
    assert [g["nodes"][n]["color"] for n in stale_src] == ["#cc0000"]  # one saved tensor, read twice
    assert "saved" not in viz.make_dot(out).source  # off by default


class _Two(A.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g1, g2):
        (x,) = ctx.saved_tensors
        return g1 * 2 + g2 * 3


def test_user_function_saved_and_multiple_outputs() -> None:
    x = A.randn(4, requires_grad=True)
    p, q = _Two.apply(x)
    out = (p * q).sum()
    g = parse_dot(viz.make_dot(out, params={"x": x}, show_saved=True).source)
    two, mul = find(g, "TwoBackward"), find(g, "MulBackward")
    labels = sorted(a["label"] for s, d, a in g["edges"] if (s, d) == (two, mul))
    assert labels == ["[0] (4,)", "[1] (4,)"]
    assert any(
        s == find(g, "x") and d == two and a.get("label") == "saved saved[0]" for s, d, a in g["edges"]
    )


def test_show_attrs_lists_op_arguments() -> None:
    x = A.randn(2, 3, requires_grad=True)
    src = viz.make_dot((x * 2.5).sum(dim=1), show_attrs=True).source
    g = parse_dot(src)
    assert "input[1]=2.5" in g["nodes"][find(g, "MulBackward")]["label"]
    assert "axes=(1,)" in g["nodes"][find(g, "SumBackward")]["label"]


def test_grad_norms_of_leaves_and_retained_grads() -> None:
    x = A.randn(4, 3, requires_grad=True)
    unused = A.randn(2, requires_grad=True)
    h = x * 2
    h.retain_grad()
    loss = (h * h).sum() + unused.sum() * 0
    loss.backward(retain_graph=True)
    unused.grad = None
    g = parse_dot(viz.make_dot(loss, params={"x": x, "unused": unused}, show_grad=True).source)
    want = math.sqrt(float((8 * x.detach().numpy()) ** 2 @ np.ones(3) @ np.ones(4)))
    assert f"grad norm {want:.4g}" in g["nodes"][find(g, "x")]["label"]
    assert "grad None" in g["nodes"][find(g, "unused")]["label"]
    hn = find(g, "tensor")  # retained intermediate: drawn as its own node with its grad norm
    assert f"grad norm {float(np.linalg.norm(4 * x.detach().numpy())):.4g}" in g["nodes"][hn]["label"]
    x.grad = A.full((4, 3), float("nan"))
    g = parse_dot(viz.make_dot(loss, params={"x": x}, show_grad=True).source)
    assert "grad norm nan" in g["nodes"][find(g, "x")]["label"]
    assert g["nodes"][find(g, "x")]["fontcolor"] == "#cc0000"


def test_freed_graph_is_shown_and_explained() -> None:
    x = A.randn(3, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    d = viz.make_dot(y)
    g = parse_dot(d.source)
    assert "graph freed" in g["nodes"][find(g, "SumBackward")]["label"]
    assert d.notes and "retain_graph=True" in d.notes[0] and "note" in g["nodes"]


def test_labels_are_escaped() -> None:
    x = A.randn(2, requires_grad=True)
    x.name = 'we"ird\\name\nline2'
    g = parse_dot(viz.make_dot((x + 1).sum()).source)
    assert g["nodes"][find(g, 'we"ird\\name')]["label"].startswith('we"ird\\name\nline2\n')


def test_bad_arguments_say_what_is_expected() -> None:
    x = A.randn(2, requires_grad=True)
    with pytest.raises(TypeError, match=r"outputs\[1\] is a float"):
        viz.make_dot([x, 1.0])
    with pytest.raises(ValueError, match="no outputs"):
        viz.make_dot([])
    with pytest.raises(TypeError, match=r"params\['w'\] is a int"):
        viz.make_dot(x, params={"w": 3})
    with pytest.raises(ValueError, match="max_nodes"):
        viz.make_dot(x, max_nodes=0)


# ---- big graphs ---------------------------------------------------------------------------------------


def test_max_nodes_truncates_with_a_note() -> None:
    h = A.randn(2, requires_grad=True)
    for _ in range(50):
        h = h * 1.5
    d = viz.make_dot(h, max_nodes=10)
    g = parse_dot(d.source)
    assert (d.num_ops, d.total_ops, d.truncated) == (10, 50, True)
    assert "40 more ops not drawn" in g["nodes"]["trunc"]["label"] and "truncated" in d.notes[0]
    assert sum(1 for n in g["nodes"].values() if n["label"].startswith("MulBackward")) == 10
    assert viz.make_dot(h).truncated is False


def test_100k_op_chain_needs_no_recursion() -> None:
    h = A.randn(2, requires_grad=True)
    for _ in range(100_000):
        h = h * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive walk would blow up far sooner than 100,000 nodes
    try:
        full = viz.make_dot(h, max_nodes=None)
        capped = viz.make_dot(h)
    finally:
        sys.setrecursionlimit(limit)
    assert full.num_ops == 100_000 and not full.truncated
    assert full.source.count(" -> ") == 100_001  # 99,999 op-to-op edges, the leaf, the output
    assert capped.num_ops == viz.DEFAULT_MAX_NODES and capped.total_ops == 100_000


# ---- module grouping ------------------------------------------------------------------------------------


def test_group_by_module_draws_nested_clusters() -> None:
    m = Tiny()
    x = A.randn(2, 4)
    with viz.trace_modules(m) as tr:
        out = m(x)
    loss = out.square().mean()
    assert not m.block[0]._forward_hooks and not m._forward_pre_hooks  # hooks removed on exit
    assert [c.name for c in tr.calls] == ["", "block", "block.0", "block.1", "head"]
    g = parse_dot(viz.make_dot(loss, group_by_module=m).source)
    by_label = {v: k for k, v in g["cluster_label"].items()}
    assert set(by_label) == {"Tiny", "block: Sequential", "block.0: Linear", "block.1: Tanh", "head: Linear"}
    root, block, lin0 = by_label["Tiny"], by_label["block: Sequential"], by_label["block.0: Linear"]
    assert g["parent"][root] is None and g["parent"][block] == root and g["parent"][lin0] == block
    assert g["parent"][by_label["head: Linear"]] == root
    assert g["nodes"][find(g, "TanhBackward")]["cluster"] == by_label["block.1: Tanh"]
    assert g["nodes"][find(g, "block.0.weight")]["cluster"] == lin0  # params named from the module
    assert g["nodes"][find(g, "head.bias")]["cluster"] == by_label["head: Linear"]
    assert g["nodes"][find(g, "DivBackward")]["cluster"] is None  # the loss ran outside the model
    linears = [n for n, a in g["nodes"].items() if a["label"].startswith("LinearBackward")]
    assert sorted(g["nodes"][n]["cluster"] for n in linears) == sorted([lin0, by_label["head: Linear"]])
    g2 = parse_dot(viz.make_dot(loss, group_by_module=tr).source)  # the trace itself works too
    assert g2["cluster_label"] == g["cluster_label"]


def test_module_called_twice_gets_two_clusters() -> None:
    lin = nn.Linear(3, 3)
    x = A.randn(2, 3)
    with viz.trace_modules(lin):
        y = lin(lin(x).relu())
    g = parse_dot(viz.make_dot(y.sum(), group_by_module=lin).source)
    assert sorted(g["cluster_label"].values()) == ["Linear #1", "Linear #2"]
    assert g["nodes"][find(g, "weight")]["cluster"] is None  # shared by both calls: drawn outside
    assert g["nodes"][find(g, "ReluBackward")]["cluster"] is None


def test_trace_does_not_keep_the_model_alive() -> None:
    import gc
    import weakref

    m = Tiny()
    with viz.trace_modules(m) as tr:
        m(A.randn(2, 4))
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None and tr.module is None and "Tiny" in repr(tr)


def test_group_by_module_without_a_trace_says_how() -> None:
    m = Tiny()
    out = m(A.randn(2, 4)).sum()
    with pytest.raises(ValueError, match="trace_modules"):
        viz.make_dot(out, group_by_module=m)
    with pytest.raises(TypeError, match="nn.Module"):
        viz.trace_modules(object())


def test_trace_closes_a_call_whose_forward_raised() -> None:
    class Bad(nn.Module):
        def forward(self, x):
            return x.reshape(7, 7)

    m = nn.Sequential(nn.Linear(2, 2), Bad())
    with viz.trace_modules(m) as tr, pytest.raises(Exception):  # noqa: B017
        m(A.randn(3, 2))
    assert all(c.end is not None and c.end > c.start for c in tr.calls)


def test_viz_does_not_import_nn() -> None:
    code = "import sys, autograd.viz; assert 'nn' not in sys.modules, 'autograd.viz imported nn'"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


# ---- saving and rendering -------------------------------------------------------------------------------


def _graph() -> viz.Digraph:
    x = A.randn(3, requires_grad=True)
    return viz.make_dot((x * 2).sum(), params={"x": x})


def test_render_without_dot_fails_early_with_install_hint(tmp_path: Path, monkeypatch) -> None:
    d = _graph()
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    assert not viz.dot_available()
    with pytest.raises(viz.GraphvizNotFoundError) as e:
        d.render(tmp_path / "g.svg")
    msg = str(e.value)
    assert "`dot`" in msg and "apt-get install graphviz" in msg and "make system-deps" in msg
    assert not any(tmp_path.iterdir())  # nothing written
    assert d.save(tmp_path / "g.dot").read_text() == d.source  # DOT still works


def test_render_without_dot_on_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(viz.GraphvizNotFoundError, match="not installed"):
        _graph().pipe("png")


def test_render_checks_format_and_suffix(tmp_path: Path) -> None:
    d = _graph()
    with pytest.raises(ValueError, match="unsupported format 'bmpx'"):
        d.render(tmp_path / "g", format="bmpx")
    with pytest.raises(ValueError, match=r"ends in \.svg but format='png'"):
        d.render(tmp_path / "g.svg", format="png")


def test_save_is_atomic(tmp_path: Path, monkeypatch) -> None:
    p = tmp_path / "g.dot"
    p.write_text("old")
    os.chmod(p, 0o640)
    d = _graph()

    def boom(*a):
        raise OSError("disk full")

    with monkeypatch.context() as mp:
        mp.setattr(os, "replace", boom)
        with pytest.raises(OSError, match="disk full"):
            d.save(p)
    assert p.read_text() == "old" and [f.name for f in tmp_path.iterdir()] == ["g.dot"]
    d.save(p)
    assert p.read_text() == d.source and (p.stat().st_mode & 0o777) == 0o640


@pytest.mark.skipif(not viz.dot_available(), reason="graphviz's dot is not installed")
def test_real_render_svg_and_png(tmp_path: Path) -> None:
    m = Tiny()
    with viz.trace_modules(m):
        out = m(A.randn(2, 4))
    d = viz.make_dot(out.sum(), group_by_module=m, show_saved=True)
    svg = d.render(tmp_path / "graph")
    assert svg.name == "graph.svg"
    text = svg.read_text()
    assert "<svg" in text and "LinearBackward" in text and "block.0.weight" in text
    png = d.render(tmp_path / "graph.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert d._repr_svg_().lstrip().startswith("<?xml")


def test_example_writes_dot_and_svg(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
    try:
        import visualize_graph
    finally:
        sys.path.pop(0)
    written = visualize_graph.main(str(tmp_path), steps=2)
    g = parse_dot(written["dot"].read_text())
    assert find(g, "fc1.weight") and find(g, "loss") and "fc2: Linear" in g["cluster_label"].values()
    assert ("svg" in written) == viz.dot_available()
