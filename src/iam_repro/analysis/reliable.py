"""Statistics across experiments, after Agarwal et al., "Deep RL at the Edge of the Statistical
Precipice" (NeurIPS 2021) and its library rliable: normalised scores, the interquartile mean,
probability of improvement, performance profiles and their stratified-bootstrap intervals.

Pure functions on arrays (numpy/scipy; rliable itself is not used: its bootstrap needs the
`arch` package, whose releases that rliable accepts do not import with the pinned pandas).

Vocabulary, as in rliable:

- A *task* is one experiment (warehouse, traffic, each Atari game with or without flicker).
- A *stratum* is the runs of one model role on one task: a 1-D array of per-run scores, shape
  ``(n_e,)``, one value per seed. A role's *strata* are a sequence of these, one per task
  (``[warehouse_scores, traffic_scores, ...]``); their lengths may differ (rliable's matrices
  are ``(num_runs, num_tasks)``; ragged strata generalise them). Non-finite values (runs
  without a score, tasks without a normalisation) are dropped, and so are strata left empty.
- The *stratified bootstrap* resamples, in every replicate, ``n_e`` runs with replacement
  within each task independently (never across tasks), and recomputes the statistic on the
  resampled runs. The interval is the percentile interval: the ``(1-confidence)/2`` and
  ``(1+confidence)/2`` quantiles of the replicates (rliable's default, ``method="percentile"``).

Degenerate inputs give NaN rather than an error or a falsely certain interval: no runs at all
-> NaN estimate; no task with two or more runs -> NaN interval (resampling one run per task
always gives the same value, and a zero-width interval would look certain; the same rule as
`iam_repro.analysis.stats.bootstrap_ci` for one seed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.stats

__all__ = [
    "IQM_TRIM",
    "interval_estimate",
    "iqm",
    "iqm_curve",
    "mean_of_means",
    "normalise_scores",
    "performance_profile",
    "performance_profile_ci",
    "probability_of_improvement",
    "probability_of_improvement_ci",
    "profile_taus",
    "reference_score",
    "stratified_bootstrap",
    "values_at_fractions",
]

IQM_TRIM = 0.25
"""Share of the runs cut from each end by the interquartile mean (rliable: 25 %)."""

Strata = Sequence[Sequence[float] | np.ndarray]
"""One 1-D array of per-run scores per task (lengths may differ)."""

_Statistic = Callable[[list[np.ndarray]], np.ndarray]


# --------------------------------------------------------------------------- normalisation


def normalise_scores(
    scores: Sequence[float] | np.ndarray, random_score: float, reference_score: float
) -> np.ndarray:
    """Scores on a scale where 0 is a uniformly random policy and 1 the reference.

    ``(score - random_score) / (reference_score - random_score)``, elementwise.

    Args:
        scores: Returns of one task, any shape (e.g. ``(n_runs,)`` final returns, or
            ``(n_runs, n_fractions)`` curve values).
        random_score: Mean return of a uniformly random policy on the task (rule
            random_baseline: random_policy.csv's ``mean``).
        reference_score: The return that counts as 1 (`reference_score`).

    Returns:
        Float array of the same shape. All NaN when either level is missing (NaN) or when the
        reference is not above the random level: the scale would be undefined or upside down.
    """
    values = np.asarray(scores, dtype=np.float64)
    span = float(reference_score) - float(random_score)
    if not np.isfinite(span) or span <= 0:
        return np.full(values.shape, np.nan)
    return (values - float(random_score)) / span


def reference_score(
    paper_value: float | None, final_returns: Sequence[float] | np.ndarray
) -> tuple[float, str]:
    """The return that counts as a normalised score of 1 on one task, and which rule chose it.

    Rule: the paper's final return of IAM on the task's environment where the paper gives one
    (warehouse: 41.0 at 4M steps per worker; traffic: -3.47 at 2M; read off its Fig. 5,
    reference/paper_fig5.csv), whatever budget this build ran. Where the paper gives none
    (Atari: its figure values are not available), the best final return over all runs of that
    task in this build, every model role included, so the best run of the task scores 1.

    Args:
        paper_value: The paper's IAM final return on the task's environment (None or NaN: none).
        final_returns: Final returns of every run of the task, shape ``(n_runs,)`` (NaN: a run
            without a score).

    Returns:
        ``(value, rule)``: rule is ``"paper"`` or ``"best run"``; ``(nan, "none")`` when there is
        no paper value and no finite run score.
    """
    if paper_value is not None and np.isfinite(paper_value):
        return float(paper_value), "paper"
    values = np.asarray(final_returns, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), "none"
    return float(values.max()), "best run"


# --------------------------------------------------------------------------- point estimates


def _as_strata(strata: Strata) -> list[np.ndarray]:
    """Each stratum as a 1-D float array of its finite values; empty strata left out."""
    cleaned = []
    for stratum in strata:
        values = np.asarray(stratum, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"each stratum must be 1-D (one score per run), got {values.shape}")
        values = values[np.isfinite(values)]
        if len(values):
            cleaned.append(values)
    return cleaned


def iqm(scores: Sequence[float] | np.ndarray) -> float:
    """Interquartile mean: the mean of the middle 50 % of the scores (rliable's
    `aggregate_iqm`, ``scipy.stats.trim_mean(scores, 0.25)`` over all values pooled).

    ``int(0.25 * n)`` values are cut from each end (fewer than a quarter when n is not a
    multiple of 4; none when n < 4, where the IQM is the mean).

    Args:
        scores: Scores of all runs of all tasks pooled, any shape (flattened); NaN dropped.

    Returns:
        The IQM; NaN when there is no finite score.
    """
    values = np.asarray(scores, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan")
    return float(scipy.stats.trim_mean(values, IQM_TRIM))


def mean_of_means(strata: Strata) -> float:
    """Mean over tasks of each task's mean score (rliable's `aggregate_mean`): every task
    weighs the same, whatever its number of runs.

    Args:
        strata: One 1-D array of scores per task.

    Returns:
        The mean; NaN when no task has a finite score.
    """
    cleaned = _as_strata(strata)
    if not cleaned:
        return float("nan")
    return float(np.mean([s.mean() for s in cleaned]))


def _pair_probability(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y) + P(X = Y)/2 over all pairs, for batches: x (..., n), y (..., m) -> (...)."""
    greater = (x[..., :, None] > y[..., None, :]).mean(axis=(-2, -1))
    ties = (x[..., :, None] == y[..., None, :]).mean(axis=(-2, -1))
    return greater + 0.5 * ties


def probability_of_improvement(x_strata: Strata, y_strata: Strata) -> float:
    """Probability that a run of X scores above a run of Y on the same task, averaged over tasks.

    rliable's definition: on each task, the Mann-Whitney U statistic of X against Y divided by
    ``n * m`` (the share of the n x m pairs of runs where X's is higher, a tie counting 1/2);
    then the mean over tasks. Being rank-based on each task, it is the same on raw returns as on
    normalised scores (an increasing affine map per task changes no comparison).

    Args:
        x_strata, y_strata: Per task, X's and Y's scores, shapes ``(n_e,)`` and ``(m_e,)``;
            position e of both is the same task. Tasks where either has no finite score are
            left out.

    Returns:
        A probability in [0, 1]; NaN when no task has scores of both.
    """
    pairs = _paired_strata(x_strata, y_strata)
    if not pairs:
        return float("nan")
    return float(np.mean([_pair_probability(x, y) for x, y in pairs]))


def _paired_strata(x_strata: Strata, y_strata: Strata) -> list[tuple[np.ndarray, np.ndarray]]:
    if len(x_strata) != len(y_strata):
        raise ValueError(
            f"X and Y must have one stratum per task each, got {len(x_strata)} and {len(y_strata)}"
        )
    pairs = []
    for x, y in zip(x_strata, y_strata, strict=True):
        cleaned = _as_strata([x, y])
        if len(cleaned) == 2:
            pairs.append((cleaned[0], cleaned[1]))
    return pairs


def performance_profile(strata: Strata, taus: Sequence[float] | np.ndarray) -> np.ndarray:
    """Score distribution over runs: the share of all runs (all tasks pooled) whose score
    exceeds each threshold tau (rliable's `run_score_deviation`, ``mean(scores > tau)``).

    Args:
        strata: One 1-D array of normalised scores per task.
        taus: Thresholds, shape ``(T,)``.

    Returns:
        Shape ``(T,)``, non-increasing in tau; all NaN when there is no finite score.
    """
    taus = np.asarray(taus, dtype=np.float64)
    cleaned = _as_strata(strata)
    if not cleaned:
        return np.full(taus.shape, np.nan)
    return _profile_statistic(taus)([s[None, :] for s in cleaned])[0]


def profile_taus(
    scores: Sequence[float] | np.ndarray, num: int = 101, low: float = 0.0, high: float = 1.25
) -> np.ndarray:
    """A grid of thresholds for performance profiles: ``num`` evenly spaced values from
    ``min(low, min score)`` to ``max(high, max score)``, so that the grid spans the random
    level (0), the reference (1) and every score.

    Args:
        scores: Normalised scores, any shape (NaN ignored).

    Returns:
        Shape ``(num,)``, increasing.
    """
    values = np.asarray(scores, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if len(values):
        low, high = min(low, float(values.min())), max(high, float(values.max()))
    return np.linspace(low, high, num)


# --------------------------------------------------------------------------- bootstrap


def stratified_bootstrap(
    strata: Strata, statistic: _Statistic, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Replicates of a statistic under the stratified bootstrap (resampling within each task).

    Args:
        strata: One 1-D array of finite scores per task (see `_as_strata`), none empty.
        statistic: Vectorised statistic: given one array per task of shape
            ``(n_resamples, n_e)`` (row r: the task's runs in replicate r), returns shape
            ``(n_resamples, ...)``.
        n_resamples: Number of replicates.
        rng: Source of randomness (the caller owns the seed).

    Returns:
        The statistic's replicates, shape ``(n_resamples, ...)``.
    """
    arrays = [np.asarray(s, dtype=np.float64) for s in strata]
    resampled = [a[rng.integers(0, len(a), size=(n_resamples, len(a)))] for a in arrays]
    return statistic(resampled)


def _percentile_interval(replicates: np.ndarray, confidence: float) -> tuple[np.ndarray, ...]:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    alpha = (1 - confidence) / 2
    low, high = np.quantile(replicates, [alpha, 1 - alpha], axis=0)
    return low, high


def _can_vary(*strata_groups: list[np.ndarray]) -> bool:
    """Whether a stratified bootstrap can give different replicates: some task has 2+ runs."""
    return any(len(s) >= 2 for group in strata_groups for s in group)


def _iqm_statistic(parts: list[np.ndarray]) -> np.ndarray:
    return scipy.stats.trim_mean(np.concatenate(parts, axis=1), IQM_TRIM, axis=1)


def _mean_statistic(parts: list[np.ndarray]) -> np.ndarray:
    return np.mean([p.mean(axis=1) for p in parts], axis=0)


def _profile_statistic(taus: np.ndarray) -> _Statistic:
    def statistic(parts: list[np.ndarray]) -> np.ndarray:
        pooled = np.concatenate(parts, axis=1)
        return (pooled[:, :, None] > taus[None, None, :]).mean(axis=1)

    return statistic


_METRICS: dict[str, _Statistic] = {"iqm": _iqm_statistic, "mean": _mean_statistic}


def interval_estimate(
    strata: Strata,
    metric: str = "iqm",
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, float | int]:
    """An aggregate of one role's scores over tasks, with its stratified-bootstrap interval.

    Args:
        strata: One 1-D array of (normalised) scores per task.
        metric: ``"iqm"`` (`iqm` of all runs pooled) or ``"mean"`` (`mean_of_means`).
        confidence: Coverage of the percentile interval, in (0, 1).
        n_resamples: Bootstrap replicates.
        seed: Seed of the resampling generator (results are deterministic).

    Returns:
        ``{"estimate", "ci_low", "ci_high", "runs", "tasks"}`` (runs and tasks: the finite
        scores and the tasks that have one). NaN estimate without runs; NaN interval when no
        task has two or more runs.
    """
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {sorted(_METRICS)}, got {metric!r}")
    cleaned = _as_strata(strata)
    result: dict[str, float | int] = {
        "estimate": float("nan"),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "runs": sum(len(s) for s in cleaned),
        "tasks": len(cleaned),
    }
    if not cleaned:
        return result
    statistic = _METRICS[metric]
    result["estimate"] = float(statistic([s[None, :] for s in cleaned])[0])
    if _can_vary(cleaned):
        replicates = stratified_bootstrap(
            cleaned, statistic, n_resamples, np.random.default_rng(seed)
        )
        low, high = _percentile_interval(replicates, confidence)
        result["ci_low"], result["ci_high"] = float(low), float(high)
    return result


def probability_of_improvement_ci(
    x_strata: Strata,
    y_strata: Strata,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, float | int]:
    """`probability_of_improvement` of X over Y with its stratified-bootstrap interval.

    Each replicate resamples X's runs and Y's runs independently, each within every task
    (rliable's `StratifiedIndependentBootstrap`).

    Args:
        x_strata, y_strata: As in `probability_of_improvement`.
        confidence, n_resamples, seed: As in `interval_estimate`.

    Returns:
        ``{"estimate", "ci_low", "ci_high", "tasks", "runs_x", "runs_y"}`` over the tasks both
        have; NaN estimate without such a task; NaN interval when no task has two or more runs
        of X or of Y.
    """
    pairs = _paired_strata(x_strata, y_strata)
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    result: dict[str, float | int] = {
        "estimate": float("nan"),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "tasks": len(pairs),
        "runs_x": sum(len(x) for x in xs),
        "runs_y": sum(len(y) for y in ys),
    }
    if not pairs:
        return result
    result["estimate"] = probability_of_improvement(xs, ys)
    if _can_vary(xs, ys):
        rng = np.random.default_rng(seed)
        identity = list
        x_rep = stratified_bootstrap(xs, identity, n_resamples, rng)
        y_rep = stratified_bootstrap(ys, identity, n_resamples, rng)
        replicates = np.mean(
            [_pair_probability(x, y) for x, y in zip(x_rep, y_rep, strict=True)], axis=0
        )
        low, high = _percentile_interval(replicates, confidence)
        result["ci_low"], result["ci_high"] = float(low), float(high)
    return result


def performance_profile_ci(
    strata: Strata,
    taus: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`performance_profile` with a pointwise stratified-bootstrap band.

    Args:
        strata: One 1-D array of normalised scores per task.
        taus: Thresholds, shape ``(T,)``.
        confidence, n_resamples, seed: As in `interval_estimate`.

    Returns:
        ``(fraction, ci_low, ci_high)``, each shape ``(T,)``; the band is NaN when no task has
        two or more runs, everything NaN without runs.
    """
    taus = np.asarray(taus, dtype=np.float64)
    cleaned = _as_strata(strata)
    nan = np.full(taus.shape, np.nan)
    if not cleaned:
        return nan, nan.copy(), nan.copy()
    statistic = _profile_statistic(taus)
    fraction = statistic([s[None, :] for s in cleaned])[0]
    if not _can_vary(cleaned):
        return fraction, nan, nan.copy()
    # Chunks of replicates keep the (replicates x runs x taus) comparison small in memory.
    rng = np.random.default_rng(seed)
    chunks = [
        stratified_bootstrap(cleaned, statistic, size, rng)
        for size in _chunk_sizes(n_resamples, 2_000)
    ]
    low, high = _percentile_interval(np.concatenate(chunks, axis=0), confidence)
    return fraction, low, high


def _chunk_sizes(total: int, chunk: int) -> list[int]:
    return [chunk] * (total // chunk) + ([total % chunk] if total % chunk else [])


# --------------------------------------------------------------------------- sample efficiency


def values_at_fractions(
    steps: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    budget: float,
    fractions: Sequence[float] | np.ndarray,
) -> np.ndarray:
    """One run's learning curve read at fractions of its budget.

    Linear interpolation of the curve's finite points at ``fraction * budget`` steps; NaN
    before the first and after the last finite point (nothing is extrapolated).

    Args:
        steps: The curve's steps, shape ``(g,)``, increasing.
        values: The curve's values (e.g. rolling mean return), shape ``(g,)``; NaN: no value.
        budget: The run's budget in the same unit as ``steps`` (> 0).
        fractions: Budget fractions in [0, 1], shape ``(F,)``.

    Returns:
        Shape ``(F,)``.
    """
    if not budget > 0:
        raise ValueError(f"budget must be positive, got {budget!r}")
    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    at = np.asarray(fractions, dtype=np.float64) * float(budget)
    keep = np.isfinite(steps) & np.isfinite(values)
    steps, values = steps[keep], values[keep]
    out = np.full(at.shape, np.nan)
    if len(steps):
        inside = (at >= steps[0]) & (at <= steps[-1])
        out[inside] = np.interp(at[inside], steps, values)
    return out


def iqm_curve(
    strata: Sequence[np.ndarray],
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Sample efficiency: the IQM over runs at each budget fraction, with stratified-bootstrap
    bands (each fraction on its own: `interval_estimate` of that column).

    Args:
        strata: Per task, its runs' normalised scores at F budget fractions, shape
            ``(n_e, F)`` (`values_at_fractions` of each run); NaN: no value at that fraction.
        confidence, n_resamples, seed: As in `interval_estimate`.

    Returns:
        ``{"estimate", "ci_low", "ci_high", "runs"}``, each shape ``(F,)``.
    """
    matrices = [np.atleast_2d(np.asarray(s, dtype=np.float64)) for s in strata]
    widths = {m.shape[1] for m in matrices}
    if len(widths) > 1:
        raise ValueError(f"every stratum must have the same fractions, got widths {widths}")
    n_fractions = widths.pop() if widths else 0
    keys = ("estimate", "ci_low", "ci_high", "runs")
    out = {key: np.full(n_fractions, np.nan) for key in keys}
    for j in range(n_fractions):
        column = interval_estimate(
            [m[:, j] for m in matrices], "iqm", confidence, n_resamples, seed
        )
        for key in keys:
            out[key][j] = column[key]
    return out
