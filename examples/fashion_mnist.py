"""Classify Fashion-MNIST clothing images (28x28) with an MLP or a small CNN, trained on a subset.

The data comes from the Debian package dataset-fashion-mnist (idx files read with numpy; no download):
    sudo apt-get install dataset-fashion-mnist        # or: make system-deps

    python examples/fashion_mnist.py --device cpu --epochs 5 --train-size 10000 --model mlp
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
from _common import MissingResource, check_device, loader, run_cli, train_classifier

import autograd
import nn

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
SEARCH = ("/usr/share/datasets/fashion-mnist", "/usr/share/fashion-mnist")
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def data_dir() -> Path:
    """Where the idx files are: $FASHION_MNIST_DIR, else the Debian package's folder."""
    candidates = [os.environ["FASHION_MNIST_DIR"]] if os.environ.get("FASHION_MNIST_DIR") else []
    for d in [*candidates, *SEARCH]:
        if (Path(d) / "t10k-labels-idx1-ubyte.gz").is_file() or (
            Path(d) / "t10k-labels-idx1-ubyte"
        ).is_file():
            return Path(d)
    raise MissingResource(
        "the Fashion-MNIST data is missing: this example reads the files of the Debian package "
        "dataset-fashion-mnist (looked in " + ", ".join(candidates + list(SEARCH)) + "). Install it with "
        "`sudo apt-get install dataset-fashion-mnist` (or `make system-deps`), or point $FASHION_MNIST_DIR "
        "at a folder holding the four *-idx*-ubyte[.gz] files."
    )


def read_idx(path: Path) -> np.ndarray:
    """An idx file (optionally gzipped) as a numpy array: big-endian header, then unsigned bytes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = raw[0] * 256 + raw[1], raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"fashion_mnist: {path} is not an idx file of unsigned bytes")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 28, 28) uint8, labels (N,) uint8) of 'train' or 'test'."""
    root = data_dir()
    out = []
    for stem in FILES[split]:
        path = root / (stem + ".gz")
        out.append(read_idx(path if path.is_file() else root / stem))
    return out[0], out[1]


def make_model(kind: str) -> nn.Module:
    if kind == "mlp":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )  # fmt: skip
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),  # 28 -> 14
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 14 -> 7
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 7 * 7, 10),
        )  # fmt: skip
    raise ValueError(f"fashion_mnist: --model must be mlp or cnn, got {kind!r}")


def subset(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random samples (all if n <= 0), images scaled to [0, 1] as (n, 1, 28, 28) float32."""
    idx = rng.permutation(len(x))[:n] if 0 < n < len(x) else np.arange(len(x))
    return (x[idx].astype(np.float32) / 255.0)[:, None], y[idx].astype(np.int64)


def main(
    device: str = "cpu",
    epochs: int = 5,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 1e-3,
    train_size: int = 10000,
    test_size: int = 2000,
    model: str = "mlp",
    verbose: bool = True,
) -> float:
    """Train on ``train_size`` random training images; return the accuracy on ``test_size`` test images."""
    check_device(device)
    autograd.manual_seed(seed)
    rng = np.random.default_rng(seed)
    xtr, ytr = subset(*load("train"), train_size, rng)
    xte, yte = subset(*load("test"), test_size, rng)
    net = make_model(model).to(device)
    opt = nn.optim.Adam(net.parameters(), lr=lr)
    data = loader(xtr, ytr, batch_size)
    acc = train_classifier(net, opt, data, xte, yte, device, epochs, verbose=verbose)
    if verbose:
        print(
            f"Fashion-MNIST {model.upper()} ({device}, {len(ytr)} training images): test accuracy {acc:.4f} "
            f"on {len(yte)} images ({len(CLASSES)} classes: {', '.join(CLASSES)})"
        )
    return acc


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=5,
        batch_size=(int, 64, "minibatch size"),
        lr=(float, 1e-3, "Adam learning rate"),
        train_size=(int, 10000, "training images used (0 = all 60000)"),
        test_size=(int, 2000, "test images used (0 = all 10000)"),
        model=(str, "mlp", "mlp or cnn"),
    )
