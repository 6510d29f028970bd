"""Read each 8x8 digit row by row as a sequence of 8 steps and classify it with an LSTM (or GRU).

The model sees one row of 8 pixels per time step, so it must carry what it has seen in its state.

    python examples/lstm_sequence.py --device cpu --epochs 15 --cell lstm
"""

from __future__ import annotations

from _common import check_device, digits, loader, run_cli, train_classifier

import autograd
import nn


class RowReader(nn.Module):
    """A recurrent layer over the rows (batch_first), its last hidden state fed to a linear classifier."""

    def __init__(self, cell: str = "lstm", hidden: int = 64, layers: int = 1) -> None:
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}.get(cell)
        if rnn is None:
            raise ValueError(f"lstm_sequence: --cell must be lstm, gru or rnn, got {cell!r}")
        self.rnn = rnn(input_size=8, hidden_size=hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        out, _ = self.rnn(x.reshape(x.shape[0], 8, 8))  # (N, 64) -> (N, T=8 rows, 8 pixels)
        return self.head(out[:, -1])


def main(
    device: str = "cpu",
    epochs: int = 15,
    seed: int = 0,
    batch_size: int = 32,
    lr: float = 5e-3,
    hidden: int = 64,
    cell: str = "lstm",
    verbose: bool = True,
) -> float:
    """Train, print per-epoch loss and test accuracy, and return the final test accuracy in [0, 1]."""
    check_device(device)
    autograd.manual_seed(seed)
    xtr, xte, ytr, yte = digits(seed=seed)
    model = RowReader(cell, hidden).to(device)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    sched = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    data = loader(xtr, ytr, batch_size)
    acc = train_classifier(model, opt, data, xte, yte, device, epochs, sched=sched, clip=1.0, verbose=verbose)
    if verbose:
        print(f"{cell.upper()} reading digit rows ({device}): test accuracy {acc:.4f} on {len(yte)} images")
    return acc


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=15,
        batch_size=(int, 32, "minibatch size"),
        lr=(float, 5e-3, "Adam learning rate"),
        hidden=(int, 64, "hidden state size"),
        cell=(str, "lstm", "recurrent layer: lstm, gru or rnn"),
    )
