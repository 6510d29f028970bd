"""The examples run: each main() with tiny settings returns a sensible metric, on every test device."""

from __future__ import annotations

import importlib
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import autograd as A

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

pytest.importorskip("sklearn", reason="the examples' digits data ships with scikit-learn")


def _example(name: str) -> ModuleType:
    """Import examples/<name>.py as a module (the examples import their sibling _common)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module(name)


def test_fit_line() -> None:
    w, b, loss = _example("fit_line").main(steps=200)
    assert abs(w - 3) < 0.05 and abs(b + 2) < 0.05 and loss < 0.01


def test_mlp_digits(device: str) -> None:
    acc = _example("mlp_digits").main(device=device, epochs=2)
    assert 0.85 < acc <= 1.0


def test_mlp_digits_profile(capsys) -> None:
    """``--profile``: the first epoch's per-op table is printed, training goes on, nothing stays wrapped."""
    add = A.Tensor.__add__
    acc = _example("mlp_digits").main(device="cpu", epochs=2, hidden=32, verbose=False, profile=True)
    out = capsys.readouterr().out
    assert 0.5 < acc <= 1.0
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if "Self CPU %" in line)
    rows = lines[head + 2 : head + 12]
    assert len(rows) == 10 and not any(r.startswith("---") for r in rows)  # row_limit=10
    assert lines[head + 12].startswith("---") and lines[head + 13].startswith("Self CPU time total")
    assert A.Tensor.__add__ is add


def test_cnn_digits(device: str) -> None:
    acc = _example("cnn_digits").main(device=device, epochs=1)
    assert 0.8 < acc <= 1.0


def test_autoencoder_digits(device: str) -> None:
    mse = _example("autoencoder_digits").main(device=device, epochs=3)
    # always answering the mean training image scores about 0.074
    assert 0 < mse < 0.065


def test_vae_digits(device: str) -> None:
    r = _example("vae_digits").main(device=device, epochs=10, verbose=False)
    # an untrained VAE scores about 45 nats per image; the fit roughly halves that, and codes drawn from the
    # prior decode to varied images (a collapsed posterior gives one blurred image: spread ~0.03; data: 0.23)
    assert 0 < r["neg_elbo"] < 0.65 * r["untrained"], r
    assert r["sample_spread"] > 0.05, r


def test_gan_digits(device: str) -> None:
    r = _example("gan_digits").main(device=device, epochs=3, lr=5e-4)
    assert all(math.isfinite(v) for v in r.values()), r
    assert 0.1 < r["d_loss"] < 3 and 0.1 < r["g_loss"] < 5, r
    # an untrained G scores about 0.72 (fake -> real) and 0.86 (real -> fake) times uniform noise's distance;
    # after three short epochs its fakes are real-looking and spread over the digits
    assert r["heldout_to_real"] < r["fake_to_real"] < 0.5 * r["noise_to_real"], r
    assert r["real_to_fake"] < 0.7 * r["noise_to_real"], r


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_lstm_sequence(device: str, cell: str) -> None:
    acc = _example("lstm_sequence").main(device=device, epochs=2, cell=cell)
    assert 0.5 < acc <= 1.0


def test_lstm_sequence_rejects_unknown_cell() -> None:
    with pytest.raises(ValueError, match="lstm, gru or rnn"):
        _example("lstm_sequence").main(epochs=1, cell="transformer")


def test_attention_digits(device: str) -> None:
    acc = _example("attention_digits").main(device=device, epochs=3)
    assert 0.5 < acc <= 1.0


def test_fashion_mnist(device: str) -> None:
    fm = _example("fashion_mnist")
    try:
        fm.data_dir()
    except fm.MissingResource as e:
        pytest.skip(f"Fashion-MNIST data absent (Debian package dataset-fashion-mnist): {e}")
    acc = fm.main(device=device, epochs=1, train_size=2000, test_size=500)
    assert 0.5 < acc <= 1.0  # 10 classes: chance is 0.1


def test_fashion_mnist_idx_reader(tmp_path: Path) -> None:
    """read_idx parses the idx header and (gzipped or plain) bytes, and rejects other files."""
    import gzip

    import numpy as np

    fm = _example("fashion_mnist")
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = bytes([0, 0, 8, 3]) + np.array([2, 3, 4], dtype=">u4").tobytes() + images.tobytes()
    (tmp_path / "a-idx3-ubyte").write_bytes(raw)
    with gzip.open(tmp_path / "a-idx3-ubyte.gz", "wb") as f:
        f.write(raw)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        np.testing.assert_array_equal(fm.read_idx(tmp_path / name), images)
    (tmp_path / "bad").write_bytes(bytes([1, 2, 8, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(ValueError, match="not an idx file"):
        fm.read_idx(tmp_path / "bad")


def test_fashion_mnist_missing_data_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fm = _example("fashion_mnist")
    monkeypatch.setattr(fm, "SEARCH", (str(tmp_path / "nowhere"),))
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    with pytest.raises(fm.MissingResource, match="apt-get install dataset-fashion-mnist"):
        fm.main(epochs=1)


def test_unusable_device_is_a_clear_error() -> None:
    common = _example("_common")
    with pytest.raises(common.MissingResource, match="expected 'cpu' or 'cuda'"):
        common.check_device("tpu")
    if not A.cuda.is_available():
        with pytest.raises(common.MissingResource, match="CUDA is not available"):
            common.check_device("cuda")


def test_demo_cli() -> None:
    """``make demo``'s command line: the script runs as a program, parses its flags, prints the accuracy."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "mlp_digits.py"),
            "--device",
            "cpu",
            "--epochs",
            "2",
            "--hidden",
            "64",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "epoch   2/2" in out.stdout and "test accuracy" in out.stdout, out.stdout
    bad = subprocess.run(
        [sys.executable, str(EXAMPLES / "mlp_digits.py"), "--device", "tpu", "--epochs", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode != 0 and "expected 'cpu' or 'cuda'" in bad.stderr, bad.stderr
