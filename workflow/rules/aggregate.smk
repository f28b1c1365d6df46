# Monitor logs -> tables (curves on the paper's protocol and a common grid, scores, claims,
# compute per model), and every experiment's claims -> the overview of the paper's claims.


rule aggregate:
    input:
        runs=experiment_run_files,
        random_episodes=f"{RESULTS}/baselines/{{experiment}}/random_episodes.csv",
    output:
        expand(f"{TABLES}/{{name}}.csv", name=TABLE_NAMES, allow_missing=True),
    log:
        f"{LOGS}/aggregate/{{experiment}}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        # every episode of every run of the experiment in memory (paper: ~8e6 rows)
        mem_mb=4000,
        runtime=60,
    params:
        summary_window=experiment_setting("summary_window"),
        threshold=experiment_setting("threshold"),
        budget=experiment_setting("budget"),
        env=experiment_setting("env"),
        roster=experiment_roster,
        aggregation=config["aggregation"],
        # Each run folder's current resolved config: a run.json that differs is stale.
        run_configs=experiment_run_configs,
    script:
        "../scripts/aggregate.py"


rule claims_overview:
    input:
        expand(f"{TABLES}/claims.csv", experiment=list(EXPERIMENTS)),
    output:
        CLAIMS_OVERVIEW,
    log:
        f"{LOGS}/claims_overview.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/claims_overview.py"


rule provenance:
    input:
        all_run_infos(),
    output:
        f"{RESULTS}/tables/provenance.json",
    log:
        f"{LOGS}/provenance.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        preset=PIPELINE.preset,
        experiments=list(EXPERIMENTS),
    script:
        "../scripts/provenance.py"
