"""Write a complete, deterministic fake results tree, for tests of the report.

The tables follow the contract between the pipeline and the book
(iam_repro.report.results.TABLE_COLUMNS): ``tables/{experiment}/*.csv``,
``tables/claims_overview.csv`` (compute_models.csv and the overview are made from the other
tables by the pipeline's own functions), ``figures/{experiment}/fig5.png`` (a real two-panel
matplotlib figure), ``figures/{experiment}/rolling.png`` (drawn by the library) and
``tables/provenance.json``. Values are invented but plausible; the same arguments always give the
same files.

    python tests/workflow/fake_results.py OUT_DIR [EXPERIMENT ...]
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from iam_repro.analysis.compute import compute_per_model
from iam_repro.analysis.overview import claims_overview, stack_claims
from iam_repro.analysis.plots import figure_rolling
from iam_repro.analysis.roles import models_table, roster_roles
from iam_repro.config import load_experiment
from iam_repro.io.atomic import save_figure_atomic
from iam_repro.report.results import TABLE_COLUMNS, overview_path

#: Per experiment: models with (final return, paper value, relative throughput), budget, grid
#: step, threshold, and the paper claims the experiment tests.
FAKE_EXPERIMENTS: dict[str, dict] = {
    "warehouse": {
        "models": {
            "IAM": (39.2, 41.0, 1.0),
            "IAM_static": (37.0, None, 0.93),
            "LSTM": (36.1, 35.4, 0.55),
            "FNN1": (38.4, 39.35, 1.35),
            "FNN8": (35.0, 35.65, 1.1),
        },
        "steps": 4_000_000,
        "window": 100_000,
        "threshold": 35.0,
        "start": 9.5,
    },
    "traffic": {
        "models": {
            "IAM": (-3.9, -3.5, 1.0),
            "LSTM": (-4.6, -4.2, 0.6),
            "FNN1": (-5.5, -5.6, 1.3),
            "FNN32": (-4.4, -4.2, 0.9),
        },
        "steps": 2_000_000,
        "window": 50_000,
        "threshold": -10.0,
        "start": -45.0,
    },
}

SEEDS = (0, 1, 2)
REPO = Path(__file__).resolve().parents[2]


def _curves(spec: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Per-run paper-protocol curves (not a table of their own; curves_summary is made of them)."""
    steps = np.arange(spec["window"], spec["steps"] + 1, spec["window"])
    rows = []
    for rank, (model, (final, _paper, _speed)) in enumerate(spec["models"].items()):
        for seed in SEEDS:
            rate = 3.0 + 0.4 * rank
            curve = final + (spec["start"] - final) * np.exp(-rate * steps / spec["steps"])
            noisy = curve + rng.normal(0.0, 0.4, size=steps.size)
            for step, value in zip(steps, noisy, strict=True):
                rows.append((model, seed, int(step), round(float(value), 4), 1000))
    return pd.DataFrame(rows, columns=["model", "seed", "step", "mean_return", "n_episodes"])


def _rolling(curves: pd.DataFrame, window_episodes: int = 100) -> pd.DataFrame:
    """curves_rolling.csv: each run's curve smoothed over 3 points, as over many episodes."""
    smooth = curves.groupby(["model", "seed"], sort=False)["mean_return"].transform(
        lambda values: values.rolling(3, min_periods=1).mean()
    )
    rolling = curves.assign(
        transitions=curves["step"] * 8, mean_return=smooth.round(4), window_episodes=window_episodes
    )
    return rolling[list(TABLE_COLUMNS["curves_rolling"])]


def _summary_of(curves: pd.DataFrame) -> pd.DataFrame:
    grouped = curves.groupby(["model", "step"], sort=False)["mean_return"]
    out = grouped.agg(mean="mean", std="std", n_seeds="size").reset_index()
    half = 1.96 * out["std"] / np.sqrt(out["n_seeds"])
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out[["model", "step", "mean", "std", "ci_low", "ci_high", "n_seeds"]].round(4)


def _figure(curves_summary: pd.DataFrame, spec: dict, name: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    for ax, zoom in zip(axes, (False, True), strict=True):
        for model, frame in curves_summary.groupby("model", sort=False):
            ax.plot(frame["step"], frame["mean"], label=model)
            ax.fill_between(
                frame["step"], frame["mean"] - frame["std"], frame["mean"] + frame["std"], alpha=0.2
            )
        ax.set_xlabel("steps (per worker)")
        ax.set_ylabel("average return")
        if zoom:
            finals = [v[0] for v in spec["models"].values()]
            ax.set_ylim(min(finals) - 3, max(finals) + 2)
            ax.set_title(f"{name} (zoomed)")
        else:
            ax.set_title(f"{name} (fake data)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def _claims(name: str, final: pd.DataFrame, spec: dict) -> pd.DataFrame:
    means = final.groupby("model")["final_return"].mean()
    models = spec["models"]

    def row(claim_id, claim, paper, value, low, high, tolerance, verdict, evidence):
        return (claim_id, claim, paper, value, low, high, tolerance, verdict, evidence)

    if name == "warehouse":
        diff = means["IAM"] - means["LSTM"]
        rows = [
            row(
                "1a",
                "IAM ends above LSTM (final return, paper protocol)",
                round(models["IAM"][1] - models["LSTM"][1], 3),
                round(diff, 3),
                round(diff - 0.8, 3),
                round(diff + 0.8, 3),
                0.0,
                "reproduced",
                "IAM − LSTM final return, CI above 0",
            ),
            row(
                "1b",
                "IAM above LSTM (area under the curve)",
                "not available",
                1.2e6,
                0.4e6,
                2.0e6,
                0.0,
                "reproduced",
                "AUC difference, CI above 0",
            ),
            row(
                "2a",
                "IAM ends above FNN (8 obs)",
                5.35,
                round(means["IAM"] - means["FNN8"], 3),
                3.1,
                5.3,
                0.0,
                "reproduced",
                "IAM − FNN8 final return",
            ),
            row(
                "2b",
                "IAM ends above FNN (1 obs)",
                1.65,
                round(means["IAM"] - means["FNN1"], 3),
                -0.4,
                2.0,
                0.0,
                "inconclusive",
                "CI straddles 0",
            ),
            row(
                "3",
                "IAM reaches return 35 before LSTM",
                -1.3e6,
                2.5e5,
                1e5,
                6e5,
                None,
                "contradicted",
                "steps-to-threshold difference, CI above 0: IAM slower",
            ),
            row(
                "6a",
                "Warehouse: IAM trains faster than LSTM",
                None,
                4050.0,
                None,
                None,
                None,
                "inconclusive (n = 1)",
                "transitions_per_s: IAM 9000 (n=1) vs LSTM 4950 (n=3)",
            ),
        ]
    else:

        def above(claim_id: str, other: str, label: str) -> tuple:
            diff = round(means["IAM"] - means[other], 3)
            paper = round(models["IAM"][1] - models[other][1], 3)
            # The CI below is diff +/- 0.4: the verdict is the one its position gives.
            verdict = (
                "reproduced" if diff > 0.4 else "contradicted" if diff < -0.4 else "inconclusive"
            )
            return row(
                claim_id,
                f"Traffic: IAM ends above {label} (final return, paper protocol)",
                paper,
                diff,
                round(diff - 0.4, 3),
                round(diff + 0.4, 3),
                None,
                verdict,
                f"final_return: IAM − {other}",
            )

        rows = [
            above("4a", "LSTM", "LSTM"),
            above("4b", "FNN1", "FNN with 1 frame"),
            above("4c", "FNN32", "FNN with 32 frames"),
            row(
                "5",
                "Traffic: IAM learns faster than LSTM (steps to reach -10)",
                -6e5,
                -3.5e5,
                -6e5,
                -1e5,
                None,
                "reproduced",
                "steps_to_threshold difference",
            ),
            row(
                "6a",
                "Traffic: IAM trains faster than LSTM",
                None,
                1200.0,
                900.0,
                1500.0,
                None,
                "reproduced",
                "transitions_per_s: IAM vs LSTM",
            ),
            row(
                "4d",
                "Traffic: IAM's final return (paper protocol) matches the paper's Fig. 5 value",
                models["IAM"][1],
                round(means["IAM"], 3),
                round(means["IAM"] - 0.3, 3),
                round(means["IAM"] + 0.3, 3),
                0.5,
                # The CI is the mean +/- 0.3, the band the paper's value +/- 0.5.
                "reproduced"
                if abs(means["IAM"] - models["IAM"][1]) <= 0.2
                else "contradicted"
                if abs(means["IAM"] - models["IAM"][1]) > 0.8
                else "inconclusive",
                "IAM final return (paper protocol) vs the paper",
            ),
            row(
                "4g",
                "Traffic: FNN32's final return (paper protocol) matches the paper's Fig. 5 value",
                None,
                round(means["FNN32"], 3),
                round(means["FNN32"] - 0.3, 3),
                round(means["FNN32"] + 0.3, 3),
                None,
                "needs paper scale",
                "the paper's Fig. 5 has no FNN32 value in the budget's last tenth",
            ),
        ]
    return pd.DataFrame(
        rows,
        columns=list(TABLE_COLUMNS["claims"]),
    )


def write_experiment(results: Path, name: str, seed: int = 0, *, deviations: bool = False) -> None:
    """Write every table and the figure of one fake experiment under ``results``."""
    spec = FAKE_EXPERIMENTS[name]
    rng = np.random.default_rng(seed)
    tables = results / "tables" / name
    tables.mkdir(parents=True, exist_ok=True)

    curves = _curves(spec, rng)
    rolling = _rolling(curves)
    rolling.to_csv(tables / "curves_rolling.csv", index=False)
    curves_summary = _summary_of(curves)
    curves_summary.to_csv(tables / "curves_summary.csv", index=False)

    last = curves[curves["step"] == curves["step"].max()]
    final = last[["model", "seed"]].copy()
    final["final_return"] = last["mean_return"].to_numpy()
    final["auc"] = (
        curves.groupby(["model", "seed"], sort=False)["mean_return"].mean().to_numpy()
        * spec["steps"]
    ).round(1)
    reached = curves[curves["mean_return"] >= spec["threshold"]]
    first = reached.groupby(["model", "seed"])["step"].min()
    final["steps_to_threshold"] = [
        first.get((m, s), np.nan) for m, s in zip(final["model"], final["seed"], strict=True)
    ]
    final.to_csv(tables / "final_scores.csv", index=False)

    summary = (
        final.groupby("model", sort=False)["final_return"]
        .agg(n_seeds="size", mean="mean", std="std")
        .reset_index()
    )
    half = 1.96 * summary["std"] / np.sqrt(summary["n_seeds"])
    summary["ci_low"] = summary["mean"] - half
    summary["ci_high"] = summary["mean"] + half
    summary["paper_value"] = [spec["models"][m][1] for m in summary["model"]]
    summary[["model", "n_seeds", "mean", "std", "ci_low", "ci_high", "paper_value"]].round(
        4
    ).to_csv(tables / "summary.csv", index=False)

    compute_rows = []
    for model, (_final, _paper, speed) in spec["models"].items():
        for seed_ in SEEDS:
            per_s = round(9000.0 * speed * (1 + 0.02 * seed_), 1)
            transitions = spec["steps"] * 8
            compute_rows.append(
                (
                    *(model, seed_, round(transitions / per_s, 1), transitions, spec["steps"]),
                    *(per_s, "cpu", seed_ % 2),  # every other seed resumed once after a kill
                )
            )
    compute = pd.DataFrame(compute_rows, columns=list(TABLE_COLUMNS["compute"]))
    compute.to_csv(tables / "compute.csv", index=False)
    # As the aggregate rule: IAM plays the role `iam` in every fake experiment.
    compute_per_model(compute, "IAM").to_csv(tables / "compute_models.csv", index=False)
    # The roles of the shipped experiment file of the same name.
    roster = load_experiment(REPO / "config" / "experiments" / f"{name}.yaml").roster
    models_table(roster).to_csv(tables / "models.csv", index=False)

    _claims(name, final, spec).to_csv(tables / "claims.csv", index=False)

    deviation_rows = []
    if deviations:
        deviation_rows.append(
            (
                "LSTM",
                "normalize_advantages",
                True,
                False,
                "normalise advantages per minibatch (the original does not)",
            )
        )
    pd.DataFrame(deviation_rows, columns=list(TABLE_COLUMNS["deviations"])).to_csv(
        tables / "deviations.csv", index=False
    )

    _figure(curves_summary, spec, name, results / "figures" / name / "fig5.png")
    save_figure_atomic(
        figure_rolling(rolling, name, roles=roster_roles(roster), max_step=spec["steps"]),
        results / "figures" / name / "rolling.png",
        dpi=100,
    )


def write_fake_results(
    results: Path | str,
    experiments: Sequence[str] = ("warehouse",),
    *,
    preset: str = "paper",
    deviations: bool = False,
) -> Path:
    """Write a full fake results tree and return its path.

    Args:
        results: the directory to create (``tables/`` and ``figures/`` go inside).
        experiments: which of ``FAKE_EXPERIMENTS`` to write (an empty list gives a tree with
            only provenance.json: every experiment "not run").
        preset: the preset name recorded in provenance.json.
        deviations: give the warehouse experiment one deviation row.
    """
    results = Path(results)
    (results / "tables").mkdir(parents=True, exist_ok=True)
    runs = []
    for index, name in enumerate(experiments):
        write_experiment(results, name, seed=index, deviations=deviations and index == 0)
        for model in FAKE_EXPERIMENTS[name]["models"]:
            for seed in SEEDS:
                runs.append(
                    {
                        "run_id": f"{name}/{name}/{model}/seed_{seed}",
                        "config_digest": hashlib.sha256(f"{name}/{model}".encode()).hexdigest()[
                            :12
                        ],
                        "wall_time_s": 3600.0 + 10 * len(runs),
                        "transitions_per_s": 9000.0,
                        "hostname": "fake-host",
                    }
                )
    provenance = {
        "preset": preset,
        "experiments": list(experiments),
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "git_dirty": False,
        "versions": {
            "python": "3.11.7",
            "numpy": "2.4.6",
            "torch": "2.13.0",
            "gymnasium": "1.4.0",
            "snakemake": "9.27.1",
            "iam_repro": "0.1.0",
        },
        "generated_utc": "2026-01-01T00:00:00Z",
        "runs": runs,
    }
    (results / "tables" / "provenance.json").write_text(json.dumps(provenance, indent=2))
    # As the claims_overview rule (with no experiment: every claim 'not yet run').
    claims = {name: pd.read_csv(results / "tables" / name / "claims.csv") for name in experiments}
    claims_overview(stack_claims(claims)).to_csv(overview_path(results), index=False)
    return results


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    names = sys.argv[2:] or ["warehouse"]
    print(write_fake_results(sys.argv[1], names))
