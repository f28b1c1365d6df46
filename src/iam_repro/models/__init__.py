"""Policies compared in the paper (spec/models.md), all behind one protocol (`Policy`).

``forward(obs (T, B, obs_dim), state, episode_start (T, B)) -> (logits (T, B, A), value (T, B),
new_state)``; ``initial_state(batch)`` gives zeros. Build from config with `build_policy`.
"""

from iam_repro.models.base import Policy, State
from iam_repro.models.factory import MODEL_KEYS, TRAINER_KEYS, build_policy, count_parameters
from iam_repro.models.layers import MLP, PolicyValueHeads, RecurrentCore
from iam_repro.models.policies import FNNPolicy, IAMPolicy, LSTMPolicy, validate_dset

__all__ = [
    "MLP",
    "MODEL_KEYS",
    "TRAINER_KEYS",
    "FNNPolicy",
    "IAMPolicy",
    "LSTMPolicy",
    "Policy",
    "PolicyValueHeads",
    "RecurrentCore",
    "State",
    "build_policy",
    "count_parameters",
    "validate_dset",
]
