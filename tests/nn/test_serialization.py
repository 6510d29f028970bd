"""nn.save / nn.load: round trips, dtypes, devices, file objects, atomic writes, and refusing bad files."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from helpers import to_numpy

import autograd as A
import nn
from nn import serialization
from nn.serialization import CheckpointError


def _model(device):
    return nn.Sequential(nn.Linear(3, 4), nn.Identity(), nn.Linear(4, 2)).to(device)


def _same(a, b) -> None:
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, A.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_model_state_dict_round_trip(device, tmp_path):
    m = _model(device)
    path = tmp_path / "model.pt"
    nn.save(m.state_dict(), path)
    assert path.exists() and not path.with_suffix(".pt.npz").exists()  # written to exactly that path
    sd = nn.load(path)
    assert isinstance(sd, OrderedDict) and sd._metadata == m.state_dict()._metadata
    _same(sd, m.state_dict())
    fresh = _model(device)
    fresh.load_state_dict(sd)
    x = A.randn(5, 3, device=device)
    np.testing.assert_array_equal(to_numpy(fresh(x)), to_numpy(m(x)))


def test_optimizer_like_nested_dict(device, tmp_path):
    ckpt = {
        "epoch": 7,
        "loss": 0.125,
        "best": float("nan"),
        "name": "run-α",
        "done": False,
        "note": None,
        "optimizer": {
            "state": {
                0: {"step": A.tensor(3.0, device=device), "exp_avg": A.randn(2, 3, device=device)},
                1: {},
            },
            "param_groups": [{"params": [0, 1], "lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False}],
        },
        "history": [1.0, 2.5, [3, "x"]],
        "dtype": A.float16,
        "device": A.device("cpu"),
        (1, "a"): "tuple key",
        2.5: "float key",
    }
    nn.save(ckpt, tmp_path / "ckpt.pt")
    _same(nn.load(tmp_path / "ckpt.pt"), ckpt)


@pytest.mark.parametrize("dtype", [A.bool, A.int64, A.int32, A.uint8, A.float16, A.float32, A.float64])
def test_dtypes_and_empty(device, tmp_path, dtype):
    vals = A.tensor([[1, 0, 1], [0, 1, 1]], device=device).to(dtype)
    obj = {"v": vals, "empty": A.zeros(0, 3, dtype=dtype, device=device), "scalar": A.ones((), dtype=dtype)}
    buf = io.BytesIO()
    nn.save(obj, buf)
    buf.seek(0)
    _same(nn.load(buf), obj)


def test_parameters_shared_tensors_and_arrays(tmp_path):
    p = nn.Parameter(A.randn(3))
    p.requires_grad_(False)
    t = A.randn(2, requires_grad=True)
    arr = np.arange(6, dtype=np.int16).reshape(2, 3)
    nn.save({"p": p, "a": t, "b": t, "np": arr, "view": A.arange(10)[::3]}, tmp_path / "x")
    out = nn.load(tmp_path / "x")
    assert isinstance(out["p"], nn.Parameter) and not out["p"].requires_grad
    assert out["a"] is out["b"] and out["a"].requires_grad  # one tensor saved twice loads as one
    assert isinstance(out["np"], np.ndarray) and out["np"].dtype == np.int16
    np.testing.assert_array_equal(out["np"], arr)
    assert to_numpy(out["view"]).tolist() == [0, 3, 6, 9]


def test_map_location(device, tmp_path):
    sd = _model(device).state_dict()
    nn.save(sd, tmp_path / "m.pt")
    for ml in ("cpu", A.device("cpu"), {str(A.device(device)): "cpu"}):
        assert all(v.device == A.device("cpu") for v in nn.load(tmp_path / "m.pt", map_location=ml).values())
    moved = nn.load(tmp_path / "m.pt", map_location=device)
    assert all(v.device == A.device(device) for v in moved.values())
    seen = []

    def fn(t, loc):
        seen.append(loc)
        return t * 0 if t.ndim == 1 else None

    out = nn.load(tmp_path / "m.pt", map_location=fn)
    assert seen == [str(sd["0.weight"].device)] * 4
    assert np.all(to_numpy(out["0.bias"]) == 0) and out["0.weight"].device == A.device(device)


def test_atomic_write_survives_crash_mid_save(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    nn.save({"w": A.ones(4)}, path)
    good = path.read_bytes()

    def crash(fh, arrays):
        fh.write(b"PK\x03\x04 partial archive")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(serialization, "_write_npz", crash)
    with pytest.raises(OSError, match="simulated"):
        nn.save({"w": A.zeros(4)}, path)
    assert path.read_bytes() == good  # the old checkpoint is intact
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # and the temp file is gone
    monkeypatch.undo()
    monkeypatch.setattr(serialization.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("fsync failed")))
    with pytest.raises(OSError, match="fsync failed"):
        nn.save({"w": A.zeros(4)}, path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["ckpt.pt"]
    monkeypatch.undo()
    nn.save({"w": A.zeros(4)}, path)
    assert np.all(to_numpy(nn.load(path)["w"]) == 0)


def test_truncated_and_corrupt_files(tmp_path):
    path = tmp_path / "ckpt.pt"
    nn.save({"w": A.randn(100)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, 10, 0):
        bad = tmp_path / f"cut{cut}.pt"
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match=f"cut{cut}.pt.*not a valid embergrad checkpoint"):
            nn.load(bad)
    flipped = bytearray(data)
    i = data.index(b"\x93NUMPY", 200) + 140  # inside the second array's values
    flipped[i] ^= 0xFF
    (tmp_path / "flip.pt").write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="flip.pt"):
        nn.load(tmp_path / "flip.pt")
    (tmp_path / "text.pt").write_text("hello")
    with pytest.raises(CheckpointError, match="text.pt"):
        nn.load(tmp_path / "text.pt")


def test_foreign_files_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", x=np.zeros(3))
    with pytest.raises(CheckpointError, match="plain.npz.*no '__embergrad__' entry"):
        nn.load(tmp_path / "plain.npz")
    np.save(tmp_path / "arr.npy", np.zeros(3))
    with pytest.raises(CheckpointError, match="bare .npy"):
        nn.load(tmp_path / "arr.npy")
    (tmp_path / "p.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError, match="p.pkl.*refusing to unpickle"):
        nn.load(tmp_path / "p.pkl")


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickled_object_array_is_refused(tmp_path, monkeypatch):
    # a checkpoint whose tensor entry is a pickled object array (what a malicious file would hold)
    path = tmp_path / "evil.pt"
    nn.save({"w": A.ones(2)}, path)
    with zipfile.ZipFile(path) as z:
        meta = z.read("__embergrad__.npy")
    evil = np.empty(2, dtype=object)
    evil[0], evil[1] = _Boom(), 1
    buf = io.BytesIO()
    np.save(buf, evil, allow_pickle=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__embergrad__.npy", meta)
        z.writestr("a0.npy", buf.getvalue())
    called = []
    monkeypatch.setattr(os, "system", lambda cmd: called.append(cmd))
    with pytest.raises(CheckpointError, match="evil.pt.*pickled Python objects; refusing"):
        nn.load(path)
    assert called == []


def test_bad_structure_entries(tmp_path):
    path = tmp_path / "m.pt"
    nn.save({"w": A.ones(2)}, path)
    with zipfile.ZipFile(path) as z:
        arr = np.frombuffer(z.read("a0.npy"), dtype=np.uint8)
    for meta in (
        '{"format": "other", "version": 1, "root": null}',
        "{not json",
        '{"format": "embergrad-checkpoint", '
        '"version": 1, "root": {"t": "tensor", "a": "a7", "dtype": "float32", "shape": [2]}}',
    ):
        buf = io.BytesIO()
        np.save(buf, np.frombuffer(meta.encode(), dtype=np.uint8))
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("__embergrad__.npy", buf.getvalue())
            z.writestr("a0.npy", arr.tobytes())
        with pytest.raises(CheckpointError, match="m.pt"):
            nn.load(path)


def test_unsupported_objects_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot save a Module"):
        nn.save(nn.Linear(1, 1), tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"object of type set at obj\['s'\]"):
        nn.save({"s": {1, 2}}, tmp_path / "m.pt")
    with pytest.raises(TypeError, match="object arrays would need pickling"):
        nn.save({"a": np.array([object()])}, tmp_path / "m.pt")
    assert not (tmp_path / "m.pt").exists()


def test_cuda_checkpoint_on_cpu_only_machine(tmp_path, monkeypatch):
    path = tmp_path / "m.pt"
    nn.save({"w": A.ones(2)}, path)
    with np.load(path) as z:
        meta = z["__embergrad__"].tobytes().replace(b'"device":"cpu"', b'"device":"cuda:0"')
        a0 = z["a0"]
    with open(path, "wb") as fh:
        np.savez(fh, __embergrad__=np.frombuffer(meta, dtype=np.uint8), a0=a0)
    monkeypatch.setattr(A.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        nn.load(path)
    assert nn.load(path, map_location="cpu")["w"].device == A.device("cpu")
