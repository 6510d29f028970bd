"""A tiny GAN on the 8x8 digits: an MLP generator against an MLP discriminator, reporting D and G losses.

How good are the fakes? Each one's mean squared distance to its nearest real training digit (are fakes
realistic?) is compared with the same for held-out real digits (the target) and for uniform noise; and each
held-out digit's distance to its nearest fake says whether the fakes cover all the digits (no mode collapse).

    python examples/gan_digits.py --device cpu --epochs 30
"""

from __future__ import annotations

from _common import Clock, check_device, digits, loader, run_cli

import autograd
import nn
import nn.functional as F


def generator(latent: int, hidden: int = 128) -> nn.Module:
    return nn.Sequential(
        nn.Linear(latent, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
        nn.Linear(hidden, 64), nn.Sigmoid(),
    )  # fmt: skip


def discriminator(hidden: int = 128) -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.2), nn.Linear(hidden, 1),
    )  # fmt: skip


def nearest_distance(samples: autograd.Tensor, reference: autograd.Tensor) -> float:
    """Mean over ``samples`` of the squared distance (per pixel) to the closest row of ``reference``."""
    with autograd.no_grad():
        d2 = (samples**2).sum(1, keepdim=True) + (reference**2).sum(1) - 2 * samples @ reference.T
        return (d2.min(1).values.clamp(min=0).mean() / samples.shape[1]).item()


def main(
    device: str = "cpu",
    epochs: int = 30,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 2e-3,
    latent: int = 16,
    verbose: bool = True,
) -> dict:
    """Train; return the last epoch's mean D and G losses and the nearest-neighbour distances (see above)."""
    check_device(device)
    autograd.manual_seed(seed)
    xtr, xte, _, _ = digits(seed=seed)
    G, D = generator(latent).to(device), discriminator().to(device)
    opt_g = nn.optim.Adam(G.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = nn.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
    data = loader(xtr, None, batch_size)
    clock = Clock(device)
    d_mean = g_mean = float("nan")
    for epoch in range(epochs):
        d_sum = g_sum = 0.0
        for (real,) in data:
            real = real.to(device)
            n = real.shape[0]
            ones, zeros = autograd.ones(n, 1, device=device), autograd.zeros(n, 1, device=device)
            fake = G(autograd.randn(n, latent, device=device))
            # discriminator: real -> 0.9 (one-sided label smoothing), fake -> 0; fake detached: G is not updated here
            d_loss = F.binary_cross_entropy_with_logits(
                D(real), ones * 0.9
            ) + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            # generator: make D answer 1 on fakes (the non-saturating loss)
            g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            d_sum += d_loss.item()
            g_sum += g_loss.item()
        d_mean, g_mean = d_sum / len(data), g_sum / len(data)
        if verbose and (epoch % 5 == 4 or epoch == 0 or epoch == epochs - 1):
            print(f"epoch {epoch + 1:3d}/{epochs}  D loss {d_mean:.4f}  G loss {g_mean:.4f}  {clock():6.2f}s")
    G.eval()
    reference = autograd.tensor(xtr).to(device)
    heldout = autograd.tensor(xte).to(device)
    with autograd.no_grad():
        fakes = G(autograd.randn(len(xtr), latent, device=device))
    result = {
        "d_loss": d_mean,
        "g_loss": g_mean,
        "fake_to_real": nearest_distance(fakes[: len(xte)], reference),
        "real_to_fake": nearest_distance(heldout, fakes),
        "heldout_to_real": nearest_distance(heldout, reference),
        "noise_to_real": nearest_distance(autograd.rand(len(xte), 64, device=device), reference),
    }
    if verbose:
        print(
            f"GAN on digits ({device}): D loss {d_mean:.4f}, G loss {g_mean:.4f}; distance to the nearest real "
            f"digit: fakes {result['fake_to_real']:.4f}, held-out digits {result['heldout_to_real']:.4f}, "
            f"noise {result['noise_to_real']:.4f}; held-out digit to the nearest fake {result['real_to_fake']:.4f}"
        )
    return result


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=30,
        batch_size=(int, 64, "minibatch size"),
        lr=(float, 2e-3, "Adam learning rate of both networks"),
        latent=(int, 16, "size of the generator's noise input"),
    )
