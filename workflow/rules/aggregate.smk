# Monitor logs -> tables (curves on the paper's protocol and a common grid, scores, claims).


rule aggregate:
    input:
        experiment_run_files,
    output:
        expand(f"{TABLES}/{{name}}.csv", name=TABLE_NAMES, allow_missing=True),
    log:
        f"{LOGS}/aggregate/{{experiment}}.log",
    conda:
        CONDA_ENV
    params:
        run_dirs=experiment_run_dirs,
        summary_window=experiment_setting("summary_window"),
        threshold=experiment_setting("threshold"),
        budget=experiment_setting("budget"),
        env=experiment_setting("env"),
        aggregation=config["aggregation"],
    script:
        "../scripts/aggregate.py"


rule provenance:
    input:
        all_run_infos(),
    output:
        f"{RESULTS}/tables/provenance.json",
    log:
        f"{LOGS}/provenance.log",
    conda:
        CONDA_ENV
    params:
        preset=PIPELINE.preset,
        experiments=list(EXPERIMENTS),
    script:
        "../scripts/provenance.py"
