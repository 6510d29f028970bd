"""Train a small MLP on scikit-learn's bundled digits, then draw one training step's graph.

Writes ``out/graph.dot`` (always) and ``out/graph.svg`` (when graphviz's ``dot`` is installed): ops grouped
by the module that ran them, parameters named, gradient norms on the leaves, saved tensors dotted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import autograd as A
import nn
from autograd import viz


class MLP(nn.Module):
    """64 pixels -> hidden -> 10 digit classes."""

    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, hidden)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x: A.Tensor) -> A.Tensor:
        return self.fc2(self.act(self.fc1(x)))


def load_digits() -> tuple[A.Tensor, A.Tensor]:
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError as e:
        raise SystemExit(
            "this example needs scikit-learn (its bundled digits data): pip install -e '.[examples]'"
        ) from e
    data = sk_load()
    x = A.tensor(data.data, dtype=A.float32) / 16.0
    y = A.tensor(data.target, dtype=A.int64)
    return x, y


def main(out_dir: str = "out", steps: int = 100, batch: int = 64) -> dict[str, Path]:
    A.manual_seed(0)
    x, y = load_digits()
    model = MLP()
    opt = nn.optim.Adam(model.parameters(), lr=1e-2)
    n = x.shape[0]
    for _ in range(steps):
        idx = A.randint(0, n, (batch,))
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with A.no_grad():
        acc = (model(x).argmax(1) == y).float().mean().item()
    print(f"trained {steps} steps: final batch loss {loss.item():.3f}, accuracy on all digits {acc:.3f}")

    # one more step, traced, keeping the graph alive for drawing (retain_graph=True)
    xb, yb = x[:batch], y[:batch]
    xb.name, yb.name = "images", "labels"
    with viz.trace_modules(model):
        logits = model(xb)
    loss = nn.functional.cross_entropy(logits, yb)
    opt.zero_grad()
    loss.backward(retain_graph=True)
    graph = viz.make_dot({"loss": loss}, group_by_module=model, show_grad=True, show_saved=True)
    print("gradient flow of this step:")
    print(viz.format_grad_flow(viz.grad_flow(model)))

    out = Path(out_dir)
    written = {"dot": graph.save(out / "graph.dot")}
    print(f"wrote {written['dot']} ({graph.num_ops} ops)")
    if viz.dot_available():
        written["svg"] = graph.render(out / "graph.svg")
        print(f"wrote {written['svg']}")
    else:
        print(
            "graphviz's `dot` is not installed, so no SVG: `apt-get install graphviz` (or `make system-deps`)"
        )
    return written


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--steps", type=int, default=100, help="training steps before drawing")
    args = p.parse_args()
    main(args.out, args.steps)
