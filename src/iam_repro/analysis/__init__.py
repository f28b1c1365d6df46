"""Pure functions on tidy tables, one module per job (import from the module itself):

- `curves`: a run's episodes -> paper-protocol and rolling curves, final score, AUC, threshold.
- `stats`: bootstrap means and CIs across seeds.
- `roles`: models by role (order, lookup, the paper's lines under an experiment's names).
- `claims`: the registry's checks judged on an experiment's scores.
- `tables`: an experiment's runs -> all its tables (`experiment_tables`).
- `fig5`, `plots`: the paper's Fig. 5 rows and the figures (plot functions return Axes/Figure).
- `reliable`: statistics across experiments (IQM, probability of improvement, performance
  profiles, stratified bootstrap); `across`, `across_plots`: their tables and figures.

Nothing here reads or writes files: `iam_repro.io` loads runs, workflow scripts write tables.
"""
