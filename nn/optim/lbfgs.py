"""L-BFGS (``torch.optim.LBFGS``): quasi-Newton steps from a short history of updates, optional line search.

The parameters are handled as one flat vector on one device (as in PyTorch); vectors are backend arrays
updated in place, scalars are Python floats. The state lives under the first parameter, in PyTorch's keys.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import autograd
from autograd import Tensor
from autograd.tensor import bump_version

from .optimizer import Optimizer, _check

__all__ = ["LBFGS"]

_SCALARS = ("t", "H_diag", "prev_loss")
_SCALAR_LISTS = ("ro", "al")


def _div(a: float, b: float) -> float:
    """``a / b`` with IEEE results for a zero divisor (inf or nan), as tensor arithmetic gives."""
    if b != 0:
        return a / b
    if a != a or a == 0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _cubic_interpolate(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple | None = None
) -> float:
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to ``bounds``."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * _div(f1 - f2, x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * _div(g2 + d2 - d1, g2 - g1 + 2 * d2)
        else:
            min_pos = x1 - (x1 - x2) * _div(g1 + d2 - d1, g1 - g2 + 2 * d2)
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(
    obj_func: Callable,
    dot: Callable,
    t: float,
    d: Any,
    f: float,
    g: Any,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Any, float, int]:
    """Line search along ``d`` for a step ``t`` meeting the strong Wolfe conditions (More & Thuente
    style bracketing and zoom, PyTorch's variant). Returns (loss, flat grad, t, function evaluations)."""
    d_norm = float(abs(d).max())
    g = g.copy()
    f_new, g_new = obj_func(t)
    ls_func_evals = 1
    gtd_new = dot(g_new, d)

    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list = []
    bracket_f: list = []
    bracket_g: list = []
    bracket_gtd: list = []
    while ls_iter < max_ls:
        # the Armijo condition fails, or the loss went up: the minimum lies in [t_prev, t]
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # the strong Wolfe conditions hold
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        # the slope turned upwards
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1

    if ls_iter == max_ls:  # reached the evaluation budget
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # a point too close to the bracket's ends makes little progress: move it away from them
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    """L-BFGS (after minFunc): one parameter group; ``step(closure)`` runs up to ``max_iter`` iterations."""

    _scalar_state = ()

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        _check(lr >= 0.0, "LBFGS", "learning rate", lr)
        _check_line_search(line_search_fn)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    # ---- the parameters as one flat vector -----------------------------------------------------
    def _backend(self) -> Any:
        backend = self._params[0].backend
        for p in self._params:
            if p.backend is not backend:
                raise RuntimeError(
                    f"LBFGS.step: all parameters must be on one device, got {self._params[0].device} "
                    f"and {p.device}"
                )
        return backend

    def _gather_flat_grad(self, xp: Any) -> Any:
        views = []
        for p in self._params:
            g = p.grad
            if g is None:
                views.append(xp.zeros(p._data.size, dtype=p._data.dtype))
            else:
                if g.shape != p.shape:
                    raise RuntimeError(
                        f"LBFGS.step: a parameter of shape {tuple(p.shape)} has a gradient of shape "
                        f"{tuple(g.shape)}; they must match"
                    )
                views.append(g._data.reshape(-1))
        return xp.concatenate(views)

    def _add_grad(self, backend: Any, step_size: float, update: Any) -> None:
        """``params += step_size * update`` (update is the flat vector), in place."""
        offset = 0
        for p in self._params:
            n = p._data.size
            backend._add_scaled_(
                p._data, update[offset : offset + n].reshape(p._data.shape), step_size, False
            )
            bump_version(p)
            offset += n

    def _set_param(self, values: list) -> None:
        for p, v in zip(self._params, values):
            p.backend.xp.copyto(p._data, v)
            bump_version(p)

    # ---- stepping ------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` clears the gradients, computes the
        loss, calls ``backward()`` and returns the loss. Returns the loss from the first evaluation."""
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        if closure is None or not callable(closure):
            raise TypeError(
                "LBFGS.step: a closure that re-evaluates the model and returns the loss is required"
            )
        with autograd.no_grad():
            return self._step(closure)

    def _closure(self, closure: Callable[[], Any]) -> Any:
        with autograd.enable_grad():
            return closure()

    def _step(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        _check_line_search(line_search_fn)
        backend = self._backend()
        xp = backend.xp

        def dot(a: Any, b: Any) -> float:
            return float(xp.dot(a, b))

        def amax(a: Any) -> float:
            return float(xp.abs(a).max())

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad(xp)
        if amax(flat_grad) <= tolerance_grad:  # already optimal
            return orig_loss

        d = _raw(state.get("d"))
        t = state.get("t")
        old_dirs = [_raw(v) for v in state.get("old_dirs") or []]
        old_stps = [_raw(v) for v in state.get("old_stps") or []]
        ro = list(state.get("ro") or [])
        H_diag = state.get("H_diag")
        prev_flat_grad = _raw(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the descent direction
            if state["n_iter"] == 1:
                d = xp.negative(flat_grad)
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                y = xp.subtract(flat_grad, prev_flat_grad)
                s = xp.multiply(d, t)
                ys = dot(y, s)
                if ys > 1e-10:  # keep the curvature pair only when it is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = _div(ys, dot(y, y))
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                # two-loop recursion: d = -H g
                q = xp.negative(flat_grad)
                for i in range(num_old - 1, -1, -1):
                    al[i] = dot(old_stps[i], q) * ro[i]
                    backend._add_scaled_(q, old_dirs[i], -al[i], False)
                d = r = xp.multiply(q, H_diag)
                for i in range(num_old):
                    be_i = dot(old_dirs[i], r) * ro[i]
                    backend._add_scaled_(r, old_stps[i], al[i] - be_i, False)

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                xp.copyto(prev_flat_grad, flat_grad)
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, _div(1.0, float(xp.abs(flat_grad).sum()))) * lr
            else:
                t = lr
            gtd = dot(flat_grad, d)
            if gtd > -tolerance_change:  # not a descent direction any more
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = [p._data.copy() for p in self._params]

                def obj_func(step: float, x_init: list = x_init, d: Any = d) -> tuple[float, Any]:
                    self._add_grad(backend, step, d)
                    f = float(self._closure(closure))
                    g = self._gather_flat_grad(xp)
                    self._set_param(x_init)
                    return f, g

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, dot, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(backend, t, d)
                opt_cond = amax(flat_grad) <= tolerance_grad
            else:
                self._add_grad(backend, t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # re-evaluate (not in the last iteration: the caller's closure does that)
                    loss = float(self._closure(closure))
                    flat_grad = self._gather_flat_grad(xp)
                    opt_cond = amax(flat_grad) <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # the stopping conditions
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if amax(xp.multiply(d, t)) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = _wrap(d)
        state["t"] = t
        state["old_dirs"] = [_wrap(v) for v in old_dirs]
        state["old_stps"] = [_wrap(v) for v in old_stps]
        state["ro"] = ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"] = _wrap(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss

    # ---- state dict ----------------------------------------------------------------------------
    def _cast_state(self, p: Tensor, key: Any, value: Any) -> Any:
        """Scalars (0-d tensors in a PyTorch state dict) become floats; vectors are copied to ``p``'s device."""
        if key in _SCALARS and value is not None:
            return float(value)
        if key in _SCALAR_LISTS and value is not None:
            return [None if v is None else float(v) for v in value]
        if key in ("func_evals", "n_iter"):
            return int(value)
        return super()._cast_state(p, key, value)


def _check_line_search(line_search_fn: Any) -> None:
    if line_search_fn not in (None, "strong_wolfe"):
        raise ValueError(
            f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r} "
            "(only 'strong_wolfe' is supported)"
        )


def _raw(value: Any) -> Any:
    return value._data if isinstance(value, Tensor) else value


def _wrap(value: Any) -> Any:
    return None if value is None else Tensor._make(value)
