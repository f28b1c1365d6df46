"""The PPO loss of the original: clipped surrogate + c1 * clipped value loss - beta * entropy."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class LossTerms:
    """A minibatch's loss, with its graph for backward, and what its diagnostics need.

    The diagnostics are computed by `summary()`, on demand: an update reports only its last
    minibatch's, and computing them for every minibatch cost about as many small tensor
    operations as the loss itself.
    """

    total: Tensor
    policy: Tensor  # detached scalars
    value: Tensor
    entropy: Tensor
    ratio: Tensor  # detached, (...): new over old action probability
    log_ratio: Tensor  # detached, (...)
    mask: Tensor
    count: Tensor
    epsilon: float

    def summary(self) -> dict[str, float]:
        """policy, value, entropy, clip_fraction (ratios outside 1 +- epsilon) and approx_kl."""
        clip_fraction = masked_mean(
            ((self.ratio - 1.0).abs() > self.epsilon).float(), self.mask, self.count
        )
        approx_kl = masked_mean((self.ratio - 1.0) - self.log_ratio, self.mask, self.count)
        return {
            "policy": self.policy.item(),
            "value": self.value.item(),
            "entropy": self.entropy.item(),
            "clip_fraction": float(clip_fraction),
            "approx_kl": float(approx_kl),
        }


def masked_mean(x: Tensor, mask: Tensor, count: Tensor) -> Tensor:
    """Mean of `x` over the slots where `mask` is 1 (`count` = mask.sum(), precomputed)."""
    return (x * mask).sum() / count


def ppo_loss(
    logits: Tensor,
    values: Tensor,
    actions: Tensor,
    old_log_probs: Tensor,
    old_values: Tensor,
    advantages: Tensor,
    returns: Tensor,
    mask: Tensor,
    *,
    epsilon: float,
    c1: float,
    beta: float,
    value_clipping: bool = True,
    value_loss_half: bool = False,
) -> LossTerms:
    """Loss over the unmasked slots of a minibatch.

    Args:
        logits: (..., A) action logits of the current policy.
        values: (...) current value estimates.
        actions: (...) int64 actions taken.
        old_log_probs, old_values: (...) from the rollout.
        advantages, returns: (...) from chunked GAE.
        mask: (...) float, 1 for real transitions, 0 for sequence padding.
        epsilon: clip range for the ratio and (when `value_clipping`) the value.
        c1: value-loss coefficient; beta: entropy coefficient.
        value_clipping: clip values as the original; value_loss_half: the 0.5 factor of other
            libraries (not the original's).
    """
    count = mask.sum()
    log_probs_all = torch.log_softmax(logits, dim=-1)
    log_probs = log_probs_all.gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    entropy = -(log_probs_all.exp() * log_probs_all).sum(-1)

    log_ratio = log_probs - old_log_probs
    ratio = log_ratio.exp()
    surrogate = torch.minimum(
        ratio * advantages, ratio.clamp(1.0 - epsilon, 1.0 + epsilon) * advantages
    )
    value_error = (returns - values).square()
    if value_clipping:
        clipped = old_values + (values - old_values).clamp(-epsilon, epsilon)
        value_error = torch.maximum(value_error, (returns - clipped).square())
    if value_loss_half:
        value_error = 0.5 * value_error

    policy_loss = -masked_mean(surrogate, mask, count)
    value_loss = masked_mean(value_error, mask, count)
    entropy_mean = masked_mean(entropy, mask, count)
    total = policy_loss + c1 * value_loss - beta * entropy_mean
    return LossTerms(
        total=total,
        policy=policy_loss.detach(),
        value=value_loss.detach(),
        entropy=entropy_mean.detach(),
        ratio=ratio.detach(),
        log_ratio=log_ratio.detach(),
        mask=mask,
        count=count,
        epsilon=epsilon,
    )
