"""Snakemake adapter: a uniformly random policy's episodes in one experiment's env (rule
random_baseline)."""

import time

from iam_repro.io.atomic import write_csv_atomic
from iam_repro.jobs.errors import user_errors
from iam_repro.jobs.log import line_logger
from iam_repro.jobs.random_policy import random_policy_episodes

sm = snakemake  # noqa: F821 (injected by Snakemake)
step = f"the random-policy baseline of experiment '{sm.wildcards.experiment}'"
with user_errors(step), line_logger(sm.log[0]) as emit:
    env = sm.params.env
    start = time.perf_counter()
    episodes = random_policy_episodes(
        env["name"], env.get("options", {}), sm.params.num_workers, sm.params.episodes
    )
    write_csv_atomic(episodes, sm.output[0])
    emit(
        f"{len(episodes)} episodes of a uniformly random policy: mean return "
        f"{episodes['return'].mean():.3f} ({time.perf_counter() - start:.0f} s); "
        f"wrote {sm.output[0]}"
    )
