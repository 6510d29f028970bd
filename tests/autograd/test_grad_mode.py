"""Grad modes: no_grad / enable_grad / set_grad_enabled / inference_mode as contexts, decorators, per thread."""

from __future__ import annotations

import threading

import pytest

import autograd as A


def _records(device) -> bool:
    x = A.ones(2, device=device, requires_grad=True)
    return (x * 2).requires_grad


def test_no_grad_and_enable_grad_nest(device):
    assert A.is_grad_enabled()
    with A.no_grad():
        assert not A.is_grad_enabled() and not _records(device)
        with A.enable_grad():
            assert A.is_grad_enabled() and _records(device)
        assert not _records(device)
    assert A.is_grad_enabled() and _records(device)


def test_mode_restored_after_exception(device):
    with pytest.raises(ValueError):
        with A.no_grad():
            raise ValueError("boom")
    assert A.is_grad_enabled()


def test_decorators(device):
    @A.no_grad()
    def f():
        return _records(device), A.is_grad_enabled()

    @A.enable_grad()
    def g():
        return _records(device)

    @A.set_grad_enabled(False)
    def h():
        return _records(device)

    @A.inference_mode()
    def i():
        return _records(device), A.is_inference_mode_enabled()

    assert f() == (False, False)
    assert A.is_grad_enabled()
    with A.no_grad():
        assert g() is True
        assert not A.is_grad_enabled()
    assert h() is False and A.is_grad_enabled()  # a decorator must not flip the mode at definition
    assert i() == (False, True) and not A.is_inference_mode_enabled()
    assert f.__name__ == "f"


def test_set_grad_enabled_as_call_and_context(device):
    A.set_grad_enabled(False)
    try:
        assert not _records(device)
    finally:
        A.set_grad_enabled(True)
    assert _records(device)
    with A.set_grad_enabled(False):
        assert not _records(device)
    assert _records(device)
    with A.no_grad(), A.set_grad_enabled(True):
        assert _records(device)


def test_inference_mode(device):
    with A.inference_mode():
        assert A.is_inference_mode_enabled() and not _records(device)
    with A.inference_mode(False):
        assert not A.is_inference_mode_enabled() and _records(device)
    assert not A.is_inference_mode_enabled()


def test_grad_mode_is_thread_local(device):
    seen = {}
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()  # main thread is inside no_grad now
        seen["enabled"] = A.is_grad_enabled()
        seen["records"] = _records(device)
        with A.no_grad():
            barrier.wait()  # main thread checks its own mode while we are in no_grad
            barrier.wait()

    t = threading.Thread(target=worker)
    t.start()
    with A.no_grad():
        barrier.wait()
        barrier.wait()
    assert A.is_grad_enabled()  # the worker's no_grad did not leak into this thread
    barrier.wait()
    t.join()
    assert seen == {"enabled": True, "records": True}


def test_no_grad_results_are_leaves(device):
    x = A.ones(2, device=device, requires_grad=True)
    with A.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    z = x.detach()
    assert not z.requires_grad and z.grad_fn is None


def test_set_grad_enabled_object_reentered(device):
    mode = A.set_grad_enabled(False)  # takes effect at once
    assert not A.is_grad_enabled()
    with mode:
        assert not _records(device)
    assert A.is_grad_enabled()
    with mode:  # entered again, it disables again
        assert not _records(device)
    assert A.is_grad_enabled() and _records(device)


def test_modes_restore_when_exited_out_of_order(device):
    outer, inner = A.no_grad(), A.enable_grad()
    outer.__enter__()
    inner.__enter__()
    assert A.is_grad_enabled()
    outer.__exit__(None, None, None)  # out of order: restores what outer saw (enabled)
    assert A.is_grad_enabled()
    inner.__exit__(None, None, None)  # restores what inner saw (disabled by outer)
    assert not A.is_grad_enabled()
    A.set_grad_enabled(True)
    assert _records(device)


def test_grad_mode_in_a_copied_context(device):
    import contextvars

    def inside():
        with A.no_grad():
            return _records(device)

    assert contextvars.copy_context().run(inside) is False
    assert A.is_grad_enabled() and _records(device)
