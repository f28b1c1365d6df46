"""Policies (spec/models.md): parameter counts, d-set isolation, the state protocol, the cells.

References are independent of the code under test: the spec's parameter table (hard-coded),
``torch.nn.LSTMCell``/``GRUCell`` and hand-written gate equations, and the model itself run step
by step versus over a whole sequence.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from iam_repro.config import load_experiment
from iam_repro.models import (
    FNNPolicy,
    IAMPolicy,
    LSTMPolicy,
    RecurrentCore,
    build_policy,
    count_parameters,
)

WAREHOUSE_DSET = [0, *range(49, 73)]
TRAFFIC_DSET = [13, 14, 28, 29]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # The pipeline trains on one thread; on a busy machine two threads make the orthogonal
    # init's QR and the small matmuls here many times slower (OpenMP oversubscription).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# (row of the spec table, spec, obs_dim, num_actions, parameters from spec/models.md)
SPEC_TABLE = [
    ("warehouse FNN (1 obs)", {"kind": "fnn", "frames": 1, "hidden": [640, 256]}, 73, 4, 211_841),
    ("warehouse FNN (8 obs)", {"kind": "fnn", "frames": 8, "hidden": [640, 256]}, 584, 4, 538_881),
    ("warehouse LSTM (as run)", {"kind": "lstm", "fc": [], "hidden": 256}, 73, 4, 339_201),
    ("warehouse LSTM_fc (intent)", {"kind": "lstm", "fc": [640], "hidden": 256}, 73, 4, 966_529),
    (
        "warehouse IAM",
        {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": WAREHOUSE_DSET},
        73,
        4,
        214_145,
    ),
    (
        "warehouse IAM_static",
        {"kind": "iam", "fnn": [576, 256], "memory": 64, "dset": "all"},
        73,
        4,
        226_433,
    ),
    ("traffic FNN (1 obs)", {"kind": "fnn", "hidden": [256, 64]}, 30, 2, 24_257),
    ("traffic FNN (32 obs)", {"kind": "fnn", "hidden": [256, 64]}, 960, 2, 262_337),
    ("traffic LSTM (as run)", {"kind": "lstm", "fc": [], "hidden": 128}, 30, 2, 81_793),
    ("traffic LSTM_fc (intent)", {"kind": "lstm", "fc": [256], "hidden": 128}, 30, 2, 205_185),
    (
        "traffic IAM",
        {"kind": "iam", "fnn": [248, 64], "memory": 8, "dset": TRAFFIC_DSET},
        30,
        2,
        23_945,
    ),
    (
        "traffic IAM_static",
        {"kind": "iam", "fnn": [248, 64], "memory": 8, "dset": "all"},
        30,
        2,
        24_777,
    ),
]


# --------------------------------------------------------------------------- parameter counts


@pytest.mark.parametrize(
    ("row", "spec", "obs_dim", "num_actions", "expected"),
    SPEC_TABLE,
    ids=[r[0] for r in SPEC_TABLE],
)
def test_parameter_count_matches_spec_table(row, spec, obs_dim, num_actions, expected):
    policy = build_policy(spec, obs_dim, num_actions)
    assert count_parameters(policy) == expected, row


def test_warehouse_iam_count_by_hand_from_shapes():
    # FNN 73->576->256 (no bias): 73*576 + 576*256 = 42,048 + 147,456 = 189,504
    # LSTM(25 -> 64), one bias:  4*(25+64+1)*64 = 23,040
    # heads on 256+64 = 320:     logits 320*4 = 1,280 (no bias); value 320 + 1 = 321
    # total 189,504 + 23,040 + 1,280 + 321 = 214,145
    by_hand = 73 * 576 + 576 * 256 + 4 * (25 + 64 + 1) * 64 + 320 * 4 + 320 + 1
    assert by_hand == 214_145
    policy = IAMPolicy(73, (576, 256), 64, WAREHOUSE_DSET, num_actions=4)
    shapes = {name: tuple(p.shape) for name, p in policy.named_parameters()}
    assert shapes == {
        "fnn.layers.0.weight": (576, 73),
        "fnn.layers.1.weight": (256, 576),
        "memory.weight_ih": (256, 25),
        "memory.weight_hh": (256, 64),
        "memory.bias": (256,),
        "heads.policy.weight": (4, 320),
        "heads.value.weight": (1, 320),
        "heads.value.bias": (1,),
    }


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_torch_convention_count_adds_torchs_second_bias(cell):
    policy = build_policy({"kind": "lstm", "fc": [256], "hidden": 128, "cell": cell}, 30, 2)
    torch_rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(256, 128)
    ours = sum(p.numel() for p in policy.core.parameters())
    gates = 4 if cell == "lstm" else 3
    assert ours == gates * (256 + 128 + 1) * 128  # the single-bias formula
    torch_count = sum(p.numel() for p in torch_rnn.parameters())
    assert count_parameters(policy, tf_convention=False) == (
        count_parameters(policy) - ours + torch_count
    )


# --------------------------------------------------------------------------- the cells


def _naive_lstm_step(x, h, c, w_ih, w_hh, b):
    """Textbook LSTM equations, float64, gates (i, f, g, o)."""
    z = x @ w_ih.T + h @ w_hh.T + b
    zi, zf, zg, zo = z.chunk(4, 1)
    i, f, g, o = torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)
    c = f * c + i * g
    return o * torch.tanh(c), c


def _random_core(cell, impl, in_size=5, hidden=7, seed=0):
    torch.manual_seed(seed)
    core = RecurrentCore(in_size, hidden, cell, impl=impl)
    with torch.no_grad():
        core.bias.normal_()  # the zero/one init would hide a misplaced bias
    return core


@pytest.mark.parametrize("impl", ["loop", "fused"])
def test_lstm_core_matches_torch_lstmcell_and_gate_equations(impl):
    core = _random_core("lstm", impl)
    ref = nn.LSTMCell(5, 7)
    with torch.no_grad():
        ref.weight_ih.copy_(core.weight_ih)
        ref.weight_hh.copy_(core.weight_hh)
        ref.bias_ih.copy_(core.bias)
        ref.bias_hh.zero_()
    T, B = 6, 3
    x = torch.randn(T, B, 5)
    h0, c0 = torch.randn(B, 7), torch.randn(B, 7)
    out, (h, c) = core(x, (h0, c0), None)

    rh, rc = h0, c0
    nh, nc = h0.double(), c0.double()
    w = [t.detach().double() for t in (core.weight_ih, core.weight_hh, core.bias)]
    for t in range(T):
        rh, rc = ref(x[t], (rh, rc))
        nh, nc = _naive_lstm_step(x[t].double(), nh, nc, *w)
        torch.testing.assert_close(out[t], rh, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(out[t].double(), nh, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(h, rh, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(c, rc, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(c.double(), nc, atol=1e-6, rtol=1e-5)

    state = (h0, c0)  # one step per call (the rollout path)
    for t in range(T):
        step, state = core(x[t : t + 1], state, None)
        torch.testing.assert_close(step[0], out[t], atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(state[1], rc, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("impl", ["loop", "fused"])
def test_gru_core_matches_torch_grucell_with_zero_hidden_bias(impl):
    core = _random_core("gru", impl)
    ref = nn.GRUCell(5, 7)
    with torch.no_grad():
        ref.weight_ih.copy_(core.weight_ih)
        ref.weight_hh.copy_(core.weight_hh)
        ref.bias_ih.copy_(core.bias)
        ref.bias_hh.zero_()
    x = torch.randn(6, 3, 5)
    h0 = torch.randn(3, 7)
    out, (h,) = core(x, (h0,), None)
    rh = h0
    state = (h0,)
    for t in range(6):
        rh = ref(x[t], rh)
        torch.testing.assert_close(out[t], rh, atol=1e-6, rtol=1e-5)
        step, state = core(x[t : t + 1], state, None)  # one step per call (the rollout path)
        torch.testing.assert_close(step[0], rh, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(h, rh, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_loop_and_fused_agree_with_resets_including_gradients(cell):
    loop, fused = _random_core(cell, "loop"), _random_core(cell, "fused")
    fused.load_state_dict(loop.state_dict())
    T, B = 9, 4
    x = torch.randn(T, B, 5)
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[0, 1] = starts[4, 0] = starts[4, 2] = starts[7, 3] = True
    state = tuple(torch.randn(B, 7) for _ in range(loop.num_state_tensors))
    results = []
    for core in (loop, fused):
        out, new = core(x, state, starts)
        (out.pow(2).sum() + sum(s.sum() for s in new)).backward()
        results.append((out, new, [p.grad.clone() for p in core.parameters()]))
    (o1, s1, g1), (o2, s2, g2) = results
    torch.testing.assert_close(o1, o2, atol=1e-5, rtol=1e-5)
    with torch.no_grad():  # the fused kernel runs in inference mode here
        torch.testing.assert_close(fused(x, state, starts)[0], o1, atol=1e-5, rtol=1e-5)
    for a, b in zip(s1, s2, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    for a, b in zip(g1, g2, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_initialisation_follows_the_original_tensorflow_defaults():
    torch.manual_seed(0)
    policy = LSTMPolicy(300, (400,), 200, num_actions=300)
    # policy head: truncated normal (2 sigma), sigma = sqrt(1.3 * 0.01 / fan_in); no bias
    w_pi = policy.heads.policy.weight
    sigma = math.sqrt(1.3 * 0.01 / 200)
    assert w_pi.abs().max() <= 2 * sigma
    assert w_pi.std().item() == pytest.approx(0.8796 * sigma, rel=0.03)  # std of N cut at 2 sd
    assert policy.heads.policy.bias is None
    # value head and trunk: Glorot-uniform U(-a, a), a = sqrt(6 / (fan_in + fan_out))
    assert torch.equal(policy.heads.value.bias, torch.zeros(1))
    assert all(layer.bias is None for layer in policy.trunk.layers)
    w = policy.trunk.layers[0].weight  # (400, 300)
    bound = math.sqrt(6 / (300 + 400))
    assert w.abs().max() <= bound and w.abs().max() > 0.99 * bound
    assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    # recurrent kernel: one Glorot matrix of shape (in + hidden, 4 * hidden), split in two
    core_bound = math.sqrt(6 / ((400 + 200) + 4 * 200))
    for weight in (policy.core.weight_ih, policy.core.weight_hh):
        assert weight.abs().max() <= core_bound and weight.abs().max() > 0.99 * core_bound
    expected_bias = torch.zeros(800)
    expected_bias[200:400] = 1.0  # forget block = TF BasicLSTMCell's forget_bias
    assert torch.equal(policy.core.bias.detach(), expected_bias)


# --------------------------------------------------------------------------- the protocol


def _small_models():
    torch.manual_seed(1)
    return {
        "fnn": FNNPolicy(11, (16, 8), num_actions=3),
        "lstm": LSTMPolicy(11, (16,), 6, num_actions=3),
        "lstm-loop": LSTMPolicy(11, (16,), 6, num_actions=3, impl="loop"),
        "gru": LSTMPolicy(11, (16,), 6, num_actions=3, cell="gru"),
        "iam": IAMPolicy(11, (16, 8), 5, [0, 3, 4, 9], num_actions=3),
        "iam-fused": IAMPolicy(11, (16, 8), 5, [0, 3, 4, 9], num_actions=3, impl="fused"),
        "iam-gru": IAMPolicy(11, (16, 8), 5, [0, 3, 4, 9], num_actions=3, cell="gru"),
        "iam_static": IAMPolicy(11, (16, 8), 5, None, num_actions=3),
    }


SMALL = list(_small_models())


def _randomise(policy):
    # Non-trivial biases and a non-tiny logits head, so that every term shows in the outputs.
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return policy


@pytest.mark.parametrize("name", SMALL)
def test_sequence_forward_equals_chained_single_steps(name):
    policy = _randomise(_small_models()[name])
    T, B = 8, 4
    obs = torch.randn(T, B, 11)
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[0, 2] = starts[3, 0] = starts[3, 1] = starts[6, 3] = True
    state = tuple(torch.randn_like(s) for s in policy.initial_state(B))

    logits, value, final = policy(obs, state, starts)
    assert logits.shape == (T, B, 3) and value.shape == (T, B)

    s = state
    for t in range(T):
        lt, vt, s = policy(obs[t : t + 1], s, starts[t : t + 1].float())  # float flags too
        torch.testing.assert_close(lt[0], logits[t], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(vt[0], value[t], atol=1e-5, rtol=1e-5)
    assert len(s) == len(final) == (0 if name == "fnn" else 2 if "gru" not in name else 1)
    for a, b in zip(s, final, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", SMALL)
def test_rollout_step_is_the_one_step_forward_bit_for_bit(name):
    """`step` (the rollout's lean call) must give exactly forward(obs[None], state, None):
    rollouts store its log-probabilities and values, which the update compares with its own
    forward passes, and results are checked byte for byte across versions."""
    policy = _randomise(_small_models()[name])
    B = 5
    obs = torch.randn(B, 11)
    state = tuple(torch.randn_like(s) for s in policy.initial_state(B))
    for context in (torch.inference_mode, torch.enable_grad):  # the rollout, and a plain call
        with context():
            logits, value, after = policy.step(obs, state)
            ref_logits, ref_value, ref_after = policy(obs[None], state, None)
        assert logits.shape == (B, 3) and value.shape == (B,)
        assert torch.equal(logits, ref_logits[0]) and torch.equal(value, ref_value[0])
        assert len(after) == len(ref_after) == len(state)
        for a, b in zip(after, ref_after, strict=True):
            assert torch.equal(a, b)


@pytest.mark.parametrize("name", [n for n in SMALL if n != "fnn"])
def test_episode_start_zeroes_the_state(name):
    policy = _randomise(_small_models()[name])
    T, B, k = 6, 3, 2
    obs = torch.randn(T, B, 11)
    junk = tuple(5 * torch.randn_like(s) for s in policy.initial_state(B))
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[0] = True
    fresh = policy(obs, policy.initial_state(B), None)
    reset = policy(obs, junk, starts)
    for a, b in zip(fresh[:2], reset[:2], strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)

    # A start in the middle for sequence 1 only: from step k it is as if begun from zeros there.
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[k, 1] = True
    logits, value, _ = policy(obs, junk, starts)
    fresh_logits, fresh_value, _ = policy(obs[k:, 1:2], policy.initial_state(1), None)
    torch.testing.assert_close(logits[k:, 1:2], fresh_logits, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(value[k:, 1:2], fresh_value, atol=1e-6, rtol=1e-6)
    # ... while the other sequences still depend on the junk state.
    no_reset = policy(obs, junk, None)
    torch.testing.assert_close(value[:, [0, 2]], no_reset[1][:, [0, 2]], atol=1e-6, rtol=1e-6)
    assert not torch.allclose(value[k:, 1], no_reset[1][k:, 1], atol=1e-3)


def test_recurrent_state_carries_information_across_calls():
    # Guard for the tests above: without memory they would pass trivially.
    policy = _randomise(_small_models()["lstm"])
    obs = torch.randn(1, 2, 11)
    _, v1, _ = policy(obs, policy.initial_state(2), None)
    _, v2, _ = policy(obs, tuple(torch.randn(2, 6) for _ in range(2)), None)
    assert not torch.allclose(v1, v2, atol=1e-3)


def test_fnn_accepts_flattened_batches_and_ignores_state():
    policy = _randomise(_small_models()["fnn"])
    obs = torch.randn(4, 5, 11)
    logits, value, state = policy(obs, (), None)
    flat_logits, flat_value, _ = policy(obs.reshape(1, 20, 11), (), torch.ones(1, 20))
    torch.testing.assert_close(flat_logits.reshape(4, 5, 3), logits)
    torch.testing.assert_close(flat_value.reshape(4, 5), value)
    assert state == () and policy.initial_state(7) == () and not policy.is_recurrent


@pytest.mark.parametrize("impl", ["loop", "fused"])
def test_shape_mistakes_are_clear_errors(impl):
    # torch.lstm does not check shapes itself (a wrong batch corrupts the heap).
    policy = IAMPolicy(11, (16, 8), 5, [0, 3, 4, 9], num_actions=3, impl=impl)
    state = policy.initial_state(2)
    with pytest.raises(ValueError, match=r"obs_dim=11, got shape \(3, 2, 12\)"):
        policy(torch.zeros(3, 2, 12), state, None)
    with pytest.raises(ValueError, match=r"\(T, B, obs_dim\)"):
        policy(torch.zeros(2, 11), state, None)
    with pytest.raises(ValueError, match=r"shape \(3, 5\), got \[\(2, 5\), \(2, 5\)\]"):
        policy(torch.zeros(4, 3, 11), state, None)
    with pytest.raises(ValueError, match=r"episode_start must have shape \(4, 2\)"):
        policy(torch.zeros(4, 2, 11), state, torch.zeros(2, 4))


# --------------------------------------------------------------------------- d-set isolation


@pytest.mark.parametrize("name", ["iam", "iam-fused", "iam-gru"])
def test_iam_memory_gradient_is_exactly_zero_outside_the_dset(name):
    policy = _randomise(_small_models()[name])
    dset = [0, 3, 4, 9]
    others = [i for i in range(11) if i not in dset]
    obs = torch.randn(5, 3, 11, requires_grad=True)
    _, _, state = policy(obs, policy.initial_state(3), None)
    weights = [torch.randn_like(s) for s in state]
    sum((w * s).sum() for w, s in zip(weights, state, strict=True)).backward()
    assert torch.equal(obs.grad[..., others], torch.zeros(5, 3, len(others)))
    assert (obs.grad[..., dset].abs().sum(dim=(0, 1)) > 0).all()


def test_iam_static_memory_sees_every_input():
    policy = _randomise(_small_models()["iam_static"])
    obs = torch.randn(5, 3, 11, requires_grad=True)
    _, _, state = policy(obs, policy.initial_state(3), None)
    sum(s.sum() for s in state).backward()
    assert (obs.grad.abs().sum(dim=(0, 1)) > 0).all()


@pytest.mark.parametrize("name", ["iam", "iam-fused"])
def test_iam_earlier_non_dset_inputs_do_not_reach_later_outputs(name):
    policy = _randomise(_small_models()[name])
    T, B = 6, 3
    obs = torch.randn(T, B, 11)
    base = policy(obs, policy.initial_state(B), None)

    def run_with(index):
        changed = obs.clone()
        changed[: T - 1, :, index] += 3.0  # every step but the last
        return policy(changed, policy.initial_state(B), None)

    for index in (1, 2, 10):  # outside the d-set: last step's outputs and state unchanged
        logits, value, state = run_with(index)
        torch.testing.assert_close(logits[-1], base[0][-1], atol=1e-6, rtol=0)
        torch.testing.assert_close(value[-1], base[1][-1], atol=1e-6, rtol=0)
        for a, b in zip(state, base[2], strict=True):
            torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
        assert not torch.allclose(value[0], base[1][0])  # the FNN branch does see it
    for index in (0, 9):  # inside the d-set: remembered
        logits, value, state = run_with(index)
        assert (value[-1] - base[1][-1]).abs().max() > 1e-3
        assert (state[0] - base[2][0]).abs().max() > 1e-3

    # IAM_static remembers everything.
    static = _randomise(_small_models()["iam_static"])
    base = static(obs, static.initial_state(B), None)
    changed = obs.clone()
    changed[: T - 1, :, 1] += 3.0
    _, value, _ = static(changed, static.initial_state(B), None)
    assert (value[-1] - base[1][-1]).abs().max() > 1e-3


# --------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("spec", "obs_dim", "message"),
    [
        ({"kind": "transformer"}, 73, r"unknown kind 'transformer'; known kinds: fnn, lstm, iam"),
        ({"hidden": [64]}, 73, r"unknown kind None"),
        ({"kind": "fnn", "hidden": [64], "hiden": 3}, 73, r"unknown key\(s\) 'hiden'.*hidden"),
        ({"kind": "lstm", "fc": [64]}, 73, r"missing key\(s\) 'hidden'"),
        ({"kind": "lstm", "fc": [64], "hidden": 0}, 73, r"'hidden' must be a positive integer"),
        ({"kind": "fnn", "hidden": 64}, 73, r"'hidden' must be a list of integers"),
        ({"kind": "lstm", "fc": [64], "hidden": 8, "cell": "rnn"}, 73, r"unknown cell 'rnn'"),
        (
            {"kind": "iam", "fnn": [8], "memory": 4, "dset": [0, 49, 73]},
            73,
            r"dset index 73 \(dset\[2\]\) is out of range: valid indices are 0\.\.72",
        ),
        ({"kind": "iam", "fnn": [8], "memory": 4, "dset": [-1]}, 73, r"dset index -1"),
        ({"kind": "iam", "fnn": [8], "memory": 4, "dset": [5, 5]}, 73, r"5 appears more than"),
        ({"kind": "iam", "fnn": [8], "memory": 4, "dset": []}, 73, r"dset is empty"),
        ({"kind": "iam", "fnn": [8], "memory": 4, "dset": "none"}, 73, r"or 'all'"),
    ],
)
def test_bad_specs_name_the_problem(spec, obs_dim, message):
    with pytest.raises(ValueError, match=message):
        build_policy(spec, obs_dim, 4)


def test_trainer_keys_are_accepted_and_gru_is_an_option():
    spec = {"kind": "iam", "fnn": [8], "memory": 4, "dset": [0, 2], "ppo": {"seq_len": 8}}
    policy = build_policy({**spec, "frames": 1, "cell": "gru"}, 5, 2)
    assert policy.memory.cell == "gru" and policy.dset == (0, 2)
    # GRU, single bias: 3 * (in + H + 1) * H
    assert sum(p.numel() for p in policy.memory.parameters()) == 3 * (2 + 4 + 1) * 4


EXPERIMENTS_DIR = Path(__file__).resolve().parents[2] / "config" / "experiments"

# The shipped experiment files build the spec table's architectures: (experiment, model) ->
# (observation width of one frame, actions, parameters from spec/models.md).
SHIPPED_MODELS = {
    ("warehouse", "FNN1"): (73, 4, 211_841),
    ("warehouse", "FNN8"): (73, 4, 538_881),
    # LSTM (one bias) 4*(in+H+1)*H + heads H*A + H + 1; LSTM_fc adds the FC's obs*fc weights.
    ("warehouse", "LSTM"): (73, 4, 339_201),  # 4*(73+256+1)*256 + 1,024 + 257
    ("warehouse", "LSTM_fc"): (73, 4, 966_529),  # 73*640 + 4*(640+256+1)*256 + 1,281
    ("warehouse", "IAM"): (73, 4, 214_145),
    ("warehouse", "IAM_static"): (73, 4, 226_433),
    ("traffic", "FNN1"): (30, 2, 24_257),
    ("traffic", "FNN32"): (30, 2, 262_337),
    ("traffic", "LSTM"): (30, 2, 81_793),  # 4*(30+128+1)*128 + 256 + 129
    ("traffic", "LSTM_fc"): (30, 2, 205_185),  # 30*256 + 4*(256+128+1)*128 + 385
    ("traffic", "IAM"): (30, 2, 23_945),
    ("traffic", "IAM_static"): (30, 2, 24_777),
}


@pytest.mark.parametrize(
    ("experiment", "model"), list(SHIPPED_MODELS), ids=[f"{e} {m}" for e, m in SHIPPED_MODELS]
)
def test_shipped_experiment_models_have_the_spec_parameter_counts(experiment, model):
    exp = load_experiment(EXPERIMENTS_DIR / f"{experiment}.yaml")
    assert set(exp.model_names) == {m for e, m in SHIPPED_MODELS if e == experiment}
    spec = exp.resolve(model, "paper", 0)["model"]
    obs_dim, num_actions, expected = SHIPPED_MODELS[(experiment, model)]
    policy = build_policy(spec, obs_dim * spec["frames"], num_actions)
    assert count_parameters(policy) == expected


# Per experiment: (observation width, actions, LSTM hidden size, LSTM_fc's FC width).
LSTM_SIZES = {"warehouse": (73, 4, 256, 640), "traffic": (30, 2, 128, 256)}


@pytest.mark.parametrize("experiment", list(LSTM_SIZES))
def test_shipped_lstm_feeds_the_observation_to_the_cell_and_lstm_fc_an_fc_layer(experiment):
    # spec/models.md, notes: the original overwrote its FC output with the observation, so the
    # paper's LSTM is obs -> LSTM (no FC weights at all); LSTM_fc is FC -> LSTM.
    obs, actions, hidden, fc = LSTM_SIZES[experiment]
    exp = load_experiment(EXPERIMENTS_DIR / f"{experiment}.yaml")
    heads = {
        "heads.policy.weight": (actions, hidden),
        "heads.value.weight": (1, hidden),
        "heads.value.bias": (1,),
    }

    def shapes(model):
        policy = build_policy(exp.resolve(model, "paper", 0)["model"], obs, actions)
        return {name: tuple(p.shape) for name, p in policy.named_parameters()}

    assert shapes("LSTM") == {
        "core.weight_ih": (4 * hidden, obs),  # the cell's input width is the observation's
        "core.weight_hh": (4 * hidden, hidden),
        "core.bias": (4 * hidden,),
        **heads,
    }
    assert shapes("LSTM_fc") == {
        "trunk.layers.0.weight": (fc, obs),
        "core.weight_ih": (4 * hidden, fc),
        "core.weight_hh": (4 * hidden, hidden),
        "core.bias": (4 * hidden,),
        **heads,
    }


def test_traffic_iam_count_by_hand_from_shapes():
    # FNN 30->248->64 (no bias): 30*248 + 248*64 = 7,440 + 15,872 = 23,312
    # LSTM(4 -> 8), one bias:    4*(4+8+1)*8 = 416
    # heads on 64+8 = 72:        logits 72*2 = 144 (no bias); value 72 + 1 = 73
    by_hand = 30 * 248 + 248 * 64 + 4 * (4 + 8 + 1) * 8 + 72 * 2 + 72 + 1
    assert by_hand == 23_945
    policy = IAMPolicy(30, (248, 64), 8, TRAFFIC_DSET, num_actions=2)
    assert count_parameters(policy) == by_hand
