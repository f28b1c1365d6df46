"""Learning curves from episode logs, and the per-run scores read off them.

Input frames have the columns written by `iam_repro.io.read_monitor` (r, l, t, worker, step; one
row per finished episode); `step` is the per-worker step counter of the paper's x-axis.
A *curve* is a frame with columns `step` (increasing) and `mean_return`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "area_under_curve",
    "final_score",
    "paper_protocol_curve",
    "rolling_curve",
    "run_grid",
    "step_grid",
    "steps_to_threshold",
]


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; it has {list(frame.columns)}")


def _require_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or int(value) != value or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def paper_protocol_curve(episodes: pd.DataFrame, window: int, worker: int = 0) -> pd.DataFrame:
    """The paper's curve: mean return of one worker's episodes per window of steps.

    Window k covers per-worker steps (k*window, (k+1)*window] and is plotted at
    step = (k+1)*window; an episode belongs to the window containing its end step. Windows in
    which no episode of `worker` ended are dropped (not filled).

    Args:
        episodes: Episode rows with columns r, worker, step (others ignored).
        window: Window width in per-worker steps (warehouse: 100_000).
        worker: Whose episodes count; the original logged worker 0 only.

    Returns:
        Columns step (int64, window ends, increasing), mean_return (float64), n_episodes (int64).
    """
    window = _require_positive_int(window, "window")
    _require_columns(episodes, ("r", "worker", "step"), "the episode frame")
    mine = episodes.loc[episodes["worker"] == worker]
    steps = mine["step"].to_numpy(dtype=np.int64)
    # Ceiling division in integers: float division would misplace steps exactly on a boundary.
    window_end = -(-steps // window) * window
    grouped = mine["r"].groupby(window_end).agg(["mean", "size"])
    return pd.DataFrame(
        {
            "step": grouped.index.to_numpy(dtype=np.int64),
            "mean_return": grouped["mean"].to_numpy(dtype=np.float64),
            "n_episodes": grouped["size"].to_numpy(dtype=np.int64),
        }
    )


def step_grid(max_step: int, spacing: int) -> np.ndarray:
    """Common x positions for curves: spacing, 2*spacing, ..., up to and including max_step.

    Returns:
        Shape (max_step // spacing,), int64. max_step itself is included only when it is a
        multiple of spacing.
    """
    spacing = _require_positive_int(spacing, "spacing")
    max_step = _require_positive_int(max_step, "max_step")
    return np.arange(spacing, max_step + 1, spacing, dtype=np.int64)


def run_grid(grid: np.ndarray, final_step: int) -> np.ndarray:
    """A run's own x positions: the points of `grid` up to its final step, and that step.

    The common grid ends at the budget only when the budget is a multiple of its spacing, and a
    run's last point would otherwise be the grid point before its end; appending the final step
    makes every run's curve reach where the run stopped.

    Args:
        grid: Common positions (`step_grid`), shape (g,), increasing.
        final_step: The run's last per-worker step (run.json's steps_per_worker).

    Returns:
        Shape (<= g + 1,), int64, increasing, ending at final_step.
    """
    final_step = _require_positive_int(final_step, "final_step")
    grid = np.asarray(grid, dtype=np.int64)
    return np.append(grid[grid < final_step], final_step)


def rolling_curve(
    episodes: pd.DataFrame,
    grid: np.ndarray,
    window_episodes: int,
    final_step: float | None = None,
) -> pd.DataFrame:
    """Smooth curve: rolling mean over the last episodes of all workers, sampled on a grid.

    Episodes are ordered by end step (ties by worker); the value at an episode's end is the mean
    return of the last `window_episodes` episodes up to and including it (fewer at the start).
    Where several episodes end at the same step, the value after all of them is kept. The
    resulting step function of episode ends is linearly interpolated onto `grid`; grid points
    before the first episode end are NaN (nothing is extrapolated). From the last episode end
    to `final_step` the value is held: no episode ended in between, so the mean of the last
    episodes that ended by then is unchanged (the run's last point is its last-episodes
    return). Grid points after `final_step` (or, without it, after the last episode end) are NaN.

    Args:
        episodes: Episode rows with columns r, worker, step.
        grid: Per-worker steps to sample at, shape (g,), increasing (`run_grid` ends it at the
            run's final step).
        window_episodes: Number of episodes averaged.
        final_step: The run's last per-worker step; None: the last episode end.

    Returns:
        Columns step (= grid) and mean_return (float64, NaN outside the run's range).
    """
    window_episodes = _require_positive_int(window_episodes, "window_episodes")
    _require_columns(episodes, ("r", "worker", "step"), "the episode frame")
    grid = np.asarray(grid)
    if grid.ndim != 1 or np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be a 1-D increasing array of steps")
    ordered = episodes.sort_values(["step", "worker"], kind="stable")
    rolled = ordered["r"].rolling(window_episodes, min_periods=1).mean().to_numpy()
    steps = ordered["step"].to_numpy(dtype=np.float64)
    # Keep the last value at each distinct step so interpolation sees a function of step.
    last_at_step = np.r_[steps[1:] != steps[:-1], True] if len(steps) else np.zeros(0, bool)
    xs, ys = steps[last_at_step], rolled[last_at_step]
    values = np.full(grid.shape, np.nan)
    if len(xs):
        end = xs[-1] if final_step is None else max(float(final_step), xs[-1])
        inside = (grid >= xs[0]) & (grid <= end)
        # np.interp holds the last value beyond xs[-1]: exactly the held value up to `end`.
        values[inside] = np.interp(grid[inside].astype(np.float64), xs, ys)
    return pd.DataFrame({"step": grid, "mean_return": values})


def _clean_curve(curve: pd.DataFrame, max_step: float | None = None) -> pd.DataFrame:
    _require_columns(curve, ("step", "mean_return"), "the curve")
    clean = curve.loc[curve["mean_return"].notna(), ["step", "mean_return"]]
    if max_step is not None:
        clean = clean.loc[clean["step"] <= max_step]
    return clean.sort_values("step", kind="stable")


def final_score(curve: pd.DataFrame, max_step: int, last_fraction: float = 0.1) -> float:
    """Final performance: mean of the curve's points in the last fraction of the budget.

    With the paper-protocol curve (one point per window) and the defaults this is the unweighted
    mean of the window means with step in (0.9*max_step, max_step] -- e.g. the last 4 points of a
    4e6-step warehouse run with 1e5-step windows. Averaging a few windows rather than taking the
    last one alone damps the window-to-window noise the paper's plot shows.

    Args:
        curve: Columns step, mean_return (NaN points ignored).
        max_step: The training budget in per-worker steps.
        last_fraction: Share of the budget, in (0, 1].

    Returns:
        The mean, or NaN when no point falls in the range (e.g. the run stopped early).
    """
    if not 0 < last_fraction <= 1:
        raise ValueError(f"last_fraction must be in (0, 1], got {last_fraction!r}")
    clean = _clean_curve(curve, max_step)
    tail = clean.loc[clean["step"] > max_step * (1 - last_fraction), "mean_return"]
    return float(tail.mean()) if len(tail) else float("nan")


def area_under_curve(curve: pd.DataFrame, max_step: int) -> float:
    """Normalised area under the curve: its average height over its own x-range.

    Trapezoid rule over the points with step <= max_step, divided by (last step - first step),
    so the result is in return units and comparable with `final_score`. A single point gives
    its own value; no point gives NaN.

    Args:
        curve: Columns step, mean_return (NaN points ignored).
        max_step: Points after this step are ignored.
    """
    clean = _clean_curve(curve, max_step)
    x = clean["step"].to_numpy(dtype=np.float64)
    y = clean["mean_return"].to_numpy(dtype=np.float64)
    if len(x) == 0:
        return float("nan")
    if len(x) == 1 or x[-1] == x[0]:
        return float(y.mean())
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))


def steps_to_threshold(curve: pd.DataFrame, threshold: float) -> float:
    """First step at which the curve reaches `threshold` (mean_return >= threshold).

    No interpolation between points: with the paper-protocol curve the answer is a window end.

    Returns:
        The step as a float, or NaN if the curve never reaches the threshold.
    """
    clean = _clean_curve(curve)
    reached = clean.loc[clean["mean_return"] >= threshold, "step"]
    return float(reached.iloc[0]) if len(reached) else float("nan")
