# Tables + figures -> the Jupyter Book. The book's pages only read what the rules made.


rule report:
    input:
        tables=all_tables(),
        claims_overview=CLAIMS_OVERVIEW,
        figures=all_figures(),
        across=ACROSS_TABLE_FILES,
        across_figures=ACROSS_FIGURES,
        # archived builds' tables and figures (report/archive/<name>/tables/)
        archives=archive_files(),
        provenance=f"{RESULTS}/tables/provenance.json",
        sources=report_sources(),
    output:
        BOOK_INDEX,
    log:
        f"{LOGS}/report.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        # Jupyter Book executes the pages' notebooks in a kernel
        mem_mb=4000,
        runtime=60,
    params:
        report_src=lambda wildcards: REPORT_SRC,
        results_dir=lambda wildcards, input: str(Path(input.provenance).parents[1]),
        mathjax_dir=str(Path(workflow.basedir, ".cache", "mathjax", "es5")),
    script:
        "../scripts/report.py"
