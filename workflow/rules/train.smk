# One PPO run per experiment x model x seed.


rule train:
    output:
        monitor=f"{RUN_DIR}/monitor.csv",
        run_info=f"{RUN_DIR}/run.json",
    log:
        f"{LOGS}/train/{{experiment}}/{{env}}/{{model}}/seed_{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{experiment}}/{{env}}/{{model}}/seed_{{seed}}.tsv"
    priority: train_priority
    conda:
        CONDA_ENV
    threads: train_threads
    resources:
        mem_mb=2000,
        runtime=lambda wc, attempt: 24 * 60,
        # 1 when the run's config asks for a GPU (device: cuda or auto), else 0.
        gpu=train_gpus,
    params:
        resolved=training_params,
    script:
        "../scripts/train.py"
