"""Classify digits with a small Transformer encoder whose 8 tokens are the 8 rows of the image.

Each row (8 pixels) is embedded, given a learned position embedding, and the rows attend to each other;
the mean of the encoded tokens feeds a linear classifier.

    python examples/attention_digits.py --device cpu --epochs 20
"""

from __future__ import annotations

from _common import check_device, digits, loader, run_cli, train_classifier

import autograd
import nn


class RowTransformer(nn.Module):
    """Rows as tokens -> ``layers`` TransformerEncoder layers -> mean over tokens -> 10 logits."""

    def __init__(self, d_model: int = 32, nhead: int = 4, layers: int = 2, dropout: float = 0.1) -> None:
        super().__init__()
        self.embed = nn.Linear(8, d_model)
        self.pos = nn.Parameter(autograd.randn(1, 8, d_model) * 0.1)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=2 * d_model, dropout=dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, 10)

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        tokens = self.embed(x.reshape(x.shape[0], 8, 8)) + self.pos  # (N, 8 rows, d_model)
        return self.head(self.encoder(tokens).mean(1))


def main(
    device: str = "cpu",
    epochs: int = 20,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 3e-3,
    d_model: int = 32,
    layers: int = 2,
    verbose: bool = True,
) -> float:
    """Train, print per-epoch loss and test accuracy, and return the final test accuracy in [0, 1]."""
    check_device(device)
    autograd.manual_seed(seed)
    xtr, xte, ytr, yte = digits(seed=seed)
    model = RowTransformer(d_model, layers=layers).to(device)
    opt = nn.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    data = loader(xtr, ytr, batch_size)
    sched = nn.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(epochs, 1) * len(data))
    acc = train_classifier(
        model,
        opt,
        data,
        xte,
        yte,
        device,
        epochs,
        sched=sched,
        sched_per_batch=True,
        clip=1.0,
        verbose=verbose,
    )
    if verbose:
        print(f"Transformer over digit rows ({device}): test accuracy {acc:.4f} on {len(yte)} images")
    return acc


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=20,
        batch_size=(int, 64, "minibatch size"),
        lr=(float, 3e-3, "peak AdamW learning rate (one-cycle schedule)"),
        d_model=(int, 32, "token width"),
        layers=(int, 2, "encoder layers"),
    )
