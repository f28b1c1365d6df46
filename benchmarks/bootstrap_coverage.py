"""How often the report's 95 % intervals cover the truth with few seeds (issue 19).

The report's intervals are percentile bootstraps over seeds (`analysis.stats.bootstrap_ci` for a
model's mean, `analysis.verdicts.compare_models` for a difference of two models' means). With 2
or 3 seeds they cover far less than 95 %; this prints by how much, by simulation, beside the
Student-t interval (one model) and Welch's interval (a difference) for the same samples.

Seeds' scores are drawn i.i.d. normal (a skewed distribution would only lower the bootstrap's
coverage further). For a difference both models have the same true mean, so "not covered" is
exactly the rate at which a direction claim would read "reproduced" or "contradicted" between two
equal models: the false-verdict rate.

    .venv/bin/python benchmarks/bootstrap_coverage.py [--trials 4000] [--resamples 2000]
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats as scipy_stats

from iam_repro.analysis.stats import bootstrap_ci
from iam_repro.analysis.verdicts import compare_models

CONFIDENCE = 0.95


def t_interval(values: np.ndarray) -> tuple[float, float]:
    n = len(values)
    half = scipy_stats.t.ppf((1 + CONFIDENCE) / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return values.mean() - half, values.mean() + half


def welch_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = scipy_stats.t.ppf((1 + CONFIDENCE) / 2, dof) * np.sqrt(va + vb)
    diff = a.mean() - b.mean()
    return diff - half, diff + half


def coverage(n_seeds: int, trials: int, resamples: int, rng: np.random.Generator) -> dict:
    covered = {"bootstrap mean": 0, "t mean": 0, "bootstrap diff": 0, "Welch diff": 0}
    for trial in range(trials):
        a, b = rng.normal(size=n_seeds), rng.normal(size=n_seeds)
        low, high = bootstrap_ci(a, CONFIDENCE, resamples, seed=trial)
        covered["bootstrap mean"] += low <= 0 <= high
        low, high = t_interval(a)
        covered["t mean"] += low <= 0 <= high
        diff = compare_models(a, b, CONFIDENCE, resamples, seed=trial)
        covered["bootstrap diff"] += diff["ci_low"] <= 0 <= diff["ci_high"]
        low, high = welch_interval(a, b)
        covered["Welch diff"] += low <= 0 <= high
    return {name: count / trials for name, count in covered.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=4000)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2, 3, 5, 10])
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    names = ["bootstrap mean", "t mean", "bootstrap diff", "Welch diff"]
    print(f"coverage of nominal 95 % intervals, {args.trials} trials, normal seeds")
    print("seeds per model | " + " | ".join(names))
    for n_seeds in args.seeds:
        result = coverage(n_seeds, args.trials, args.resamples, rng)
        print(f"{n_seeds:>15} | " + " | ".join(f"{result[name]:>{len(name)}.1%}" for name in names))


if __name__ == "__main__":
    main()
