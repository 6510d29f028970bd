"""nn.benchmark (compare devices on your own model) and the benchmarks/devices.py script."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import autograd as A
import nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _build(device):
    A.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(device)
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    xn = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)
    x, y = A.tensor(xn, device=device), A.tensor(xn[:, :3].argmax(1), device=device)  # a learnable rule
    return nn.benchmark.train_step(model, opt, nn.functional.cross_entropy, x, y)


def test_train_step_trains(device):
    step = _build(device)
    first = step().item()
    for _ in range(30):
        last = step().item()
    assert last < first * 0.7


def test_compare_devices_rows(device, monkeypatch):
    synced = []
    monkeypatch.setattr(A.cuda, "synchronize", lambda d=None: synced.append(d))
    rows = nn.benchmark.compare_devices(_build, ["cpu", device], steps=2, warmup=1, repeat=3)
    assert [r["device"] for r in rows] == ["cpu", str(A.device(device))]
    for r in rows:
        assert 0 < r["best_ms"] <= r["median_ms"] and r["steps"] == 2 and r["repeat"] == 3
    assert rows[0]["speedup"] == 1.0 and rows[1]["speedup"] > 0
    if device == "cuda":  # every clock reading on a CUDA device follows a synchronize
        assert len(synced) == 1 + 3 and rows[1]["standin"] == A.cuda.is_standin()
        assert "not a GPU timing" in nn.benchmark.format_table(rows) or not A.cuda.is_standin()
    else:
        assert not synced
    table = nn.benchmark.format_table(rows).splitlines()
    assert table[0].split() == ["device", "best", "ms", "median", "ms", "speedup"] and len(table) == 3


def test_available_devices_and_errors(monkeypatch):
    devs = nn.benchmark.available_devices()
    assert devs[0] == "cpu" and all(d.startswith("cuda:") for d in devs[1:])
    with pytest.raises(TypeError, match=r"build\('cpu'\) must return a zero-argument callable"):
        nn.benchmark.compare_devices(lambda d: 3, ["cpu"])
    with pytest.raises(ValueError, match="steps and repeat must be >= 1"):
        nn.benchmark.time_step(lambda: None, "cpu", steps=0)
    with pytest.raises(ValueError, match="pass the model's input"):
        nn.benchmark.train_step(None, None, None, 1)
    monkeypatch.setattr(A.cuda, "is_available", lambda: False)
    monkeypatch.setattr(A.cuda, "unavailable_reason", lambda: "no GPU in this test")
    with pytest.raises(RuntimeError, match="benchmark: device cuda:0 is not available: no GPU in this test"):
        nn.benchmark.compare_devices(_build, ["cpu", "cuda:0"])


def test_devices_script_runs(tmp_path):
    out = subprocess.run(
        [sys.executable, os.path.join(ROOT, "benchmarks", "devices.py"), "--cases", "mlp", "--steps", "1",
         "--repeat", "1", "--standin"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "== mlp" in out.stdout and "cpu" in out.stdout
    with open(os.path.join(ROOT, "benchmarks", "results", "devices.json")) as f:
        res = json.load(f)
    assert res["cases"]["mlp"][0]["device"] == "cpu"


def test_train_step_script_compares_the_same_step():
    # benchmarks/train_step.py: both libraries start from the same weights, the interleaved timings give a
    # ratio of minima and a paired median, and the hand-written NumPy floor computes the same first loss
    pytest.importorskip("torch")
    code = "import json, train_step; print(json.dumps(train_step.bench('mlp', number=1, repeat=3)))"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "benchmarks"))  # in its own process: it sets threads
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert "skipped" not in r, r
    assert np.isclose(r["first_loss_ours"], r["first_loss_torch"], rtol=1e-5)
    assert np.isclose(r["first_loss_numpy"], r["first_loss_torch"], rtol=1e-5)
    for key in ("ratio", "paired_ratio", "ours_over_numpy"):
        assert 0 < r[key] < 10, (key, r[key])
    assert r["ratio"] == r["ours_ms"] / r["torch_ms"]
