"""embergrad's nn: modules, layers, losses, init, optimizers, data tools and safe serialization.

PyTorch's names and semantics: ``nn.Linear`` is ``torch.nn.Linear``, ``nn.functional`` is
``torch.nn.functional``, ``nn.optim`` is ``torch.optim``.
"""

from __future__ import annotations

from .module import Module
from .parameter import Buffer, Parameter
