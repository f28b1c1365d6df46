# A uniformly random policy in each experiment's environment: the level its runs must beat
# (vs_random.csv, and the dashed line of the rolling figure).


rule random_baseline:
    output:
        f"{RESULTS}/baselines/{{experiment}}/random_episodes.csv",
    log:
        f"{LOGS}/random_baseline/{{experiment}}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        env=experiment_setting("env"),
        num_workers=experiment_num_workers,
        episodes=experiment_random_episodes,
    script:
        "../scripts/random_baseline.py"
