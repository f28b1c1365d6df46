# Tables + figures -> the Jupyter Book. The book's pages only read what the rules made.


rule report:
    input:
        tables=all_tables(),
        figures=all_figures(),
        provenance=RESULTS + "/tables/provenance.json",
        sources=sorted(str(p) for p in Path(workflow.basedir, "report").rglob("*") if p.is_file() and "_build" not in p.parts),
    output:
        BOOK_INDEX,
    params:
        report_src=str(Path(workflow.basedir, "report")),
        results_dir=RESULTS,
        mathjax_dir=str(Path(workflow.basedir, ".cache", "mathjax", "es5")),
    log:
        LOGS + "/report.log",
    script:
        "../scripts/report.py"
