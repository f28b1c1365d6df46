"""Adam with TensorFlow's update rule, over one flat buffer holding every parameter.

Why not torch.optim.Adam: (1) the original trains with TF's AdamOptimizer, whose epsilon is
added to sqrt(v) *after* the bias correction is folded into the step size
(lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); theta -= lr_t * m / (sqrt(v) + eps)), where torch adds
it to the bias-corrected sqrt(v); (2) with all parameters and gradients as views of two flat
tensors, one update is six vector operations instead of six per parameter tensor, which is a
large share of a minibatch's time for these small models on one CPU thread. The square-root
buffer is kept between steps: a fresh one of this size comes from the OS, page by page, every
minibatch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn


class FlatAdam:
    """TensorFlow-style Adam; the parameters are re-seated as views of one flat buffer.

    Gradients accumulate in place into a flat gradient buffer (each `p.grad` is a view of it),
    so call `zero_grad()` (which zeroes, never frees) before each backward pass.
    """

    def __init__(
        self,
        params: Iterable[nn.Parameter],
        *,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = [p for p in params if p.requires_grad]
        total = sum(p.numel() for p in self.params)
        dtype, device = self.params[0].dtype, self.params[0].device
        self.flat = torch.zeros(total, dtype=dtype, device=device)
        self.flat_grad = torch.zeros(total, dtype=dtype, device=device)
        offset = 0
        for p in self.params:
            n = p.numel()
            self.flat[offset : offset + n].copy_(p.detach().reshape(-1))
            p.data = self.flat[offset : offset + n].view_as(p)
            p.grad = self.flat_grad[offset : offset + n].view_as(p)
            offset += n
        self.lr, self.betas, self.eps = lr, betas, eps
        self.exp_avg = torch.zeros_like(self.flat)
        self.exp_avg_sq = torch.zeros_like(self.flat)
        self._denom = torch.empty_like(self.flat)
        self._grads = [p.grad for p in self.params]
        self.steps = 0

    def zero_grad(self) -> None:
        self.flat_grad.zero_()

    @torch.no_grad()
    def clip_grad_norm_(self, max_norm: float) -> None:
        """`torch.nn.utils.clip_grad_norm_(params, max_norm)`, bit for bit, on the flat buffer.

        The same arithmetic as torch's: per-parameter 2-norms (`_foreach_norm`), their 2-norm,
        the coefficient min(max_norm / (norm + 1e-6), 1); but one multiply over the flat
        gradient instead of one per parameter, and none of torch's per-call regrouping.
        """
        norms = torch._foreach_norm(self._grads, 2.0)
        total = torch.linalg.vector_norm(torch.stack(norms), 2.0)
        self.flat_grad.mul_(torch.clamp(float(max_norm) / (total + 1e-6), max=1.0))

    @torch.no_grad()
    def step(self) -> None:
        """One update with the current `lr` from the gradients in the flat buffer."""
        beta1, beta2 = self.betas
        self.steps += 1
        grad = self.flat_grad
        self.exp_avg.lerp_(grad, 1.0 - beta1)
        self.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        step_size = self.lr * math.sqrt(1.0 - beta2**self.steps) / (1.0 - beta1**self.steps)
        denom = torch.sqrt(self.exp_avg_sq, out=self._denom).add_(self.eps)
        self.flat.addcdiv_(self.exp_avg, denom, value=-step_size)

    def state_dict(self) -> dict[str, Any]:
        """Moment estimates (CPU copies), step count and learning rate."""
        return {
            "exp_avg": self.exp_avg.detach().cpu().clone(),
            "exp_avg_sq": self.exp_avg_sq.detach().cpu().clone(),
            "steps": self.steps,
            "lr": self.lr,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.exp_avg.copy_(state["exp_avg"])
        self.exp_avg_sq.copy_(state["exp_avg_sq"])
        self.steps, self.lr = int(state["steps"]), float(state["lr"])
