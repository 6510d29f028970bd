"""autograd.profiler: what is recorded (ops, backward nodes, modules, optimizer steps, user ranges), nesting and
self times, the table, key averages, the Chrome trace, and that every wrapper is gone after the profile."""

from __future__ import annotations

import json
import os
import sys
from types import FunctionType

import pytest

import autograd
import nn
import nn.functional as F
from autograd import Tensor, profiler
from autograd.profiler import ProfilerActivity, profile, record_function


def _mlp(device: str) -> tuple:
    m = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)).to(device)
    opt = nn.optim.SGD(m.parameters(), lr=0.1)
    x = autograd.randn(4, 8, device=device)
    y = autograd.tensor([0, 1, 2, 0], device=device)
    return m, opt, x, y


def _step(m, opt, x, y) -> None:
    opt.zero_grad()
    loss = F.cross_entropy(m(x), y)
    loss.backward()
    opt.step()


def _counts(prof: profile) -> dict[str, int]:
    return {e.key: e.count for e in prof.key_averages()}


def _snapshot() -> dict:
    """Every attribute the profiler may touch: Tensor's namespace, Function subclasses' backward rules, and the
    module globals of autograd and nn."""
    from autograd._profiler_patch import all_subclasses

    snap = {("Tensor", k): v for k, v in vars(Tensor).items()}
    for cls in all_subclasses(autograd.Function) + all_subclasses(nn.optim.Optimizer):
        for k in ("backward", "backward_raw", "step", "zero_grad"):
            if k in vars(cls):
                snap[(cls, k)] = vars(cls)[k]
    for name, mod in list(sys.modules.items()):
        if mod is not None and name.partition(".")[0] in ("autograd", "nn"):
            for k, v in vars(mod).items():
                if type(v) is FunctionType:
                    snap[(name, k)] = v
    return snap


def _changed(before: dict) -> list:
    after = _snapshot()
    return [k for k, v in before.items() if after.get(k) is not v]


def test_mlp_training_step_counts(device: str) -> None:
    m, opt, x, y = _mlp(device)
    _step(m, opt, x, y)  # warm-up (lazy imports)
    with profile(use_cuda=device == "cuda") as prof:
        _step(m, opt, x, y)
    c = _counts(prof)
    assert c["linear"] == 3 and c["LinearBackward"] == 3
    assert c["relu"] == 2 and c["ReluBackward"] == 2
    assert c["cross_entropy"] == 1 and c["CrossEntropyBackward"] == 1
    assert c["nn.Module: Linear"] == 3 and c["nn.Module: ReLU"] == 2 and c["nn.Module: Sequential"] == 1
    assert c["Optimizer.step#SGD.step"] == 1 and c["Optimizer.zero_grad#SGD.zero_grad"] == 1
    # each linear runs inside its module's range
    for ev in prof.events():
        if ev.name == "linear":
            assert ev.cpu_parent.name == "nn.Module: Linear"
    if device == "cuda":
        assert all(e.cuda_time_total > 0 for e in prof.events())
        assert "Self CUDA" in prof.key_averages().table(sort_by="cuda_time_total")


def test_nesting_and_self_times(device: str) -> None:
    x = autograd.randn(5, 4, device=device, requires_grad=True)
    w = autograd.randn(3, 4, device=device, requires_grad=True)
    with profile() as prof:
        with record_function("outer"):
            y = F.softmax(x @ w.t(), dim=1)
            z = (y * 2 + 1).sum()
        z.backward()
    evs = prof.events()
    assert len(evs) > 5
    for ev in evs:
        assert 0 <= ev.self_cpu_time_total <= ev.cpu_time_total
        assert sum(c.cpu_time_total for c in ev.cpu_children) <= ev.cpu_time_total + 1e-6
        for c in ev.cpu_children:
            assert c.cpu_parent is ev and ev.start_us <= c.start_us and c.end_us <= ev.end_us
    outer = next(e for e in evs if e.name == "outer")
    names = {c.name for c in outer.cpu_children}
    assert {"matmul", "t", "softmax", "mul", "add", "sum"} <= names
    # backward nodes run after the range and are top level
    bw = [e for e in evs if e.kind == "backward"]
    assert {e.name for e in bw} >= {"MatMulBackward", "SumBackward"} and all(e.cpu_parent is None for e in bw)
    # self times add up to the time of the top-level ranges
    top = sum(e.cpu_time_total for e in evs if e.cpu_parent is None)
    assert abs(prof.self_cpu_time_total - top) < 1e-3
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["outer"].cpu_time == avg["outer"].cpu_time_total  # one call: the mean is the total


def test_composite_contains_its_children() -> None:
    logits = autograd.randn(6, 5, requires_grad=True)
    target = autograd.tensor([0, 1, 2, 3, 4, 0])
    with profile() as prof:
        F.nll_loss(F.log_softmax(logits, dim=1), target)
        F.kl_div(F.log_softmax(logits, dim=1), F.softmax(logits, dim=1), reduction="batchmean")
    kl = next(e for e in prof.events() if e.name == "kl_div")
    assert kl.cpu_children, "kl_div is built from primitives: they should nest inside it"
    assert kl.self_cpu_time_total < kl.cpu_time_total


def test_record_function_context_and_decorator() -> None:
    @record_function("my_fn")
    def f(a: Tensor) -> Tensor:
        return a.exp()

    x = autograd.ones(3)
    with profile() as prof:
        with record_function("block") as rf:
            assert isinstance(rf, record_function)
            f(x)
        f(x)
    evs = prof.events()
    assert [e.name for e in evs if e.kind == "user"] == ["block", "my_fn", "my_fn"]
    block = evs[0]
    assert [c.name for c in block.cpu_children] == ["my_fn"]
    assert [c.name for c in block.cpu_children[0].cpu_children] == ["exp"]
    f(x)  # outside a profile: a plain call
    with record_function("nothing"):
        pass


def test_table_format_sort_and_row_limit() -> None:
    x = autograd.randn(4, 4)
    with profile() as prof:
        for _ in range(3):
            x = x + 1
        x.relu()
    avg = prof.key_averages()
    table = avg.table(sort_by="count", row_limit=1)
    lines = table.splitlines()
    header = lines[1]
    for col in ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"):
        assert col in header
    assert "Input Shapes" not in header and "CUDA" not in header
    assert lines[0].startswith("-") and lines[2].startswith("-") and lines[-2].startswith("-")
    assert lines[-1].startswith("Self CPU time total: ")
    rows = lines[3:-2]
    assert len(rows) == 1 and rows[0].split()[0] == "add" and rows[0].split()[-1] == "3"
    full = avg.table(sort_by="self_cpu_time_total", row_limit=10).splitlines()[3:-2]
    selfs = [e.self_cpu_time_total for e in sorted(avg, key=lambda e: -e.self_cpu_time_total)]
    assert [r.split()[0] for r in full] == [e.key for e in sorted(avg, key=lambda e: -e.self_cpu_time_total)]
    assert selfs == sorted(selfs, reverse=True)
    assert prof.table(sort_by="cpu_time_total") == avg.table(sort_by="cpu_time_total")
    with pytest.raises(ValueError, match="unknown sort_by 'bogus'"):
        avg.table(sort_by="bogus")


def test_group_by_input_shape() -> None:
    a, b = autograd.randn(2, 3), autograd.randn(5, 3)
    with profile(record_shapes=True) as prof:
        a.exp()
        b.exp()
        b.exp()
    groups = [e for e in prof.key_averages(group_by_input_shape=True) if e.key == "exp"]
    assert sorted((e.input_shapes, e.count) for e in groups) == [([[2, 3]], 1), ([[5, 3]], 2)]
    assert [e.count for e in prof.key_averages() if e.key == "exp"] == [3]
    table = prof.key_averages(group_by_input_shape=True).table()
    assert "Input Shapes" in table.splitlines()[1] and "[[5, 3]]" in table
    with profile() as plain:
        a.exp()
    with pytest.raises(RuntimeError, match="record_shapes=True"):
        plain.key_averages(group_by_input_shape=True)


def test_chrome_trace_is_valid_json_and_atomic(tmp_path) -> None:
    x = autograd.randn(3, 3, requires_grad=True)
    with profile(record_shapes=True) as prof:
        (x * x).sum().backward()
    path = tmp_path / "trace.json"
    path.write_text("old")
    prof.export_chrome_trace(str(path))
    data = json.loads(path.read_text())
    evs = data["traceEvents"]
    assert len(evs) == len(prof.events())
    assert all(e["ph"] == "X" and e["dur"] >= 0 and "ts" in e for e in evs)
    assert {"mul", "sum", "MulBackward"} <= {e["name"] for e in evs}
    assert os.listdir(tmp_path) == ["trace.json"]  # no temp file left behind

    class Boom(Exception):
        pass

    bad = prof.events()
    bad[0].input_shapes = [Boom()]  # not JSON-serializable: the write fails midway
    with pytest.raises(TypeError):
        prof.export_chrome_trace(str(path))
    assert json.loads(path.read_text()) == data  # the old trace is intact
    assert os.listdir(tmp_path) == ["trace.json"]


def test_restored_exactly_on_exit_and_on_exception() -> None:
    m, opt, x, y = _mlp("cpu")
    before = _snapshot()
    with profile() as prof:
        assert len(_changed(before)) > 500  # really wrapped: Tensor methods, functions, backward rules
        _step(m, opt, x, y)
    assert _changed(before) == []
    assert prof._patcher.check_restored() == []
    assert not nn.hooks.any_global_hooks()
    with pytest.raises(ZeroDivisionError):
        with profile():
            _step(m, opt, x, y)
            1 / 0
    assert _changed(before) == []
    assert not nn.hooks.any_global_hooks()
    # an op that raises inside the profile closes its range
    with profile() as prof2:
        with pytest.raises(RuntimeError, match="matmul"):
            autograd.ones(2, 3) @ autograd.ones(2, 3)
        autograd.ones(2).exp()
    assert all(e.cpu_parent is None for e in prof2.events())
    assert _changed(before) == []


def test_disabled_records_nothing() -> None:
    before = _snapshot()
    with profile(enabled=False) as prof:
        assert _changed(before) == []
        autograd.ones(3).exp()
    assert list(prof.events()) == [] and list(prof.key_averages()) == []


def test_nested_profile_is_an_error() -> None:
    before = _snapshot()
    with profile() as outer:
        with pytest.raises(RuntimeError, match="Profiler is already enabled"):
            with profile():
                pass
        autograd.ones(2).exp()
        with pytest.raises(RuntimeError, match="didn't finish"):
            outer.key_averages()
    assert [e.name for e in outer.events()] == ["ones", "exp"]
    assert _changed(before) == []


def test_torch_profiler_spelling_and_memory() -> None:
    x = autograd.randn(16, 16)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True) as prof:
        x.exp()
    ev = next(e for e in prof.events() if e.name == "exp")
    assert ev.cpu_memory_usage == 16 * 16 * 4 and ev.input_shapes == [[16, 16]]
    assert "CPU Mem" in prof.key_averages().table()
    with profile([ProfilerActivity.CPU]) as prof2:  # torch.profiler.profile(activities) positionally
        x.exp()
    assert [e.name for e in prof2.events()] == ["exp"]
    with pytest.raises(TypeError, match="ProfilerActivity"):
        profile(activities=["CPU"])


def test_with_stack_groups_by_call_site() -> None:
    x = autograd.randn(2)
    with profile(with_stack=True) as prof:
        x.exp()
        x.exp()
    ev = prof.events()[0]
    assert ev.stack and "test_profiler.py" in ev.stack[0]
    assert len([e for e in prof.key_averages(group_by_stack_n=1) if e.key == "exp"]) == 2
    assert "Source Location" in prof.key_averages(group_by_stack_n=1).table()


def test_custom_function_backward_recorded() -> None:
    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = autograd.randn(3, requires_grad=True)
    with profile() as prof:
        Double.apply(x).sum().backward()
    assert "DoubleBackward" in _counts(prof)


def test_profiler_exports() -> None:
    assert autograd.profiler is profiler
    assert profiler.profile is profile and profiler.record_function is record_function


def test_record_shapes_with_lazy_module() -> None:
    """A lazy module's uninitialized parameter has no shape yet: recorded as [] instead of failing the call."""
    m = nn.LazyLinear(3)
    with profile(record_shapes=True) as prof:
        out = m(autograd.randn(2, 5))
    assert out.shape == (2, 3)
    assert [[2, 5]] in [e.input_shapes for e in prof.events() if e.name == "nn.Module: LazyLinear"]
