"""Classify the 8x8 digits as 1x8x8 images with a small CNN: Conv2d, BatchNorm2d, MaxPool2d, Adam.

python examples/cnn_digits.py --device cpu --epochs 8
"""

from __future__ import annotations

from _common import check_device, digits, loader, run_cli, train_classifier

import autograd
import nn


def make_model(channels: int = 16) -> nn.Module:
    """Two conv-BN-ReLU-pool blocks (8x8 -> 4x4 -> 2x2), then a linear classifier."""
    c = channels
    return nn.Sequential(
        nn.Conv2d(1, c, 3, padding=1),
        nn.BatchNorm2d(c),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c, 2 * c, 3, padding=1),
        nn.BatchNorm2d(2 * c),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(2 * c * 4, 10),
    )


def main(
    device: str = "cpu",
    epochs: int = 8,
    seed: int = 0,
    batch_size: int = 32,
    lr: float = 3e-3,
    channels: int = 16,
    verbose: bool = True,
) -> float:
    """Train, print per-epoch loss and test accuracy, and return the final test accuracy in [0, 1]."""
    check_device(device)
    autograd.manual_seed(seed)
    xtr, xte, ytr, yte = digits(images=True, seed=seed)
    model = make_model(channels).to(device)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    data = loader(xtr, ytr, batch_size)
    acc = train_classifier(model, opt, data, xte, yte, device, epochs, sched=sched, verbose=verbose)
    if verbose:
        n_params = sum(p.numel() for p in model.parameters())
        print(
            f"CNN on digits ({device}, {n_params} parameters): test accuracy {acc:.4f} on {len(yte)} images"
        )
    return acc


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=8,
        batch_size=(int, 32, "minibatch size"),
        lr=(float, 3e-3, "Adam learning rate"),
        channels=(int, 16, "channels of the first conv layer (the second has twice as many)"),
    )
