"""What a pipeline job runs, called by the Snakemake scripts and the `iam-repro` CLI:

- `training`: one training run from its resolved config to a finished run folder (resumes).
- `provenance`: the build's provenance (preset, code version, every run's digest).
- `log`: job log files, never left half-written under their name.
- `errors`: the user-fixable errors a job stops on with their message alone.

The library below (config, envs, models, ppo, io, analysis) knows nothing of jobs.
"""
