"""Compress the 8x8 digits to an 8-number code and back with an MLP autoencoder; report reconstruction MSE.

python examples/autoencoder_digits.py --device cpu --epochs 50 --code 8
"""

from __future__ import annotations

from _common import Clock, check_device, digits, loader, run_cli

import autograd
import nn
import nn.functional as F


class AutoEncoder(nn.Module):
    """64 pixels -> ``code`` numbers -> 64 pixels in [0, 1]."""

    def __init__(self, code: int = 8, hidden: int = 64) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, code))
        self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(), nn.Linear(hidden, 64), nn.Sigmoid())

    def forward(self, x: autograd.Tensor) -> autograd.Tensor:
        return self.decoder(self.encoder(x))


def test_mse(model: nn.Module, x: autograd.Tensor) -> float:
    """Mean squared reconstruction error of ``x`` (no graph, eval mode)."""
    model.eval()
    with autograd.no_grad():
        return F.mse_loss(model(x), x).item()


def main(
    device: str = "cpu",
    epochs: int = 50,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 3e-3,
    code: int = 8,
    verbose: bool = True,
) -> float:
    """Train on the training digits; return the reconstruction MSE on the held-out digits."""
    check_device(device)
    autograd.manual_seed(seed)
    xtr, xte, _, _ = digits(seed=seed)
    x_test = autograd.tensor(xte).to(device)
    # the error of always answering the mean training image: what "learned nothing" scores
    baseline = F.mse_loss(autograd.tensor(xtr.mean(0)).to(device).expand(*x_test.shape), x_test).item()
    model = AutoEncoder(code).to(device)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    data = loader(xtr, None, batch_size)
    clock = Clock(device)
    mse = baseline
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for (xb,) in data:
            xb = xb.to(device)
            loss = F.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
            seen += len(xb)
        mse = test_mse(model, x_test)
        if verbose and (epoch % 5 == 4 or epoch == epochs - 1 or epoch == 0):
            print(
                f"epoch {epoch + 1:3d}/{epochs}  train mse {total / seen:.5f}  test mse {mse:.5f}  {clock():6.2f}s"
            )
    if verbose:
        print(
            f"autoencoder ({device}, code size {code}): test reconstruction MSE {mse:.5f} "
            f"(always answering the mean image scores {baseline:.5f}, {baseline / mse:.1f}x more)"
        )
    return mse


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=50,
        batch_size=(int, 64, "minibatch size"),
        lr=(float, 3e-3, "Adam learning rate"),
        code=(int, 8, "size of the bottleneck code"),
    )
