"""A variational autoencoder on the 8x8 digits: a Normal posterior sampled with rsample (the reparameterization
trick), a KL term against the Normal prior from ``kl_divergence``, Bernoulli pixel likelihoods; reports the test
negative ELBO (nats per image) against an untrained model's, and how well a code from the prior decodes.

python examples/vae_digits.py --device cpu --epochs 60 --latent 4
"""

from __future__ import annotations

from _common import Clock, check_device, digits, loader, run_cli

import autograd
import nn
import nn.functional as F
from autograd.distributions import Normal, kl_divergence


class VAE(nn.Module):
    """64 pixels -> q(z | x) = Normal(mu, sigma) over ``latent`` dims -> logits of 64 Bernoulli pixels."""

    def __init__(self, latent: int = 4, hidden: int = 128) -> None:
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 64))

    def posterior(self, x: autograd.Tensor) -> Normal:
        mu, log_sigma = self.encoder(x).chunk(2, dim=-1)
        return Normal(mu, log_sigma.clamp(-6, 2).exp())

    def neg_elbo(self, x: autograd.Tensor) -> autograd.Tensor:
        """-ELBO per image: expected reconstruction loss (one sample) plus KL(q(z|x) || N(0, I))."""
        q = self.posterior(x)
        z = q.rsample()  # gradients reach mu and sigma through the sample
        recon = F.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="none").sum(-1)
        prior = Normal(autograd.zeros_like(q.loc), autograd.ones_like(q.scale))
        return (recon + kl_divergence(q, prior).sum(-1)).mean()


def evaluate(model: VAE, x: autograd.Tensor, samples: int = 5) -> float:
    """Test -ELBO averaged over a few posterior samples (no graph, eval mode)."""
    model.eval()
    with autograd.no_grad():
        return sum(model.neg_elbo(x).item() for _ in range(samples)) / samples


def main(
    device: str = "cpu",
    epochs: int = 60,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 2e-3,
    latent: int = 4,
    verbose: bool = True,
) -> dict:
    """Train on the training digits; return the test -ELBO before and after, and the prior samples' spread."""
    check_device(device)
    autograd.manual_seed(seed)
    xtr, xte, _, _ = digits(seed=seed)
    x_test = autograd.tensor(xte).to(device)
    model = VAE(latent).to(device)
    untrained = evaluate(model, x_test)
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    data = loader(xtr, None, batch_size)
    clock = Clock(device)
    score = untrained
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for (xb,) in data:
            xb = xb.to(device)
            loss = model.neg_elbo(xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
            seen += len(xb)
        score = evaluate(model, x_test)
        if verbose and (epoch % 10 == 9 or epoch == epochs - 1 or epoch == 0):
            print(
                f"epoch {epoch + 1:3d}/{epochs}  train -ELBO {total / seen:7.2f}  test -ELBO {score:7.2f}  {clock():6.2f}s"
            )
    with autograd.no_grad():  # decode codes drawn from the prior: images should look like digits, not noise
        z = Normal(
            autograd.zeros(256, latent, device=device), autograd.ones(256, latent, device=device)
        ).sample()
        fakes = model.decoder(z).sigmoid()
        spread = fakes.std(0).mean().item()  # varied samples, not one blurred mean image
    if verbose:
        print(
            f"VAE ({device}, {latent}-d code): test -ELBO {score:.2f} nats/image (untrained {untrained:.2f}); "
            f"prior samples' pixel spread {spread:.3f}"
        )
    return {"neg_elbo": score, "untrained": untrained, "sample_spread": spread}


if __name__ == "__main__":
    run_cli(
        main,
        __doc__.splitlines()[0],
        epochs=60,
        batch_size=(int, 64, "minibatch size"),
        lr=(float, 2e-3, "Adam learning rate"),
        latent=(int, 4, "size of the latent code"),
    )
