"""Action sampling: the empirical distribution matches softmax(logits) (chi-square test)."""

import numpy as np
import torch
from scipy import stats

from iam_repro.ppo.sampling import sample_actions


def test_samples_follow_the_softmax_distribution_and_log_probs_are_exact():
    logits = torch.tensor([[2.0, 0.0, -1.0, 0.5]]).repeat(20_000, 1)
    actions, log_probs = sample_actions(logits, np.random.default_rng(0))
    probs = torch.softmax(logits[0].double(), -1).numpy()
    counts = np.bincount(actions, minlength=4)
    np.testing.assert_allclose(log_probs, np.log(probs)[actions], rtol=1e-5)
    assert stats.chisquare(counts, probs / probs.sum() * len(actions)).pvalue > 0.001


def test_a_wrong_distribution_is_detected_by_the_same_test():
    logits = torch.tensor([[2.0, 0.0, -1.0, 0.5]]).repeat(20_000, 1)
    actions, _ = sample_actions(logits, np.random.default_rng(0))
    uniform = np.full(4, 0.25)
    assert stats.chisquare(np.bincount(actions, minlength=4), uniform * len(actions)).pvalue < 1e-6


def test_near_deterministic_policy_never_samples_impossible_actions():
    logits = torch.tensor([[0.0, -1e4, -1e4, -1e4], [-1e4, -1e4, -1e4, 0.0]]).repeat(500, 1)
    actions, _ = sample_actions(logits, np.random.default_rng(1))
    assert set(actions[0::2]) == {0} and set(actions[1::2]) == {3}
