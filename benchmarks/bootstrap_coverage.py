"""How often 95 % intervals cover the truth with few seeds (issue 19).

The report's intervals over seeds were percentile bootstraps (`analysis.stats.bootstrap_ci` for a
model's mean, `analysis.verdicts.compare_models(..., interval="bootstrap")` for a difference of
two models' means) until this measurement showed that with 2 or 3 seeds they cover far less than
95 %; they are now Student-t (`stats.t_ci`) and Welch's (`stats.welch_ci`). This prints each
one's coverage, by simulation, for the same samples.

Seeds' scores are drawn i.i.d. normal (a skewed distribution would only lower the bootstrap's
coverage further). For a difference both models have the same true mean, so "not covered" is
exactly the rate at which a direction claim would read "reproduced" or "contradicted" between two
equal models: the false-verdict rate.

    .venv/bin/python benchmarks/bootstrap_coverage.py [--trials 4000] [--resamples 2000]
"""

from __future__ import annotations

import argparse

import numpy as np

from iam_repro.analysis.stats import bootstrap_ci, t_ci, welch_ci
from iam_repro.analysis.verdicts import compare_models

CONFIDENCE = 0.95


def coverage(n_seeds: int, trials: int, resamples: int, rng: np.random.Generator) -> dict:
    covered = {"bootstrap mean": 0, "t mean": 0, "bootstrap diff": 0, "Welch diff": 0}
    for trial in range(trials):
        a, b = rng.normal(size=n_seeds), rng.normal(size=n_seeds)
        low, high = bootstrap_ci(a, CONFIDENCE, resamples, seed=trial)
        covered["bootstrap mean"] += low <= 0 <= high
        low, high = t_ci(a, CONFIDENCE)
        covered["t mean"] += low <= 0 <= high
        diff = compare_models(a, b, CONFIDENCE, resamples, seed=trial, interval="bootstrap")
        covered["bootstrap diff"] += diff["ci_low"] <= 0 <= diff["ci_high"]
        low, high = welch_ci(a, b, CONFIDENCE)
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
