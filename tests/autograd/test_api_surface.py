"""The PyTorch names the op library promises exist, as Tensor methods and as ``autograd.<name>``."""

from __future__ import annotations

import autograd as A

METHODS = """
__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __pow__ __rpow__ __matmul__
__rmatmul__ __floordiv__ __rfloordiv__ __mod__ __rmod__ __neg__ __abs__ __getitem__ __setitem__ __array__
__eq__ __ne__ __lt__ __le__ __gt__ __ge__ __and__ __or__ __xor__ __invert__ __iadd__ __isub__ __imul__ __itruediv__
abs add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_ exp log log1p expm1 sqrt rsqrt sin cos tan tanh sigmoid relu
sign floor ceil round reciprocal erf eq ne lt le gt ge logical_and logical_or logical_xor logical_not
maximum minimum where clamp clip lerp sum mean prod max min argmax argmin var std logsumexp all any norm cumsum
amax amin matmul mm bmm outer dot reshape view flatten unflatten squeeze unsqueeze transpose permute t expand
expand_as broadcast_to flip roll repeat tile split chunk narrow unbind movedim gather scatter scatter_add
index_select masked_fill tril triu type float double long int half bool item tolist numpy to cpu cuda detach
clone contiguous requires_grad_ retain_grad register_hook backward size dim numel
""".split()
PROPERTIES = [
    "T",
    "mT",
    "shape",
    "ndim",
    "dtype",
    "device",
    "grad",
    "grad_fn",
    "is_leaf",
    "requires_grad",
    "data",
]
FUNCTIONS = """
tensor zeros ones full empty arange linspace eye rand randn randint normal zeros_like ones_like full_like
empty_like rand_like randn_like manual_seed float16 float32 float64 int32 int64 bool cat stack where clamp
einsum outer matmul sum mean prod amax amin argmax argmin var std logsumexp all any norm cumsum reshape
flatten unflatten squeeze unsqueeze transpose permute broadcast_to flip roll tile split chunk narrow gather
scatter scatter_add index_select masked_fill one_hot tril triu exp log sigmoid tanh relu maximum minimum lerp
no_grad enable_grad set_grad_enabled inference_mode grad backward Function once_differentiable gradcheck
gradgradcheck detect_anomaly set_detect_anomaly
""".split()


def test_tensor_has_every_method(device):
    t = A.ones(2, 2, device=device)
    missing = [n for n in METHODS + PROPERTIES if not hasattr(t, n)]
    assert not missing, f"Tensor is missing {missing}"


def test_module_has_every_function():
    missing = [n for n in FUNCTIONS if not hasattr(A, n)]
    assert not missing, f"autograd is missing {missing}"
