"""Policies compared in the paper (spec/models.md), all behind one protocol (`Policy`).

``forward(obs (T, B, obs_dim), state, episode_start (T, B)) -> (logits (T, B, A), value (T, B),
new_state)``; ``initial_state(batch)`` gives zeros. Build from config with `build_policy`.
Image observations (Atari) go through a conv trunk (`ConvTrunk`): `ConvPolicy` (FNN, LSTM,
IAM_static on the conv map) and `AttentionIAMPolicy` (IAM with spatial attention).
"""

from iam_repro.models.attention import AttentionMemory, SpatialAttention
from iam_repro.models.base import Policy, State
from iam_repro.models.conv import NATURE_CNN, ConvTrunk
from iam_repro.models.factory import (
    IMAGE_KEYS,
    MODEL_KEYS,
    TRAINER_KEYS,
    build_policy,
    count_parameters,
)
from iam_repro.models.image_policies import AttentionIAMPolicy, ConvPolicy
from iam_repro.models.layers import MLP, PolicyValueHeads, RecurrentCore
from iam_repro.models.policies import FNNPolicy, IAMPolicy, LSTMPolicy, validate_dset

__all__ = [
    "IMAGE_KEYS",
    "MLP",
    "MODEL_KEYS",
    "NATURE_CNN",
    "TRAINER_KEYS",
    "AttentionIAMPolicy",
    "AttentionMemory",
    "ConvPolicy",
    "ConvTrunk",
    "FNNPolicy",
    "IAMPolicy",
    "LSTMPolicy",
    "Policy",
    "PolicyValueHeads",
    "RecurrentCore",
    "SpatialAttention",
    "State",
    "build_policy",
    "count_parameters",
    "validate_dset",
]
