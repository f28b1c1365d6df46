# Tables -> figures. Plotting never trains: a change here only re-renders.


rule plot_fig5:
    input:
        summary=TABLES + "/curves_summary.csv",
    output:
        FIGURES + "/fig5.png",
    params:
        env=experiment_setting("env"),
        budget=experiment_setting("budget"),
    conda:
        CONDA_ENV
    log:
        LOGS + "/plot/{experiment}_fig5.log",
    script:
        "../scripts/plot_fig5.py"
