"""Linear decay of the learning rate and clip range over the training budget (spec/ppo.md)."""


def linear_decay(initial: float, final: float, progress: float) -> float:
    """Value after `progress` (0..1, clamped) of a linear decay from `initial` to `final`."""
    return initial + (final - initial) * min(max(progress, 0.0), 1.0)
