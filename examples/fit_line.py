"""Fit a line y = 3x - 2 with the engine alone: tensors, a loss, backward, a manual SGD step."""

from __future__ import annotations

import autograd as A


def main(steps: int = 200, lr: float = 0.1) -> tuple[float, float, float]:
    A.manual_seed(0)
    x = A.linspace(-1, 1, 64).reshape(64, 1)
    y = 3 * x - 2 + 0.05 * A.randn(64, 1)
    w = A.zeros(1, 1, requires_grad=True)
    b = A.zeros(1, requires_grad=True)
    for step in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with A.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.5f}  w {w.item():+.4f}  b {b.item():+.4f}")
    return w.item(), b.item(), loss.item()


if __name__ == "__main__":
    w, b, loss = main()
    print(f"fitted y = {w:.3f} x {b:+.3f} (true: y = 3x - 2), final MSE {loss:.5f}")
