# Every experiment's tables -> statistics across experiments (Agarwal et al. 2021: normalised
# scores, IQM, probability of improvement, performance profiles, sample efficiency with
# stratified-bootstrap CIs; iam_repro.analysis.across) -> their two figures.
from iam_repro.analysis.across import ACROSS_TABLES

ACROSS_TABLE_FILES = expand(f"{RESULTS}/tables/{{name}}.csv", name=ACROSS_TABLES)
ACROSS_FIGURES = expand(
    f"{RESULTS}/figures/across_experiments_{{name}}.png",
    name=["profiles", "efficiency"],
)

# Experiment -> its environment and budget (the same in every run's resolved config).
ACROSS_EXPERIMENTS = {
    run.experiment: {
        "env": run.resolved["env"]["name"],
        "steps_per_worker": run.resolved["budget"]["steps_per_worker"],
    }
    for run in RUNS
}


rule across_experiments:
    input:
        final_scores=expand(f"{TABLES}/final_scores.csv", experiment=list(EXPERIMENTS)),
        models=expand(f"{TABLES}/models.csv", experiment=list(EXPERIMENTS)),
        random_policy=expand(
            f"{TABLES}/random_policy.csv", experiment=list(EXPERIMENTS)
        ),
        rolling=expand(f"{TABLES}/curves_rolling.csv", experiment=list(EXPERIMENTS)),
    output:
        ACROSS_TABLE_FILES,
    log:
        f"{LOGS}/across_experiments.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        experiments=ACROSS_EXPERIMENTS,
        aggregation=config["aggregation"],
    script:
        "../scripts/across_experiments.py"


rule plot_across_profiles:
    input:
        f"{RESULTS}/tables/across_experiments_profiles.csv",
    output:
        f"{RESULTS}/figures/across_experiments_profiles.png",
    log:
        f"{LOGS}/plot/across_experiments_profiles.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../scripts/plot_across_profiles.py"


rule plot_across_efficiency:
    input:
        f"{RESULTS}/tables/across_experiments_efficiency.csv",
    output:
        f"{RESULTS}/figures/across_experiments_efficiency.png",
    log:
        f"{LOGS}/plot/across_experiments_efficiency.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../scripts/plot_across_efficiency.py"
