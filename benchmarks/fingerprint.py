"""Fingerprints of short fixed-seed training runs: the guard rail of every speed change.

    .venv/bin/python benchmarks/fingerprint.py [--experiment warehouse] [--steps 1024]
        [--models FNN1 IAM] [--save before.json | --compare before.json]

Each model of the experiment (seed 0) trains ``--steps`` per-worker steps through the pipeline's
own ``train()``. Its fingerprint is two SHA-256 digests: of the monitor log without its
wall-clock column ``t`` (the episodes: returns, lengths, workers, steps) and of the final
checkpoint's policy and optimiser tensors (every float bit of the learned weights). A speed
change that keeps results must leave both unchanged: ``--save`` them before the change,
``--compare`` after it. The digests depend on the machine's float kernels (torch, MKL/oneDNN,
CPU), so compare only on one machine, never against digests from elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from paper_runs import paper_runs, with_steps

from iam_repro.ppo.checkpoint import load_checkpoint
from iam_repro.ppo.fingerprint import monitor_digest, weights_digest
from iam_repro.ppo.trainer import train


def fingerprint(resolved: dict) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        monitor, checkpoint = Path(tmp) / "monitor.csv", Path(tmp) / "checkpoint.pt"
        train(
            resolved,
            monitor,
            emit=lambda _line: None,
            progress_interval_s=1e9,
            checkpoint_path=checkpoint,
            checkpoint_interval_s=1e9,  # only the last update boundary is kept
        )
        return {
            "monitor": monitor_digest(monitor),
            "weights": weights_digest(load_checkpoint(checkpoint)),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="warehouse")
    parser.add_argument("--steps", type=int, default=1024, help="per-worker steps per model")
    parser.add_argument("--models", nargs="*", help="subset of model names")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--save", type=Path, help="write the fingerprints to this JSON file")
    group.add_argument("--compare", type=Path, help="compare with fingerprints saved earlier")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    expected = json.loads(args.compare.read_text()) if args.compare else {}
    found, changed = {}, []
    for run in paper_runs(args.experiment, args.models):
        cpu_start = time.process_time()
        found[run.model] = prints = fingerprint(with_steps(run, args.steps))
        cpu_s = time.process_time() - cpu_start
        before = expected.get(run.model)
        verdict = "" if before is None else ("same" if before == prints else "CHANGED")
        if verdict == "CHANGED":
            changed.append(run.model)
        print(
            f"{run.model:<11} monitor {prints['monitor'][:16]}  weights "
            f"{prints['weights'][:16]}  {cpu_s:6.1f} CPU s  {verdict}"
        )
    if args.save:
        args.save.write_text(json.dumps(found, indent=1) + "\n")
    if changed:
        print(f"results changed for: {', '.join(changed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
