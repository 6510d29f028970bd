"""Classify scikit-learn's 8x8 handwritten digits with an MLP: DataLoader, Adam, cosine LR, test accuracy.

python examples/mlp_digits.py --device cpu --epochs 15
python examples/mlp_digits.py --profile   # also print where the first epoch's time went, per op
"""

from __future__ import annotations

from _common import check_device, digits, loader, run_cli, train_classifier

import autograd
import nn


def make_model(hidden: int = 256, dropout: float = 0.1) -> nn.Module:
    """64 pixels -> two hidden ReLU layers -> 10 class logits."""
    return nn.Sequential(
        nn.Linear(64, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden // 2),
        nn.ReLU(),
        nn.Linear(hidden // 2, 10),
    )


def main(
    device: str = "cpu",
    epochs: int = 15,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 1e-2,
    hidden: int = 256,
    verbose: bool = True,
    profile: bool = False,
) -> float:
    """Train, print per-epoch loss and test accuracy, and return the final test accuracy in [0, 1].

    ``profile``: run the first epoch under ``autograd.profiler`` and print its per-op table."""
    check_device(device)
    autograd.manual_seed(seed)
    xtr, xte, ytr, yte = digits(seed=seed)
    model = make_model(hidden).to(device)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    data = loader(xtr, ytr, batch_size)
    prof = autograd.profiler.profile(use_cuda=device.startswith("cuda")) if profile else None

    def first_epoch_profiled(epoch: int) -> None:
        if prof is not None and epoch == 0:
            prof.stop()
            print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))

    if prof is not None:
        prof.start()
    try:
        opts = {"sched": sched, "verbose": verbose, "on_epoch": first_epoch_profiled}
        acc = train_classifier(model, opt, data, xte, yte, device, epochs, **opts)
    finally:
        if prof is not None:
            prof.stop()
    if verbose:
        print(f"MLP on digits ({device}): test accuracy {acc:.4f} on {len(yte)} held-out images")
    return acc


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=15,
        batch_size=(int, 64, "minibatch size"),
        lr=(float, 1e-2, "Adam learning rate"),
        hidden=(int, 256, "width of the first hidden layer"),
        profile=(bool, False, "profile the first epoch and print the per-op table (autograd.profiler)"),
    )
