"""What the book's pages (``report/*.md``) call: the book only reads what the pipeline wrote.

Modules, from the bottom up (each imports only those above it in this list):

- ``formatting``: numbers, intervals and durations as the book prints them.
- ``results``: locating and loading ``results/`` (tables with their column contract,
  provenance.json).
- ``markup``: HTML building blocks (table renderer, verdict badges, notices, headings).
- ``tables_html``: each result table's columns, headers and formats.
- ``provenance``: provenance.json as the Provenance page's tables.
- ``prose``: sentences the pages quote, made from tables.
- ``archive``: archived comparison tables for the Methods page.
- ``chapters``: the warehouse and traffic chapters (load, glue, show).
- ``book``: ``build_book``, the report rule's jupyter-book build.

Nothing here trains or aggregates: what the book shows that is not a copy of a table is made
by a rule (``compute_models.csv``, ``claims_overview.csv``; see ``iam_repro.analysis.compute``
and ``iam_repro.analysis.overview``).
"""
