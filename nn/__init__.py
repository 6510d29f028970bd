"""embergrad's nn: modules, layers, losses, init, optimizers, data tools and safe serialization.

PyTorch's names and semantics: ``nn.Linear`` is ``torch.nn.Linear``, ``nn.functional`` is
``torch.nn.functional``, ``nn.optim`` is ``torch.optim``.
"""

from __future__ import annotations

from . import _profiling, benchmark, data, functional, init, optim, utils
from .module import Module
from .modules.activation import *  # noqa: F403
from .modules.adaptive import *  # noqa: F403
from .modules.attention import *  # noqa: F403
from .modules.container import *  # noqa: F403
from .modules.conv import *  # noqa: F403
from .modules.distance import *  # noqa: F403
from .modules.dropout import *  # noqa: F403
from .modules.flatten import *  # noqa: F403
from .modules.lazy import *  # noqa: F403
from .modules.linear import *  # noqa: F403
from .modules.loss import *  # noqa: F403
from .modules.norm import *  # noqa: F403
from .modules.padding import *  # noqa: F403
from .modules.pooling import *  # noqa: F403
from .modules.rnn import *  # noqa: F403
from .modules.shuffle import *  # noqa: F403
from .modules.sparse import *  # noqa: F403
from .modules.transformer import *  # noqa: F403
from .modules.upsample import *  # noqa: F403
from .parameter import Buffer, Parameter
from .serialization import load, save
