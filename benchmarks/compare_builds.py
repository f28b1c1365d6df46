"""Do two builds learn the same? Each model's final returns across seeds in build A and build B,
with their 95 % CIs and the CI of the difference: the check a float-changing speed change
(e.g. `precision: bf16`) must pass before a preset uses it.

    .venv/bin/python benchmarks/compare_builds.py RESULTS_A RESULTS_B --experiment breakout_flicker

Each RESULTS folder is a build's results/ after `snakemake --until aggregate`: its
tables/<experiment>/final_scores.csv (the final return, paper protocol, one row per seed) is
read. Per model: the mean and bootstrap CI in each build (iam_repro.analysis.stats.summarise)
and B - A with its bootstrap CI over seeds (the claims' own compare_models). "equal within the
CIs" when that interval contains 0 (no difference this many seeds can show), else "differ".
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from iam_repro.analysis.stats import summarise
from iam_repro.analysis.verdicts import compare_models


def finals(results: Path, experiment: str) -> pd.DataFrame:
    path = results / "tables" / experiment / "final_scores.csv"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run snakemake --until aggregate for that build")
    return pd.read_csv(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="results folder of build A")
    parser.add_argument("b", type=Path, help="results folder of build B")
    parser.add_argument("--experiment", required=True)
    args = parser.parse_args(argv)
    a, b = finals(args.a, args.experiment), finals(args.b, args.experiment)
    print(f"{args.experiment}: final return (paper protocol), mean [95% CI] over seeds")
    print(f"{'model':<11}{'seeds':>6}{'A':>22}{'B':>22}{'B - A':>24}  verdict")
    differ = 0
    for model in dict.fromkeys([*a["model"], *b["model"]]):
        va = a.loc[a["model"] == model, "final_return"].to_numpy(float)
        vb = b.loc[b["model"] == model, "final_return"].to_numpy(float)
        sa, sb, d = summarise(va), summarise(vb), compare_models(vb, va)
        equal = d["ci_low"] <= 0 <= d["ci_high"]
        differ += not equal
        print(
            f"{model:<11}{f'{len(va)}/{len(vb)}':>6}"
            f"{sa['mean']:>8.2f} [{sa['ci_low']:5.2f}, {sa['ci_high']:5.2f}]"
            f"{sb['mean']:>8.2f} [{sb['ci_low']:5.2f}, {sb['ci_high']:5.2f}]"
            f"{d['diff']:>+9.2f} [{d['ci_low']:+6.2f}, {d['ci_high']:+6.2f}]"
            f"  {'equal within the CIs' if equal else 'differ'}"
        )
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
