"""PPO building blocks against naive re-implementations and hand-computed values."""

import numpy as np
import pytest
import torch

from iam_repro.ppo.batching import PAD, minibatches, sequence_index
from iam_repro.ppo.config import PPOConfig, deviations
from iam_repro.ppo.gae import chunk_ends, chunked_gae
from iam_repro.ppo.loss import ppo_loss
from iam_repro.ppo.schedule import linear_decay


def fixed_chunks(steps, workers, horizon):
    """Chunk ends at fixed rollout positions (every `horizon` slots), no padding."""
    return chunk_ends(
        np.zeros((steps, workers), int),
        np.ones((steps, workers), bool),
        time_horizon=horizon,
        from_episode_start=False,
    )


def naive_chunked_gae(rewards, values, dones, last_value, gamma, lam, horizon):
    """Literal per-worker, per-chunk GAE: each chunk is its own little trajectory."""
    steps, workers = rewards.shape
    adv = np.zeros((steps, workers))
    for n in range(workers):
        for start in range(0, steps, horizon):
            end = start + horizon
            boot = last_value[n] if end == steps else values[end, n]
            gae = 0.0
            for t in reversed(range(start, end)):
                next_value = boot if t == end - 1 else values[t + 1, n]
                nonterminal = 0.0 if dones[t, n] else 1.0
                delta = rewards[t, n] + gamma * next_value * nonterminal - values[t, n]
                carry = 0.0 if t == end - 1 else gae
                gae = delta + gamma * lam * nonterminal * carry
                adv[t, n] = gae
    return adv


@pytest.mark.parametrize("horizon", [1, 4, 8, 32])
def test_chunked_gae_matches_naive(horizon):
    rng = np.random.default_rng(horizon)
    steps, workers = 32, 3
    rewards = rng.normal(size=(steps, workers)).astype(np.float32)
    values = rng.normal(size=(steps, workers)).astype(np.float32)
    dones = rng.random((steps, workers)) < 0.1
    last = rng.normal(size=workers).astype(np.float32)
    adv, ret = chunked_gae(
        rewards,
        values,
        dones,
        last,
        gamma=0.99,
        lam=0.95,
        chunk_end=fixed_chunks(steps, workers, horizon),
    )
    expected = naive_chunked_gae(rewards, values, dones, last, 0.99, 0.95, horizon)
    np.testing.assert_allclose(adv, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ret, expected + values, rtol=1e-5, atol=1e-5)


# One worker, two steps (gamma = lam = .5): delta1 = 1 + .5*3 - 2 = .5 ; delta0 = 0 + .5*2 - 1 = 0.
# One chunk of two: adv1 = .5, adv0 = 0 + .5*.5*.5 = .125. Two chunks of one step: the
# look-ahead stops at the chunk end, so adv0 = delta0 = 0.
@pytest.mark.parametrize(("horizon", "expected"), [(2, [0.125, 0.5]), (1, [0.0, 0.5])])
def test_gae_hand_computed_two_steps(horizon, expected):
    adv, _ = chunked_gae(
        np.array([[0.0], [1.0]]),
        np.array([[1.0], [2.0]]),
        np.zeros((2, 1), bool),
        np.array([3.0]),
        gamma=0.5,
        lam=0.5,
        chunk_end=fixed_chunks(2, 1, horizon),
    )
    np.testing.assert_allclose(adv[:, 0], expected)


def test_gae_does_not_bootstrap_across_done():
    adv, _ = chunked_gae(
        np.array([[1.0], [0.0]]),
        np.array([[0.0], [100.0]]),
        np.array([[True], [False]]),
        np.array([0.0]),
        gamma=0.9,
        lam=0.9,
        chunk_end=fixed_chunks(2, 1, 2),
    )
    assert adv[0, 0] == pytest.approx(1.0)  # value 100 of the next episode is not seen


@pytest.mark.parametrize("seq_len", [1, 4, 8])
def test_sequences_cover_every_transition_once_in_time_order(seq_len):
    rng = np.random.default_rng(seq_len)
    steps, workers = 128, 8
    starts = rng.random((steps, workers)) < 0.05
    starts[0] = True
    seqs = sequence_index(starts, seq_len)
    real = seqs[seqs != PAD]
    assert sorted(real.tolist()) == list(range(steps * workers))
    for row in seqs:
        idx = row[row != PAD]
        assert (row[: len(idx)] == idx).all(), "padding only at the tail"
        assert len({i % workers for i in idx}) == 1, "one worker per sequence"
        assert (np.diff(idx // workers) == 1).all(), "consecutive time steps"
        assert not starts[idx[1:] // workers, idx[1:] % workers].any(), "no episode start inside"
    for batch_seed in range(3):
        batches = minibatches(seqs, 4, np.random.default_rng(batch_seed), workers)
        assert len(batches) == 4
        flat = np.concatenate([b.ravel() for b in batches])
        assert sorted(flat[flat != PAD].tolist()) == list(range(steps * workers))


def test_sequence_padding_counts_hand_computed():
    # One worker, 10 steps, new episode at t=6, seq_len 4: segments 6 and 4 -> 8 + 4 slots.
    starts = np.zeros((10, 1), bool)
    starts[[0, 6], 0] = True
    seqs = sequence_index(starts, 4)
    assert seqs.tolist() == [[0, 1, 2, 3], [4, 5, PAD, PAD], [6, 7, 8, 9]]


def test_feedforward_minibatches_hold_memory_size_over_batches_transitions():
    starts = np.zeros((128, 8), bool)
    batches = minibatches(sequence_index(starts, 1), 4, np.random.default_rng(0), 8)
    assert [b.size for b in batches] == [256] * 4
    for batch in batches:  # lockstep: each time step comes with all 8 workers
        times = batch.ravel() // 8
        assert all((times == t).sum() == 8 for t in np.unique(times))


def test_lockstep_recurrent_minibatches_keep_workers_of_a_slot_together():
    starts = np.zeros((128, 8), bool)
    starts[[0, 100]] = True  # all workers start episodes together (warehouse)
    seqs = sequence_index(starts, 8)
    batches = minibatches(seqs, 4, np.random.default_rng(1), 8)
    for batch in batches:
        first_steps = batch[:, 0]
        for t in np.unique(first_steps // 8):
            assert sorted(first_steps[first_steps // 8 == t] % 8) == list(range(8))


def _loss_inputs(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        logits=torch.randn(n, 4, generator=g, requires_grad=True),
        values=torch.randn(n, generator=g, requires_grad=True),
        actions=torch.randint(0, 4, (n,), generator=g),
        old_log_probs=torch.randn(n, generator=g).clamp(max=-0.1),
        old_values=torch.randn(n, generator=g),
        advantages=torch.randn(n, generator=g),
        returns=torch.randn(n, generator=g),
    )


def test_mask_removes_padding_from_every_loss_term():
    real = _loss_inputs(6)
    junk = _loss_inputs(3, seed=1)
    padded = {
        k: torch.cat([real[k].detach(), junk[k].detach() * (1 if k == "actions" else 1000)])
        for k in real
    }
    mask = torch.cat([torch.ones(6), torch.zeros(3)])
    kw = dict(epsilon=0.1, c1=1.0, beta=0.01)
    a = ppo_loss(**real, mask=torch.ones(6), **kw)
    b = ppo_loss(**padded, mask=mask, **kw)
    assert a.total.item() == pytest.approx(b.total.item(), rel=1e-6)
    a, b = a.summary(), b.summary()
    for key in ("policy", "value", "entropy", "clip_fraction"):
        assert a[key] == pytest.approx(b[key], rel=1e-6), key


def test_loss_matches_hand_computation():
    # Two actions, uniform policy: entropy = ln 2, log pi(a) = -ln 2.
    logits = torch.zeros(1, 2)
    lp = -np.log(2.0)
    terms = ppo_loss(
        logits,
        torch.tensor([1.5]),
        torch.tensor([0]),
        torch.tensor([lp - 0.5]),
        torch.tensor([1.0]),
        torch.tensor([2.0]),
        torch.tensor([3.0]),
        torch.ones(1),
        epsilon=0.1,
        c1=1.0,
        beta=0.01,
    )
    ratio = np.exp(0.5)  # clipped to 1.1 with positive advantage
    surrogate = min(ratio * 2.0, 1.1 * 2.0)
    v_clip = 1.0 + 0.1  # 1.5 clipped to old 1.0 + eps
    value = max((3.0 - 1.5) ** 2, (3.0 - v_clip) ** 2)  # no 0.5 factor
    expected = -surrogate + value - 0.01 * np.log(2.0)
    assert terms.total.item() == pytest.approx(expected, rel=1e-6)
    summary = terms.summary()
    assert summary["value"] == pytest.approx(value)
    assert summary["policy"] == pytest.approx(-surrogate, rel=1e-6)
    assert summary["entropy"] == pytest.approx(np.log(2.0), rel=1e-6)
    assert summary["clip_fraction"] == 1.0  # |e^0.5 - 1| > 0.1
    assert summary["approx_kl"] == pytest.approx((ratio - 1.0) - 0.5, rel=1e-6)


def test_linear_decay_endpoints():
    assert linear_decay(2.5e-4, 0.0, 0.0) == 2.5e-4
    assert linear_decay(2.5e-4, 0.0, 0.5) == pytest.approx(1.25e-4)
    assert linear_decay(2.5e-4, 0.0, 1.0) == 0.0


def test_default_config_is_the_original_protocol_and_deviations_are_named():
    cfg = PPOConfig()
    assert (cfg.num_workers, cfg.memory_size, cfg.batch_size, cfg.num_epoch) == (8, 128, 32, 3)
    assert cfg.num_minibatches == 4 and cfg.transitions_per_update == 1024
    assert deviations(cfg) == {}
    changed = PPOConfig(normalize_advantages=True, max_grad_norm=0.5, time_horizon=128)
    assert deviations(changed) == {
        "normalize_advantages": (True, False),
        "max_grad_norm": (0.5, None),
    }


def test_bad_ppo_values_are_named():
    with pytest.raises(ValueError, match="batch_size"):
        PPOConfig(batch_size=30)
    with pytest.raises(ValueError, match="unknown PPO key.*lamda"):
        PPOConfig.from_dict({"lamda": 0.9})
