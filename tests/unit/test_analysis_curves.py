"""Curves and per-run scores on tiny inputs whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iam_repro.analysis.curves import (
    area_under_curve,
    final_score,
    paper_protocol_curve,
    rolling_curve,
    run_grid,
    step_grid,
    steps_to_threshold,
)


def episodes(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    """Episode frame from (step, worker, return) triples (l and t are irrelevant here)."""
    step, worker, r = zip(*rows, strict=True) if rows else ((), (), ())
    n = len(rows)
    return pd.DataFrame(
        {
            "r": np.array(r, float),
            "l": np.ones(n, np.int64),
            "t": np.zeros(n),
            "worker": np.array(worker, np.int64),
            "step": np.array(step, np.int64),
        }
    )


def curve(steps: list[int], values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"step": steps, "mean_return": values})


# Five episodes of worker 0, one of worker 1; window 10.
FIVE = episodes(
    [(3, 0, 1.0), (5, 1, 100.0), (10, 0, 3.0), (11, 0, 5.0), (25, 0, 7.0), (30, 0, 9.0)]
)


def test_paper_protocol_window_means_by_hand() -> None:
    result = paper_protocol_curve(FIVE, window=10)
    # (0,10]: steps 3 and 10 -> (1+3)/2; (10,20]: step 11 -> 5; (20,30]: 25 and 30 -> (7+9)/2.
    assert result["step"].tolist() == [10, 20, 30]
    assert result["mean_return"].tolist() == [2.0, 5.0, 8.0]
    assert result["n_episodes"].tolist() == [2, 1, 2]
    assert list(result.columns) == ["step", "mean_return", "n_episodes"]
    assert result["step"].dtype == np.int64


def test_paper_protocol_uses_only_the_chosen_worker() -> None:
    result = paper_protocol_curve(FIVE, window=10, worker=1)
    assert result.to_dict("list") == {"step": [10], "mean_return": [100.0], "n_episodes": [1]}


def test_paper_protocol_drops_empty_windows() -> None:
    result = paper_protocol_curve(episodes([(3, 0, 1.0), (35, 0, 2.0)]), window=10)
    assert result["step"].tolist() == [10, 40]


def test_paper_protocol_of_no_episodes_is_empty() -> None:
    result = paper_protocol_curve(episodes([]), window=10)
    assert result.empty
    assert list(result.columns) == ["step", "mean_return", "n_episodes"]


@pytest.mark.parametrize("window", [0, -5, 2.5])
def test_paper_protocol_rejects_bad_windows(window: float) -> None:
    with pytest.raises(ValueError, match="window"):
        paper_protocol_curve(FIVE, window=window)  # type: ignore[arg-type]


def test_step_grid() -> None:
    assert step_grid(100, 25).tolist() == [25, 50, 75, 100]
    assert step_grid(90, 25).tolist() == [25, 50, 75]
    assert step_grid(4_000_000, 100_000).dtype == np.int64
    with pytest.raises(ValueError):
        step_grid(100, 0)


def test_rolling_curve_by_hand() -> None:
    frame = episodes([(2, 0, 1.0), (4, 1, 3.0), (4, 0, 5.0), (8, 0, 7.0)])
    result = rolling_curve(frame, np.array([1, 2, 3, 4, 6, 8, 9]), window_episodes=2)
    # Order (step, worker): r = 1, 5, 3, 7 -> rolling(2) = 1, 3, 4, 5; at step 4 the value after
    # both episodes (4) is kept: points (2, 1), (4, 4), (8, 5), interpolated; NaN outside.
    np.testing.assert_array_equal(
        result["mean_return"].to_numpy(), [np.nan, 1.0, 2.5, 4.0, 4.5, 5.0, np.nan]
    )
    assert result["step"].tolist() == [1, 2, 3, 4, 6, 8, 9]


def test_run_grid_ends_at_the_runs_final_step() -> None:
    grid = step_grid(20, 5)  # [5, 10, 15, 20]
    assert run_grid(grid, 20).tolist() == [5, 10, 15, 20]  # the budget is on the grid
    assert run_grid(grid, 18).tolist() == [5, 10, 15, 18]  # a run that stopped at 18
    assert run_grid(step_grid(22, 5), 22).tolist() == [5, 10, 15, 20, 22]  # budget off the grid
    assert run_grid(grid, 3).tolist() == [3]
    assert run_grid(grid, 20).dtype == np.int64
    with pytest.raises(ValueError, match="final_step"):
        run_grid(grid, 0)


# A run with budget 20 whose last episode ends at step 17, as traffic's last episode ends
# before 204,800: r = 2, 4, 6 at steps 3, 7, 17 -> rolling(2) = 2, 3, 5.
SHORT_OF_BUDGET = episodes([(3, 0, 2.0), (7, 1, 4.0), (17, 0, 6.0)])


def test_rolling_curve_draws_the_runs_last_point() -> None:
    grid = run_grid(step_grid(20, 5), 20)
    result = rolling_curve(SHORT_OF_BUDGET, grid, window_episodes=2, final_step=20)
    # 5: between (3, 2) and (7, 3) -> 2.5; 10 and 15: between (7, 3) and (17, 5) -> 3.6, 4.6;
    # 20: no episode ended after 17, so the mean of the last two is still 5.
    np.testing.assert_allclose(result["mean_return"].to_numpy(), [2.5, 3.6, 4.6, 5.0])
    # Without the final step the last grid point lies after the last episode: no value (the
    # curve stopped one point short of the budget).
    unended = rolling_curve(SHORT_OF_BUDGET, grid, window_episodes=2)
    assert np.isnan(unended["mean_return"].iloc[-1])


def test_rolling_curve_holds_no_value_past_the_final_step() -> None:
    result = rolling_curve(SHORT_OF_BUDGET, np.array([5, 17, 18, 20]), 2, final_step=18)
    np.testing.assert_allclose(result["mean_return"].to_numpy(), [2.5, 5.0, 5.0, np.nan])


def test_rolling_curve_with_a_window_covering_everything_is_the_running_mean() -> None:
    frame = episodes([(1, 0, 2.0), (2, 0, 4.0), (3, 0, 9.0)])
    result = rolling_curve(frame, np.array([1, 2, 3]), window_episodes=100)
    assert result["mean_return"].tolist() == [2.0, 3.0, 5.0]


def test_rolling_curve_of_no_episodes_is_all_nan() -> None:
    result = rolling_curve(episodes([]), np.array([10, 20]), window_episodes=5)
    assert result["mean_return"].isna().all()


def test_rolling_curve_rejects_an_unsorted_grid() -> None:
    with pytest.raises(ValueError, match="increasing"):
        rolling_curve(FIVE, np.array([20, 10]), window_episodes=2)


TEN = curve(list(range(10, 101, 10)), [s / 10 for s in range(10, 101, 10)])  # value = step / 10


def test_final_score_averages_the_last_fraction_of_the_budget() -> None:
    assert final_score(TEN, max_step=100) == 10.0  # only step 100 is in (90, 100]
    assert final_score(TEN, max_step=100, last_fraction=0.3) == 9.0  # 80, 90, 100
    assert final_score(TEN, max_step=50, last_fraction=0.2) == 5.0  # (40, 50]; later points ignored
    assert np.isnan(final_score(TEN.iloc[:3], max_step=100))  # run stopped at step 30
    with pytest.raises(ValueError):
        final_score(TEN, max_step=100, last_fraction=0.0)


def test_final_score_ignores_nan_points() -> None:
    assert final_score(curve([80, 90, 100], [1.0, 3.0, np.nan]), 100, last_fraction=0.3) == 2.0


def test_area_under_curve_is_the_average_height() -> None:
    assert area_under_curve(curve([0, 10], [0.0, 10.0]), max_step=10) == 5.0
    # Trapezoids: (2+4)/2*10 + (4+4)/2*20 = 110 over a range of 30.
    assert area_under_curve(curve([10, 20, 40], [2.0, 4.0, 4.0]), max_step=40) == pytest.approx(
        110 / 30
    )
    assert area_under_curve(curve([10, 20, 40], [2.0, 4.0, 4.0]), max_step=20) == 3.0
    assert area_under_curve(curve([10], [7.0]), max_step=20) == 7.0
    assert np.isnan(area_under_curve(curve([], []), max_step=20))


def test_steps_to_threshold_is_the_first_point_reaching_it() -> None:
    rising = curve([10, 20, 30, 40], [1.0, 3.0, 2.0, 5.0])
    assert steps_to_threshold(rising, 3.0) == 20.0  # reached exactly
    assert steps_to_threshold(rising, 4.0) == 40.0
    assert np.isnan(steps_to_threshold(rising, 6.0))
    traffic = curve([10, 20, 30], [-42.0, -42.0, -5.0])
    assert steps_to_threshold(traffic, -10.0) == 30.0
