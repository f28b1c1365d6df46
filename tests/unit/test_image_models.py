"""Image policies for Flickering Atari (spec/models.md, atari rows and note "Atari attention").

References independent of the code under test: the spec's parameter table (hard-coded), a
hand-written float64 attention step (NCHW -> NHWC regions, ``torch.nn.LSTMCell``), the models
run step by step versus over a whole sequence, and pixels scaled by hand.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from iam_repro.models import (
    AttentionIAMPolicy,
    ConvPolicy,
    ConvTrunk,
    build_policy,
    count_parameters,
)

NATURE = [[32, 8, 4], [64, 4, 2], [64, 3, 1]]
SMALL_CONV = [[6, 8, 4], [8, 4, 2], [8, 3, 1]]  # on 52x52 frames: 8 x 3 x 3, 9 regions
SMALL_FRAME = (52, 52)


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def atari_specs(conv=NATURE, scale=False):
    """name -> (spec, frames), the spec table's Atari models."""
    extra = {"scale_pixels": True} if scale else {}
    return {
        "FNN": ({"kind": "fnn", "conv": conv, "hidden": [512], "frames": 4, **extra}, 4),
        "LSTM": ({"kind": "lstm", "conv": conv, "fc": [], "hidden": 512, **extra}, 1),
        "IAM": (
            {
                "kind": "iam",
                "conv": conv,
                "fnn": [256],
                "memory": 16,
                "dset": "attention",
                "attention": 32,
                **extra,
            },
            1,
        ),
        "IAM_static": (
            {"kind": "iam", "conv": conv, "fnn": [256], "memory": 256, "dset": "all", **extra},
            1,
        ),
    }


def build(name, frame=(84, 84), conv=NATURE, scale=False, num_actions=4, seed=0):
    spec, frames = atari_specs(conv, scale)[name]
    torch.manual_seed(seed)
    return build_policy(
        spec, frames * frame[0] * frame[1], num_actions, frame_shape=frame, frames=frames
    )


def small(name, scale=False, seed=0):
    """A fast stand-in with the same structure: small conv on 52x52 frames, 3 actions."""
    policy = build(name, SMALL_FRAME, SMALL_CONV, scale, num_actions=3, seed=seed)
    with torch.no_grad():  # non-trivial biases and logits, so every term shows in the outputs
        for p in policy.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return policy


def pixels(*shape, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=gen)


RECURRENT = ["LSTM", "IAM", "IAM_static"]


# --------------------------------------------------------------------------- parameter counts

SPEC_COUNTS = {"FNN": 1_686_177, "LSTM": 7_547_553, "IAM": 886_929, "IAM_static": 4_351_649}


@pytest.mark.parametrize("name", list(SPEC_COUNTS))
def test_breakout_parameter_counts_match_the_spec_table(name):
    assert count_parameters(build(name)) == SPEC_COUNTS[name]


def test_iam_attention_count_by_hand_from_shapes():
    # conv on 1 frame (bias): 32*1*64+32 + 64*32*16+64 + 64*64*9+64 = 71,840
    # FC 3136 -> 256 (no bias): 802,816
    # attention (no bias): 64*32 + 16*32 + 32 = 2,592
    # LSTM(49 + 64 = 113 -> 16), one bias: 4*(113+16+1)*16 = 8,320
    # heads on 256+16 = 272: logits 272*4 = 1,088; value 272 + 1 = 273
    by_hand = 71_840 + 3136 * 256 + 2_592 + 4 * (113 + 16 + 1) * 16 + 272 * 4 + 273
    assert by_hand == 886_929
    shapes = {n: tuple(p.shape) for n, p in build("IAM").named_parameters()}
    assert shapes == {
        "conv.layers.0.weight": (32, 1, 8, 8),
        "conv.layers.0.bias": (32,),
        "conv.layers.1.weight": (64, 32, 4, 4),
        "conv.layers.1.bias": (64,),
        "conv.layers.2.weight": (64, 64, 3, 3),
        "conv.layers.2.bias": (64,),
        "fnn.layers.0.weight": (256, 3136),
        "memory.attention.region_proj.weight": (32, 64),
        "memory.attention.state_proj.weight": (32, 16),
        "memory.attention.score.weight": (1, 32),
        "memory.core.weight_ih": (64, 113),
        "memory.core.weight_hh": (64, 16),
        "memory.core.bias": (64,),
        "heads.policy.weight": (4, 272),
        "heads.value.weight": (1, 272),
        "heads.value.bias": (1,),
    }


def test_conv_and_attention_initialisation():
    policy = build("IAM")
    for conv in policy.conv.layers:  # tf.layers.conv2d: Glorot over k*k*in and k*k*out
        out_c, in_c, k, _ = conv.weight.shape
        bound = math.sqrt(6 / ((in_c + out_c) * k * k))
        w = conv.weight.abs().max().item()
        assert 0.98 * bound < w <= bound
        assert torch.equal(conv.bias.detach(), torch.zeros(out_c))
    attention = policy.memory.attention
    for layer in (attention.region_proj, attention.state_proj, attention.score):
        assert layer.bias is None
        out_f, in_f = layer.weight.shape
        assert layer.weight.abs().max().item() <= math.sqrt(6 / (in_f + out_f))


# --------------------------------------------------------------------------- shapes and protocol


@pytest.mark.parametrize("name", list(SPEC_COUNTS))
def test_full_size_output_and_state_shapes_from_uint8(name):
    policy = build(name)
    T, B = 2, 3
    obs = pixels(T, B, policy.obs_dim)
    state = policy.initial_state(B)
    with torch.no_grad():
        logits, value, new = policy(obs, state, torch.zeros(T, B, dtype=torch.bool))
    assert logits.shape == (T, B, 4) and value.shape == (T, B)
    assert logits.dtype == value.dtype == torch.float32
    assert torch.isfinite(logits).all() and torch.isfinite(value).all()
    hidden = {"FNN": None, "LSTM": 512, "IAM": 16, "IAM_static": 256}[name]
    assert policy.is_recurrent == (hidden is not None)
    expected = () if hidden is None else ((B, hidden), (B, hidden))
    assert tuple(tuple(s.shape) for s in state) == expected
    assert tuple(tuple(s.shape) for s in new) == expected
    if name == "IAM":
        assert isinstance(policy, AttentionIAMPolicy)
        assert policy.last_attention.shape == (T, B, 49)
    else:
        assert isinstance(policy, ConvPolicy)


def test_fnn_accepts_any_leading_dims_and_ignores_state():
    policy = small("FNN")
    obs = pixels(3, 2, policy.obs_dim)
    logits, value, state = policy(obs, (), None)
    flat_logits, flat_value, _ = policy(obs.reshape(6, policy.obs_dim))
    torch.testing.assert_close(flat_logits.view(3, 2, 3), logits)
    torch.testing.assert_close(flat_value.view(3, 2), value)
    assert state == () and policy.initial_state(5) == ()


@pytest.mark.parametrize("name", RECURRENT)
def test_sequence_forward_equals_chained_single_steps(name):
    policy = small(name)
    T, B = 6, 3
    obs = pixels(T, B, policy.obs_dim)
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[0, 1] = starts[2, 0] = starts[4, 2] = True
    state = tuple(torch.randn_like(s) for s in policy.initial_state(B))
    logits, value, final = policy(obs, state, starts)
    weights = policy.last_attention if name == "IAM" else None

    s = state
    for t in range(T):
        lt, vt, s = policy(obs[t : t + 1], s, starts[t : t + 1].float())  # float flags too
        torch.testing.assert_close(lt[0], logits[t], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(vt[0], value[t], atol=1e-5, rtol=1e-5)
        if weights is not None:
            torch.testing.assert_close(policy.last_attention[0], weights[t], atol=1e-6, rtol=0)
    for a, b in zip(s, final, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", RECURRENT)
def test_episode_start_zeroes_the_state(name):
    policy = small(name)
    T, B, k = 5, 3, 2
    obs = pixels(T, B, policy.obs_dim)
    junk = tuple(3 * torch.randn_like(s) for s in policy.initial_state(B))
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[0] = True
    fresh = policy(obs, policy.initial_state(B), None)
    reset = policy(obs, junk, starts)
    for a, b in zip(fresh[:2], reset[:2], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)

    # A start at step k for sequence 1 only: from k on as if begun from zeros there.
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[k, 1] = True
    _, value, _ = policy(obs, junk, starts)
    _, fresh_value, _ = policy(obs[k:, 1:2], policy.initial_state(1), None)
    # (unscaled 0-255 pixels make values of a few units: float32 rounding differs by batch)
    torch.testing.assert_close(value[k:, 1:2], fresh_value, atol=1e-5, rtol=1e-5)
    _, no_reset, _ = policy(obs, junk, None)
    torch.testing.assert_close(value[:, [0, 2]], no_reset[:, [0, 2]], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(value[k:, 1], no_reset[k:, 1], atol=1e-4)


# --------------------------------------------------------------------------- attention


def test_attention_weights_sum_to_one_and_depend_on_the_previous_state():
    policy = small("IAM")
    T, B = 3, 4
    obs = pixels(1, B, policy.obs_dim).expand(T, B, -1)  # the same image at every step
    policy(obs, policy.initial_state(B), None)
    w = policy.last_attention
    assert w.shape == (T, B, 9) and not w.requires_grad
    torch.testing.assert_close(w.sum(-1), torch.ones(T, B))
    assert (w > 0).all()
    # Same image, different h_{t-1} -> different weights (the state moved between steps) ...
    assert (w[1] - w[0]).abs().max() > 1e-4
    # ... and a different given state, for the same first image.
    policy(obs[:1], tuple(2 * torch.randn(B, 16) for _ in range(2)), None)
    assert (policy.last_attention[0] - w[0]).abs().max() > 1e-4
    # An episode start queries with h = 0, whatever state came in.
    policy(obs[:1], tuple(2 * torch.randn(B, 16) for _ in range(2)), torch.ones(1, B))
    torch.testing.assert_close(policy.last_attention[0], w[0], atol=1e-6, rtol=0)


def test_attention_step_matches_a_hand_written_reference():
    # One step in float64: regions are the NHWC map reshaped row-major (spec note), weights
    # softmax(v . tanh(W_r r + W_h h)), LSTM input concat(d, w), torch.nn.LSTMCell, one bias.
    policy = small("IAM").double()
    B = 3
    obs = pixels(1, B, policy.obs_dim)
    h0, c0 = torch.randn(B, 16, dtype=torch.float64), torch.randn(B, 16, dtype=torch.float64)
    logits, value, (h1, c1) = policy(obs, (h0, c0), None)

    att, core = policy.memory.attention, policy.memory.core
    fmap = policy.conv(obs[0])  # (B, C, H, W)
    regions = fmap.permute(0, 2, 3, 1).reshape(B, -1, fmap.shape[1])  # (B, 9, 8)
    context = torch.tanh(
        regions @ att.region_proj.weight.T + (h0 @ att.state_proj.weight.T)[:, None]
    )
    w = torch.softmax((context @ att.score.weight.T)[..., 0], dim=1)
    d = (w[..., None] * regions).sum(1)
    cell = nn.LSTMCell(d.shape[1] + w.shape[1], 16).double()
    with torch.no_grad():
        cell.weight_ih.copy_(core.weight_ih)
        cell.weight_hh.copy_(core.weight_hh)
        cell.bias_ih.copy_(core.bias)
        cell.bias_hh.zero_()
    rh, rc = cell(torch.cat((d, w), 1), (h0, c0))
    torch.testing.assert_close(policy.last_attention[0], w.detach())
    torch.testing.assert_close(h1, rh)
    torch.testing.assert_close(c1, rc)
    z = torch.cat((policy.fnn(fmap.flatten(1)), rh), 1)
    torch.testing.assert_close(logits[0], z @ policy.heads.policy.weight.T)


def test_every_attention_parameter_gets_a_gradient():
    policy = small("IAM")
    obs = pixels(4, 2, policy.obs_dim)
    logits, value, _ = policy(obs, policy.initial_state(2), None)
    (logits.square().sum() + value.sum()).backward()
    for name, p in policy.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


# --------------------------------------------------------------------------- pixels


@pytest.mark.parametrize("name", list(SPEC_COUNTS))
def test_pixels_are_unscaled_by_default_and_scale_pixels_divides_by_255(name):
    raw, scaled = small(name, seed=3), small(name, scale=True, seed=3)
    assert not raw.conv.scale_pixels and scaled.conv.scale_pixels
    B = 2
    obs = pixels(2, B, raw.obs_dim)
    state = raw.initial_state(B)
    out_uint8 = raw(obs, state, None)
    out_float = raw(obs.float(), state, None)  # float holding 0-255: the same model input
    out_scaled = scaled(obs, state, None)
    out_by_hand = raw(obs.float() / 255, state, None)
    for a, b, c, d in zip(
        out_uint8[:2], out_float[:2], out_scaled[:2], out_by_hand[:2], strict=True
    ):
        torch.testing.assert_close(a, b)
        torch.testing.assert_close(c, d, atol=1e-5, rtol=1e-5)
        assert not torch.allclose(a, c, atol=1e-3)


def test_frames_are_channels_newest_first_as_stacked():
    trunk = ConvTrunk(4, (84, 84))
    obs = torch.arange(4 * 84 * 84, dtype=torch.float32).view(1, -1)
    images = trunk.pixels(obs)
    assert images.shape == (1, 4, 84, 84)
    torch.testing.assert_close(images[0, 1], obs[0, 84 * 84 : 2 * 84 * 84].view(84, 84))


# --------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    ("spec", "kwargs", "message"),
    [
        ({"kind": "fnn", "conv": NATURE, "hidden": [512]}, {}, r"'conv' needs image observations"),
        ({"kind": "fnn", "hidden": [512]}, {"frame_shape": (84, 84)}, r"has no 'conv' trunk"),
        (
            {"kind": "lstm", "fc": [], "hidden": 8, "scale_pixels": True},
            {},
            r"'scale_pixels' needs a 'conv' trunk",
        ),
        (
            {"kind": "iam", "fnn": [8], "memory": 4, "dset": "attention", "attention": 8},
            {},
            r"dset 'attention' attends over a conv feature map",
        ),
        (
            {"kind": "iam", "conv": NATURE, "fnn": [8], "memory": 4, "dset": "attention"},
            {"frame_shape": (84, 84)},
            r"needs 'attention' \(units\)",
        ),
        (
            {"kind": "iam", "conv": NATURE, "fnn": [8], "memory": 4, "dset": "all", "attention": 8},
            {"frame_shape": (84, 84)},
            r"only used with dset 'attention'",
        ),
        (
            {"kind": "iam", "conv": NATURE, "fnn": [8], "memory": 4, "dset": [0, 1]},
            {"frame_shape": (84, 84)},
            r"dset must be 'all' \(IAM_static\) or 'attention'",
        ),
        (
            {"kind": "fnn", "conv": [[32, 8]], "hidden": [8]},
            {"frame_shape": (84, 84)},
            r"\[channels, kernel, stride\]",
        ),
        (
            {"kind": "fnn", "conv": [], "hidden": [8]},
            {"frame_shape": (84, 84)},
            r"non-empty list",
        ),
        (
            {"kind": "fnn", "conv": NATURE, "hidden": [8], "frames": 4},
            {"frame_shape": (84, 84)},
            r"'frames' is 4 but build_policy got frames=1",
        ),
        (
            {"kind": "fnn", "conv": NATURE, "hidden": [8], "scale_pixels": "yes"},
            {"frame_shape": (84, 84)},
            r"'scale_pixels' must be true or false",
        ),
        (
            {"kind": "fnn", "conv": NATURE, "hidden": [8]},
            {"frame_shape": (20, 20)},
            r"conv layer 2 \(kernel 3\) does not fit its 1x1 input",
        ),
    ],
)
def test_bad_image_specs_name_the_problem(spec, kwargs, message):
    frame = kwargs.get("frame_shape", (84, 84))
    with pytest.raises(ValueError, match=message):
        build_policy(spec, frame[0] * frame[1], 4, **kwargs)


def test_obs_dim_must_be_frames_times_frame_size():
    spec = {"kind": "fnn", "conv": NATURE, "hidden": [8], "frames": 4}
    with pytest.raises(ValueError, match=r"obs_dim=7056 is not .* 4 x 84 x 84 = 28224"):
        build_policy(spec, 84 * 84, 4, frame_shape=(84, 84), frames=4)
    policy = build("LSTM")
    with pytest.raises(ValueError, match=r"obs_dim=7056"):
        policy(pixels(2, 1, 7057), policy.initial_state(1), None)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", list(SPEC_COUNTS))
def test_cuda_matches_cpu_from_uint8_on_the_device(name):
    policy = small(name)
    T, B = 3, 2
    obs = pixels(T, B, policy.obs_dim)
    starts = torch.zeros(T, B, dtype=torch.bool)
    starts[1, 0] = True
    state = tuple(torch.randn_like(s) for s in policy.initial_state(B))
    cpu = policy(obs, state, starts)
    gpu = policy.to("cuda")(obs.cuda(), tuple(s.cuda() for s in state), starts.cuda())
    for a, b in zip(cpu[:2], gpu[:2], strict=True):
        torch.testing.assert_close(b.cpu(), a, atol=1e-4, rtol=1e-4)
    for a, b in zip(cpu[2], gpu[2], strict=True):
        torch.testing.assert_close(b.cpu(), a, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", ["FNN", "LSTM", "IAM", "IAM_static"])
def test_rollout_step_is_the_one_step_forward_bit_for_bit(name):
    """The image policies keep `Policy.step`'s default: exactly the one-step forward."""
    policy = small(name)
    obs = pixels(3, policy.obs_dim)
    state = policy.initial_state(3)
    with torch.inference_mode():
        logits, value, after = policy.step(obs, state)
        ref_logits, ref_value, ref_after = policy(obs[None], state, None)
    assert logits.shape == (3, 3) and value.shape == (3,)
    assert torch.equal(logits, ref_logits[0]) and torch.equal(value, ref_value[0])
    for a, b in zip(after, ref_after, strict=True):
        assert torch.equal(a, b)
