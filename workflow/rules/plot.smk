# Tables -> figures. Plotting never trains: a change here only re-renders.


rule plot_fig5:
    input:
        summary=f"{TABLES}/curves_summary.csv",
        models=f"{TABLES}/models.csv",
    output:
        f"{FIGURES}/fig5.png",
    log:
        f"{LOGS}/plot/{{experiment}}_fig5.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        env=experiment_setting("env"),
        budget=experiment_setting("budget"),
    script:
        "../scripts/plot_fig5.py"


# The rolling average over episodes of all workers (aggregation.rolling_window_episodes): the
# usual RL learning curve, beside the paper-protocol one of plot_fig5. Its band is the tables'
# bootstrap CI over seeds (aggregation.confidence, aggregation.bootstrap_resamples).
rule plot_rolling:
    input:
        rolling=f"{TABLES}/curves_rolling.csv",
        models=f"{TABLES}/models.csv",
        random_policy=f"{TABLES}/random_policy.csv",
    output:
        f"{FIGURES}/rolling.png",
    log:
        f"{LOGS}/plot/{{experiment}}_rolling.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        env=experiment_setting("env"),
        budget=experiment_setting("budget"),
        aggregation=config["aggregation"],
    script:
        "../scripts/plot_rolling.py"
