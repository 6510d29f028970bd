"""``nn.functional``: the stateless form of every layer, loss and activation (PyTorch's ``F``)."""

from __future__ import annotations

from ._functional.activation import *  # noqa: F403
from ._functional.attention import *  # noqa: F403
from ._functional.conv import *  # noqa: F403
from ._functional.conv3d import *  # noqa: F403
from ._functional.ctc import *  # noqa: F403
from ._functional.dropout import *  # noqa: F403
from ._functional.fractional import *  # noqa: F403
from ._functional.grid_sample import *  # noqa: F403
from ._functional.linear import *  # noqa: F403
from ._functional.loss import *  # noqa: F403
from ._functional.margin_loss import *  # noqa: F403
from ._functional.misc import *  # noqa: F403
from ._functional.norm import *  # noqa: F403
from ._functional.pooling import *  # noqa: F403
from ._functional.pooling3d import *  # noqa: F403
from ._functional.rnn import *  # noqa: F403
from ._functional.shuffle import *  # noqa: F403
from ._functional.sparse import *  # noqa: F403
from ._functional.stochastic import *  # noqa: F403
from ._functional.unpool import *  # noqa: F403
from ._functional.vision import *  # noqa: F403
