# Archived builds: report/archive/<name>/tables/ holds tables copied unchanged from another
# build's results/tables/ (the paper-scale runs: report/archive/paper_scale/README.md). They are
# copied into results/archive/<name>/ and drawn by this build's own plot scripts, so that the
# book shows them beside this build's results without retraining anything.


# A copy of a small file: a cluster job for each would cost more than the copy.
localrules:
    archive_table,


rule archive_table:
    input:
        f"{ARCHIVE_SRC}/{{archive}}/tables/{{file}}",
    output:
        f"{ARCHIVE_OUT}/tables/{{file}}",
    log:
        f"{LOGS}/archive/{{archive}}/{{file}}.log",
    wildcard_constraints:
        file=r"[A-Za-z0-9_\-/.]+\.(csv|json)",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    # A copy under a temporary name, then a rename: never a half-written table.
    shell:
        "(cp {input:q} {output:q}.tmp && mv {output:q}.tmp {output:q}) > {log:q} 2>&1"


use rule plot_fig5 as plot_archive_fig5 with:
    input:
        summary=f"{ARCHIVE_TABLES}/curves_summary.csv",
        models=f"{ARCHIVE_TABLES}/models.csv",
    output:
        f"{ARCHIVE_OUT}/figures/{{experiment}}/fig5.png",
    log:
        f"{LOGS}/archive/{{archive}}/plot/{{experiment}}_fig5.log",
    params:
        env=archive_env,
        budget=archive_budget,


use rule plot_rolling as plot_archive_rolling with:
    input:
        rolling=f"{ARCHIVE_TABLES}/curves_rolling.csv",
        models=f"{ARCHIVE_TABLES}/models.csv",
        random_policy=f"{ARCHIVE_TABLES}/random_policy.csv",
    output:
        f"{ARCHIVE_OUT}/figures/{{experiment}}/rolling.png",
    log:
        f"{LOGS}/archive/{{archive}}/plot/{{experiment}}_rolling.log",
    params:
        env=archive_env,
        budget=archive_budget,
        aggregation=config["aggregation"],
