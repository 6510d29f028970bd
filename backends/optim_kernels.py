"""Optimizer update kernels (in place), written against ``self.xp``; CUDA fuses the hot ones.

Every ``*_step`` method updates raw arrays in place and never writes ``grad``. Scalars are Python
floats; with NumPy/CuPy's weak-scalar rules they act in the parameter's dtype, as in PyTorch.
The per-element formulas (and their evaluation order) follow ``torch.optim``'s single-tensor
implementations; a fused CUDA override must compute exactly the formula in the docstring.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class OptimKernels:
    """In-place parameter updates for SGD, Adam and friends; mixed into every Backend."""

    # ---- helpers -----------------------------------------------------------------------------
    def _optim_grad(self, param: Any, grad: Any, weight_decay: float, maximize: bool) -> tuple[Any, bool]:
        """``g = (-grad if maximize else grad) + weight_decay * param``; returns (g, g_is_a_new_array)."""
        xp = self.xp
        if weight_decay != 0:
            g = xp.multiply(param, weight_decay)
            if maximize:
                g -= grad
            else:
                g += grad
            return g, True
        if maximize:
            return xp.negative(grad), True
        return grad, False

    def lerp_(self, a: Any, b: Any, weight: float) -> None:
        """``a <- a + weight * (b - a)`` in place, with PyTorch's formula (exact at weight 1)."""
        xp = self.xp
        d = xp.subtract(b, a)
        if abs(weight) < 0.5:
            d *= weight
            a += d
        else:
            # PyTorch rounds the weight to the array's dtype before taking 1 - weight
            d *= 1.0 - float(a.dtype.type(weight))
            xp.subtract(b, d, out=a)

    def _add_scaled_(self, target: Any, x: Any, alpha: float, x_owned: bool) -> None:
        """``target += alpha * x``; scales ``x`` in place when the caller owns it."""
        if x_owned:
            x *= alpha
            target += x
        else:
            target += self.xp.multiply(x, alpha)

    def _addcmul_sq_(self, target: Any, x: Any, value: float) -> None:
        """``target += (value * x) * x`` (PyTorch's ``addcmul_(x, x, value=value)``)."""
        t = self.xp.multiply(x, value)
        t *= x
        target += t

    def _adam_moments_(
        self,
        param: Any,
        grad: Any,
        exp_avg: Any,
        exp_avg_sq: Any,
        lr: float,
        beta1: float,
        beta2: float,
        weight_decay: float,
        decoupled_weight_decay: bool,
        maximize: bool,
    ) -> Any:
        """Adam's shared first half: weight decay (``p *= 1 - lr*wd`` when decoupled, else ``g += wd*p``),
        ``m = lerp(m, g, 1-b1)`` and ``v = b2*v + ((1-b2)*g)*g``, all in place; returns ``g``."""
        if weight_decay != 0 and decoupled_weight_decay:
            param *= 1.0 - lr * weight_decay
            g, _ = self._optim_grad(param, grad, 0.0, maximize)
        else:
            g, _ = self._optim_grad(param, grad, weight_decay, maximize)
        self.lerp_(exp_avg, g, 1.0 - beta1)
        exp_avg_sq *= beta2
        self._addcmul_sq_(exp_avg_sq, g, 1.0 - beta2)
        return g

    # ---- SGD ---------------------------------------------------------------------------------
    def sgd_step(
        self,
        param: Any,
        grad: Any,
        buf: Any,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
        first_step: bool = False,
    ) -> None:
        """SGD with momentum. ``g = ±grad + wd*p``; ``buf = g`` (first step) else
        ``buf = momentum*buf + (1-dampening)*g``; ``d = g + momentum*buf`` (nesterov) or ``buf``;
        ``p -= lr*d``. ``buf`` is None when momentum is 0."""
        if not momentum and not weight_decay and not maximize:  # plain SGD: one scaled add
            self._add_scaled_(param, grad, -lr, False)
            return
        xp = self.xp
        g, owned = self._optim_grad(param, grad, weight_decay, maximize)
        if momentum != 0:
            if first_step:
                xp.copyto(buf, g)
            else:
                buf *= momentum
                if dampening == 0:
                    buf += g
                else:
                    buf += xp.multiply(g, 1.0 - dampening)
            if nesterov:
                t = xp.multiply(buf, momentum)
                t += g
                g, owned = t, True
            else:
                g, owned = buf, False
        self._add_scaled_(param, g, -lr, owned)

    # ---- Adam / AdamW ------------------------------------------------------------------------
    def adam_step(
        self,
        param: Any,
        grad: Any,
        exp_avg: Any,
        exp_avg_sq: Any,
        max_exp_avg_sq: Any,
        step: int,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        """Adam (AdamW when ``decoupled_weight_decay``); ``step`` counts this update (1 first).

        ``p *= 1 - lr*wd`` (decoupled) or ``g = ±grad + wd*p``; ``m = lerp(m, g, 1-b1)``;
        ``v = b2*v + ((1-b2)*g)*g``; ``vmax = max(vmax, v)`` (amsgrad);
        ``p += -(lr/(1-b1^step)) * (m / (sqrt(v or vmax)/sqrt(1-b2^step) + eps))``.
        """
        xp = self.xp
        self._adam_moments_(
            param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled_weight_decay, maximize
        )
        bias_correction1 = 1.0 - beta1**step
        bias_correction2_sqrt = (1.0 - beta2**step) ** 0.5
        step_size = lr / bias_correction1
        if amsgrad:
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            denom = xp.sqrt(max_exp_avg_sq)
        else:
            denom = xp.sqrt(exp_avg_sq)
        denom /= bias_correction2_sqrt
        denom += eps
        xp.divide(exp_avg, denom, out=denom)
        denom *= -step_size
        param += denom

    # ---- RMSprop -----------------------------------------------------------------------------
    def rmsprop_step(
        self,
        param: Any,
        grad: Any,
        square_avg: Any,
        grad_avg: Any,
        momentum_buffer: Any,
        lr: float,
        alpha: float,
        eps: float,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        """RMSprop. ``v = alpha*v + ((1-alpha)*g)*g``; centered: ``ga = lerp(ga, g, 1-alpha)``,
        ``avg = sqrt(v - ga*ga) + eps`` else ``sqrt(v) + eps``; momentum:
        ``buf = momentum*buf + g/avg``, ``p -= lr*buf``; else ``p += -lr * (g/avg)``."""
        xp = self.xp
        g, _ = self._optim_grad(param, grad, weight_decay, maximize)
        square_avg *= alpha
        self._addcmul_sq_(square_avg, g, 1.0 - alpha)
        if centered:
            self.lerp_(grad_avg, g, 1.0 - alpha)
            avg = xp.multiply(grad_avg, -1.0)
            avg *= grad_avg
            avg += square_avg
            xp.sqrt(avg, out=avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += eps
        xp.divide(g, avg, out=avg)
        if momentum > 0:
            momentum_buffer *= momentum
            momentum_buffer += avg
            self._add_scaled_(param, momentum_buffer, -lr, False)
        else:
            self._add_scaled_(param, avg, -lr, True)

    # ---- Adagrad -----------------------------------------------------------------------------
    def adagrad_step(
        self,
        param: Any,
        grad: Any,
        state_sum: Any,
        step: int,
        lr: float,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        """Adagrad. ``s += g*g``; ``p += -(lr / (1 + (step-1)*lr_decay)) * (g / (sqrt(s) + eps))``."""
        xp = self.xp
        g, _ = self._optim_grad(param, grad, weight_decay, maximize)
        clr = lr / (1 + (step - 1) * lr_decay)
        self._addcmul_sq_(state_sum, g, 1.0)
        std = xp.sqrt(state_sum)
        std += eps
        xp.divide(g, std, out=std)
        self._add_scaled_(param, std, -clr, True)

    # ---- Adadelta ----------------------------------------------------------------------------
    def adadelta_step(
        self,
        param: Any,
        grad: Any,
        square_avg: Any,
        acc_delta: Any,
        lr: float,
        rho: float,
        eps: float,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        """Adadelta. ``v = rho*v + ((1-rho)*g)*g``; ``d = sqrt(u + eps) / sqrt(v + eps) * g``;
        ``u = rho*u + ((1-rho)*d)*d``; ``p += -lr*d``."""
        xp = self.xp
        g, _ = self._optim_grad(param, grad, weight_decay, maximize)
        square_avg *= rho
        self._addcmul_sq_(square_avg, g, 1.0 - rho)
        std = xp.add(square_avg, eps)
        xp.sqrt(std, out=std)
        delta = xp.add(acc_delta, eps)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        acc_delta *= rho
        self._addcmul_sq_(acc_delta, delta, 1.0 - rho)
        self._add_scaled_(param, delta, -lr, True)

    # ---- Adamax ------------------------------------------------------------------------------
    def adamax_step(
        self,
        param: Any,
        grad: Any,
        exp_avg: Any,
        exp_inf: Any,
        step: int,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        """Adamax. ``m = lerp(m, g, 1-b1)``; ``u = max(b2*u, |g| + eps)``;
        ``p += -(lr/(1-b1^step)) * (m/u)``."""
        xp = self.xp
        g, _ = self._optim_grad(param, grad, weight_decay, maximize)
        self.lerp_(exp_avg, g, 1.0 - beta1)
        exp_inf *= beta2
        a = xp.abs(g)
        a += eps
        xp.maximum(exp_inf, a, out=exp_inf)
        clr = lr / (1.0 - beta1**step)
        xp.divide(exp_avg, exp_inf, out=a)
        self._add_scaled_(param, a, -clr, True)

    # ---- NAdam -------------------------------------------------------------------------------
    def nadam_step(
        self,
        param: Any,
        grad: Any,
        exp_avg: Any,
        exp_avg_sq: Any,
        step: int,
        mu_product: float,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
    ) -> float:
        """NAdam; returns the new ``mu_product`` (kept rounded to float32, as PyTorch's state is).

        ``mu_t = b1*(1 - 0.5*0.96^(t*psi))``; ``m = lerp(m, g, 1-b1)``; ``v = b2*v + ((1-b2)*g)*g``;
        ``den = sqrt(v/(1-b2^t)) + eps``; ``p += c1*(g/den)``, then ``p += c2*(m/den)`` with
        ``c1 = -lr*(1-mu_t)/(1-prod mu)`` and ``c2 = -lr*mu_{t+1}/(1-prod mu * mu_{t+1})``.
        """
        xp = self.xp
        f32 = _float32
        g = self._adam_moments_(
            param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled_weight_decay, maximize
        )
        bias_correction2 = 1.0 - beta2**step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = f32(f32(mu_product) * f32(mu))
        mu_product_next = mu_product * mu_next
        denom = xp.divide(exp_avg_sq, bias_correction2)
        xp.sqrt(denom, out=denom)
        denom += eps
        t = xp.divide(g, denom)
        self._add_scaled_(param, t, -lr * (1.0 - mu) / (1.0 - mu_product), True)
        xp.divide(exp_avg, denom, out=t)
        self._add_scaled_(param, t, (-lr * mu_next) / (1.0 - mu_product_next), True)
        return mu_product

    # ---- RAdam -------------------------------------------------------------------------------
    def radam_step(
        self,
        param: Any,
        grad: Any,
        exp_avg: Any,
        exp_avg_sq: Any,
        step: int,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
    ) -> None:
        """RAdam (rectified Adam). ``m = lerp(m, g, 1-b1)``; ``v = b2*v + ((1-b2)*g)*g``;
        ``rho_t = rho_inf - 2*t*b2^t/(1-b2^t)`` with ``rho_inf = 2/(1-b2) - 1``; when ``rho_t > 5``:
        ``p -= ((m/(1-b1^t))*lr) * (sqrt(1-b2^t)/(sqrt(v) + eps)) * rect``, else ``p -= (m/(1-b1^t))*lr``."""
        xp = self.xp
        self._adam_moments_(
            param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, weight_decay, decoupled_weight_decay, maximize
        )
        bias_correction1 = 1.0 - beta1**step
        bias_correction2 = 1.0 - beta2**step
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * (beta2**step) / bias_correction2
        update = xp.divide(exp_avg, bias_correction1)
        update *= lr
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = xp.sqrt(exp_avg_sq)
            adaptive += eps
            xp.divide(bias_correction2**0.5, adaptive, out=adaptive)
            update *= adaptive
            update *= rect
        param -= update

    # ---- Rprop -------------------------------------------------------------------------------
    def rprop_step(
        self,
        param: Any,
        grad: Any,
        prev: Any,
        step_size: Any,
        etaminus: float,
        etaplus: float,
        step_size_min: float,
        step_size_max: float,
        maximize: bool = False,
    ) -> None:
        """Rprop. ``s = sign(g*prev)`` mapped to etaplus (>0), etaminus (<0), 1 (0);
        ``step_size = clamp(step_size*s, min, max)``; ``g = 0`` where ``s == etaminus``;
        ``p -= sign(g)*step_size``; ``prev = g``."""
        xp = self.xp
        g = xp.negative(grad) if maximize else grad
        sign = xp.multiply(g, prev)
        xp.sign(sign, out=sign)
        dt = sign.dtype.type  # the etas in the parameter's dtype, as torch writes them (and no sync: where)
        sign = xp.where(sign > 0, dt(etaplus), sign)
        sign = xp.where(sign < 0, dt(etaminus), sign)
        sign = xp.where(sign == 0, dt(1), sign)
        step_size *= sign
        xp.clip(step_size, step_size_min, step_size_max, out=step_size)
        g = xp.where(sign == etaminus, dt(0), g)
        xp.sign(g, out=sign)
        sign *= step_size
        param -= sign
        xp.copyto(prev, g)

    # ---- ASGD --------------------------------------------------------------------------------
    def asgd_step(
        self,
        param: Any,
        grad: Any,
        ax: Any,
        step: int,
        eta: float,
        mu: float,
        lr: float,
        lambd: float,
        alpha: float,
        t0: float,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> tuple[float, float]:
        """Averaged SGD; returns the next ``(eta, mu)`` (rounded to float32, as PyTorch's state is).

        ``p *= 1 - lambd*eta``; ``p += -eta*g``; ``ax += (p - ax)*mu`` (``ax = p`` while mu is 1);
        ``eta = lr/(1 + lambd*lr*t)^alpha``; ``mu = 1/max(1, t - t0)``.
        """
        xp = self.xp
        g, owned = self._optim_grad(param, grad, weight_decay, maximize)
        param *= 1.0 - lambd * eta
        self._add_scaled_(param, g, -eta, owned)
        if mu != 1:
            d = xp.subtract(param, ax)
            d *= mu
            ax += d
        else:
            xp.copyto(ax, param)
        new_eta = _float32(lr / ((1.0 + lambd * lr * step) ** alpha))
        return new_eta, _float32(1.0 / max(1.0, step - t0))


def _float32(x: float) -> float:
    """Round a Python float to float32 precision (PyTorch keeps some scalar state in float32)."""
    return float(np.float32(x))
