# Tables -> figures. Plotting never trains: a change here only re-renders.


rule plot_fig5:
    input:
        summary=TABLES + "/curves_summary.csv",
    output:
        FIGURES + "/fig5.png",
    log:
        LOGS + "/plot/{experiment}_fig5.log",
    conda:
        CONDA_ENV
    params:
        env=experiment_setting("env"),
        budget=experiment_setting("budget"),
    script:
        "../scripts/plot_fig5.py"
