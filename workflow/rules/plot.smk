# Tables -> figures. Plotting never trains: a change here only re-renders.


rule plot_fig5:
    input:
        summary=f"{TABLES}/curves_summary.csv",
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
