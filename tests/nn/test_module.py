"""Module system: registration, iteration, modes, moves, hooks (forward and full backward), state dicts, repr."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest
from helpers import HAVE_TORCH, to_numpy

import autograd as A
import nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.scale = nn.Parameter(A.ones(4))
        self.register_buffer("count", A.zeros(1, dtype=A.int64))
        self.register_buffer("cache", A.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.b1 = Block()
        self.b2 = Block()
        self.head = nn.Linear(4, 2, bias=False)
        self.missing = None

    def forward(self, x):
        return self.head(self.b2.fc.weight.sum() * 0 + self.b1(x))


def _net(device):
    return Net().to(device)


# ---- registration and iteration -------------------------------------------------------------------


def test_registration_and_names(device):
    net = _net(device)
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "b1.scale",
        "b1.fc.weight",
        "b1.fc.bias",
        "b2.scale",
        "b2.fc.weight",
        "b2.fc.bias",
        "head.weight",
    ]
    assert [n for n, _ in net.named_buffers()] == ["b1.count", "b1.cache", "b2.count", "b2.cache"]
    assert [n for n, _ in net.named_modules()] == ["", "b1", "b1.fc", "b2", "b2.fc", "head"]
    assert [type(m).__name__ for m in net.children()] == ["Block", "Block", "Linear"]
    assert len(list(net.parameters(recurse=False))) == 0
    assert all(p.requires_grad and isinstance(p, nn.Parameter) for p in net.parameters())
    assert net.get_submodule("b1.fc") is net.b1.fc
    assert net.get_parameter("b1.fc.bias") is net.b1.fc.bias
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        net.get_submodule("b1.nope")


def test_reassign_and_delete(device):
    m = nn.Linear(2, 2).to(device)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = A.zeros(2, 2, device=device)
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer"):
        b = Block()
        b.count = 3
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    m.extra = nn.Parameter(A.zeros(1, device=device))
    assert "extra" in dict(m.named_parameters())
    del m.extra
    assert "extra" not in dict(m.named_parameters())
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", A.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.plain = 3
        m.register_parameter("plain", nn.Parameter(A.zeros(1)))
    with pytest.raises(AttributeError, match="before Module.__init__"):

        class Bad(nn.Module):
            def __init__(self):
                self.w = nn.Parameter(A.zeros(1))

        Bad()


def test_shared_parameters_deduplicated(device):
    a = nn.Linear(2, 2).to(device)
    seq = nn.Sequential(a, a)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    # state_dict lists a module shared under two names under both, as PyTorch does
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_train_eval_and_apply(device):
    net = _net(device)
    assert net.training and net.b1.fc.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    order = []
    net.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "Block", "Linear", "Block", "Linear", "Net"]  # children first, like PyTorch
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_and_freezing(device):
    net = _net(device)
    x = A.randn(5, 3, device=device)
    net(x).sum().backward()
    assert net.b1.fc.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert np.all(to_numpy(net.b1.fc.weight.grad) == 0)
    net.zero_grad()
    assert net.b1.fc.weight.grad is None
    net.b1.requires_grad_(False)
    net(x).sum().backward()
    assert net.b1.fc.weight.grad is None and net.head.weight.grad is not None
    assert not net.b1.scale.requires_grad


def test_to_dtype_keeps_parameter_objects(device):
    net = _net(device)
    w = net.b1.fc.weight
    net.double()
    assert net.b1.fc.weight is w and w.dtype == A.float64 and isinstance(w, nn.Parameter)
    assert net.b1.count.dtype == A.int64  # integer buffers are not cast
    assert net(A.randn(2, 3, device=device, dtype=A.float64)).dtype == A.float64
    net.to(A.float32)
    assert w.dtype == A.float32
    net.half()
    assert w.dtype == A.float16
    net.float()
    assert w.dtype == A.float32 and w.device == A.device(device)
    with pytest.raises(TypeError, match="floating point"):
        net.to(A.int32)
    net.to(device).cpu()
    assert w.device == A.device("cpu")


# ---- forward hooks -----------------------------------------------------------------------------------


def test_forward_hooks(device):
    m = nn.Linear(3, 2).to(device)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    m.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    y = m(A.randn(4, 3, device=device))
    assert calls == ["first", "post"]
    b = to_numpy(m.bias)
    np.testing.assert_allclose(to_numpy(y), np.broadcast_to(b + 1, (4, 2)), rtol=1e-6)
    h1.remove()
    h2.remove()
    x = A.randn(4, 3, device=device)
    np.testing.assert_allclose(to_numpy(m(x)), to_numpy(nn.functional.linear(x, m.weight, m.bias)))


def test_forward_hooks_with_kwargs_and_always_call(device):
    class K(nn.Module):
        def forward(self, x, scale=1.0):
            if scale < 0:
                raise ValueError("negative")
            return x * scale

    m = K()
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}), with_kwargs=True)
    seen = []
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs["scale"]), with_kwargs=True)
    x = A.ones(2, device=device)
    assert to_numpy(m(x, scale=2.0)).tolist() == [3.0, 3.0]
    assert seen == [3.0]
    m2 = K()
    always = []
    m2.register_forward_hook(lambda mod, args, out: always.append(out), always_call=True)
    with pytest.raises(ValueError, match="negative"):
        m2(x, scale=-1.0)
    assert always == [None]


# ---- full backward hooks --------------------------------------------------------------------------------


def test_full_backward_hook_sees_and_replaces_grads(device):
    m = nn.Linear(3, 2).to(device)
    x = A.randn(4, 3, device=device, requires_grad=True)
    seen = {}

    def hook(mod, grad_input, grad_output):
        seen["gi"], seen["go"] = grad_input, grad_output
        return (grad_input[0] * 2,)

    h = m.register_full_backward_hook(hook)
    up = A.randn(4, 2, device=device)
    (m(x) * up).sum().backward()
    assert seen["go"][0].shape == (4, 2)
    np.testing.assert_allclose(to_numpy(seen["go"][0]), to_numpy(up), rtol=1e-6)
    expected_gx = to_numpy(up) @ to_numpy(m.weight)
    np.testing.assert_allclose(to_numpy(seen["gi"][0]), expected_gx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(x.grad), 2 * expected_gx, rtol=1e-5, atol=1e-6)  # replaced
    # the parameter grads are untouched by the hook
    np.testing.assert_allclose(to_numpy(m.weight.grad), to_numpy(up).T @ to_numpy(x), rtol=1e-5, atol=1e-6)
    h.remove()
    x.grad = None
    (m(x) * up).sum().backward()
    np.testing.assert_allclose(to_numpy(x.grad), expected_gx, rtol=1e-5, atol=1e-6)


def test_full_backward_pre_hook_replaces_grad_output(device):
    m = nn.Linear(3, 2).to(device)
    x = A.randn(4, 3, device=device, requires_grad=True)
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0.5,))
    m(x).sum().backward()
    ones = np.ones((4, 2), np.float32)
    np.testing.assert_allclose(to_numpy(x.grad), 0.5 * ones @ to_numpy(m.weight), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(m.bias.grad), 0.5 * ones.sum(0), rtol=1e-5)


def test_full_backward_hook_non_tensor_args_and_no_input_grad(device):
    class M(nn.Module):
        def forward(self, a, k, b):
            return a * b * k, a + 1

    m = M()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    a = A.randn(2, device=device, requires_grad=True)
    b = A.randn(2, device=device)
    out = m(a, 3, b)
    out[0].sum().backward()
    gi, go = seen[0]
    assert len(gi) == 3 and gi[1] is None and gi[2] is None
    np.testing.assert_allclose(to_numpy(gi[0]), 3 * to_numpy(b), rtol=1e-6)
    assert go[1] is None and go[0].shape == (2,)
    # no input requires grad: the hook fires with all-None grad_input (and a warning), like PyTorch
    lin = nn.Linear(3, 2).to(device)
    got = []
    lin.register_full_backward_hook(lambda mod, gi, go: got.append(gi))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lin(A.randn(2, 3, device=device)).sum().backward()
    assert got == [(None,)] and any("no inputs require gradients" in str(x.message) for x in w)
    assert lin.weight.grad is not None


def test_full_backward_hook_in_sequential_order(device):
    seq = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2)).to(device)
    order = []
    for i, layer in enumerate(seq):
        layer.register_full_backward_hook(lambda mod, gi, go, i=i: order.append(i))
    seq(A.randn(2, 3, device=device, requires_grad=True)).sum().backward()
    assert order == [1, 0]


def test_global_forward_hook(device):
    from nn.hooks import register_module_forward_hook

    names = []
    h = register_module_forward_hook(lambda mod, args, out: names.append(type(mod).__name__))
    try:
        nn.Sequential(nn.Linear(2, 2), nn.Identity()).to(device)(A.randn(1, 2, device=device))
    finally:
        h.remove()
    assert names == ["Linear", "Identity", "Sequential"]


# ---- state dicts ------------------------------------------------------------------------------------


def test_state_dict_round_trip(device):
    a, b = _net(device), _net(device)
    sd = a.state_dict()
    assert list(sd) == [
        "b1.scale",
        "b1.count",
        "b1.fc.weight",
        "b1.fc.bias",
        "b2.scale",
        "b2.count",
        "b2.fc.weight",
        "b2.fc.bias",
        "head.weight",
    ]  # own entries before the children's, as PyTorch; non-persistent buffers are left out
    assert not any(v.requires_grad for v in sd.values())
    assert sd._metadata[""] == {"version": 1}
    res = b.load_state_dict(sd)
    assert repr(res) == "<All keys matched successfully>"
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(to_numpy(v), to_numpy(sd[k]))
    assert b.b1.fc.weight is not sd["b1.fc.weight"]  # copied, not aliased


def test_load_state_dict_errors_pytorch_wording(device):
    m = nn.Linear(3, 2).to(device)
    before = to_numpy(m.weight).copy()
    bad = {"weight": A.zeros(2, 4), "foo": A.zeros(1)}
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(bad)
    assert str(e.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        '\tMissing key(s) in state_dict: "bias". \n'
        '\tUnexpected key(s) in state_dict: "foo". \n'
        "\tsize mismatch for weight: copying a param with shape (2, 4) from checkpoint, the shape in current "
        "model is (2, 3)."
    )
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        m.load_state_dict(bad, strict=False)  # shape errors are raised even when not strict
    np.testing.assert_array_equal(to_numpy(m.weight), before)  # a failed load changes nothing
    res = m.load_state_dict({"weight": A.ones(2, 3), "foo": A.zeros(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["foo"]
    assert np.all(to_numpy(m.weight) == 1)
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        m.load_state_dict({"weight": A.ones(2, 3), "bias": "oops"})
    with pytest.raises(TypeError, match="dict-like"):
        m.load_state_dict([1, 2])


def test_load_state_dict_assign_and_numpy(device):
    m = nn.Linear(3, 2).to(device)
    w = np.arange(6, dtype=np.float64).reshape(2, 3)
    m.load_state_dict({"weight": w, "bias": np.zeros(2)})  # NumPy arrays load (cast to the param dtype)
    assert m.weight.dtype == A.float32 and to_numpy(m.weight).tolist() == w.tolist()
    new_w = A.full((2, 3), 7.0, device=device)
    m.load_state_dict({"weight": new_w, "bias": A.zeros(2, device=device)}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert np.all(to_numpy(m.weight) == 7)


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_load_torch_state_dict(device):
    import torch

    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    relu = nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity()
    ours = nn.Sequential(nn.Linear(3, 4), relu, nn.Linear(4, 2)).to(device)
    ours.load_state_dict({k: v.numpy() for k, v in tnet.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    h = np.maximum(x @ tnet[0].weight.detach().numpy().T + tnet[0].bias.detach().numpy(), 0)
    with torch.no_grad():
        want = tnet(torch.tensor(x)).numpy()
    if isinstance(relu, nn.Identity):
        want = h @ tnet[2].weight.detach().numpy().T + tnet[2].bias.detach().numpy()
    got = ours(A.tensor(x, device=device))
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-5, atol=1e-6)
    ours.load_state_dict(tnet.state_dict())  # torch tensors themselves are array-like
    assert list(ours.state_dict()) == list(tnet.state_dict())


def test_extra_state(device):
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.tag = "a"

        def get_extra_state(self):
            return {"tag": self.tag}

        def set_extra_state(self, state):
            self.tag = state["tag"]

    a, b = WithExtra(), WithExtra()
    a.tag = "z"
    sd = a.state_dict()
    assert sd["_extra_state"] == {"tag": "z"}
    b.load_state_dict(sd)
    assert b.tag == "z"


# ---- printing, copying, pickling ---------------------------------------------------------------------


def test_repr_layout_and_counts(device):
    seq = nn.Sequential(nn.Linear(4, 3), nn.Identity(), nn.Sequential(nn.Linear(3, 2, bias=False))).to(device)
    assert repr(seq) == (
        "Sequential(  # 21 parameters\n"
        "  (0): Linear(in_features=4, out_features=3, bias=True)  # 15\n"
        "  (1): Identity()\n"
        "  (2): Sequential(  # 6\n"
        "    (0): Linear(in_features=3, out_features=2, bias=False)  # 6\n"
        "  )\n"
        ")"
    )
    seq[0].requires_grad_(False)
    assert repr(seq).splitlines()[0] == "Sequential(  # 21 parameters, 6 trainable"
    assert repr(nn.Identity()) == "Identity()"
    assert repr(nn.Linear(1, 1)) == "Linear(in_features=1, out_features=1, bias=True)  # 2 parameters"


@pytest.mark.skipif(not HAVE_TORCH, reason="needs torch")
def test_repr_matches_torch_without_counts():
    import re

    import torch

    ours = nn.Sequential(nn.Linear(4, 3), nn.Flatten(), nn.Unflatten(1, (1, 3)), nn.Dropout(0.2))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.Flatten(), torch.nn.Unflatten(1, (1, 3)), torch.nn.Dropout(0.2)
    )
    assert re.sub(r"  # [^\n]*", "", repr(ours)) == repr(theirs)


def test_never_pickled_but_deepcopy_works(device):
    net = _net(device)
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(net)
    with pytest.raises(TypeError):
        pickle.dumps(net.b1.fc.weight)
    clone = copy.deepcopy(net)
    assert clone.b1.fc.weight is not net.b1.fc.weight
    np.testing.assert_array_equal(to_numpy(clone.b1.fc.weight), to_numpy(net.b1.fc.weight))
    with A.no_grad():
        clone.b1.fc.weight.fill_(0)
    assert not np.all(to_numpy(net.b1.fc.weight) == 0)
    shared = nn.Linear(2, 2)
    pair = copy.deepcopy(nn.Sequential(shared, shared))
    assert pair[0] is pair[1]


def test_forward_missing():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        nn.Module(foo=1)


def test_load_from_state_dict_override_and_prefix(device):
    class Renamed(nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, *args):
            old = prefix + "w"  # a checkpoint from an older version used another name
            if old in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(old)
            super()._load_from_state_dict(state_dict, prefix, *args)

    net = nn.Sequential(Renamed(2, 2)).to(device)
    net.load_state_dict({"0.w": A.ones(2, 2), "0.bias": A.zeros(2)})
    assert np.all(to_numpy(net[0].weight) == 1)
    sd = net.state_dict(prefix="model.")
    assert list(sd) == ["model.0.weight", "model.0.bias"]
    assert list(net[0].state_dict(keep_vars=True).values())[0] is net[0].weight


def test_buffer_assignment_and_moves(device):
    class WithBuf(nn.Module):
        def __init__(self):
            super().__init__()
            self.running = nn.Buffer(A.zeros(3))
            self.tmp = nn.Buffer(A.ones(1), persistent=False)

    m = WithBuf().to(device)
    assert [n for n, _ in m.named_buffers()] == ["running", "tmp"]
    assert list(m.state_dict()) == ["running"]
    assert m.running.device == A.device(device) and not isinstance(m.running, nn.Buffer)
    m.running = A.full((3,), 2.0, device=device)  # plain tensors replace a registered buffer
    assert np.all(to_numpy(m.state_dict()["running"]) == 2)
    m.double()
    assert m.running.dtype == A.float64


def test_backward_hook_with_list_output(device):
    class Split(nn.Module):
        def forward(self, x):
            return [x * 2, x * 3]

    m = Split()
    got = []
    m.register_full_backward_hook(lambda mod, gi, go: got.append((gi[0], go)))
    x = A.ones(2, device=device, requires_grad=True)
    out = m(x)
    assert isinstance(out, list) and len(out) == 2
    (out[0] + out[1]).sum().backward()
    np.testing.assert_allclose(to_numpy(got[0][0]), [5.0, 5.0])
    np.testing.assert_allclose(to_numpy(x.grad), [5.0, 5.0])
    assert len(got) == 1 and len(got[0][1]) == 2
