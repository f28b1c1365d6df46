"""benchmarks/fingerprint.py (the guard rail of speed work) and bench_training.py, run on tiny
budgets: the fingerprint is the training's result and nothing else, and the benchmark runs."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
STEPS = ["--steps", "128"]  # one update of 8 x 128 transitions


def _script(name: str) -> Iterator[ModuleType]:
    """A benchmark module, imported as its script would be (benchmarks/ on sys.path)."""
    threads = torch.get_num_threads()
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        yield importlib.import_module(name)
    torch.set_num_threads(threads)  # the scripts train on one thread


@pytest.fixture(scope="module")
def fingerprint() -> Iterator[ModuleType]:
    yield from _script("fingerprint")


@pytest.fixture(scope="module")
def bench_training() -> Iterator[ModuleType]:
    yield from _script("bench_training")


@pytest.fixture(scope="module")
def kernel_portability() -> Iterator[ModuleType]:
    yield from _script("kernel_portability")


@pytest.fixture(scope="module")
def bench_batched_seeds() -> Iterator[ModuleType]:
    yield from _script("bench_batched_seeds")


def test_fingerprints_repeat_and_catch_any_change(fingerprint, tmp_path, capsys):
    saved = tmp_path / "before.json"
    args = ["--models", "FNN1", *STEPS]
    assert fingerprint.main([*args, "--save", str(saved)]) == 0
    prints = json.loads(saved.read_text())["FNN1"]
    assert set(prints) == {"monitor", "weights"}
    assert fingerprint.main([*args, "--compare", str(saved)]) == 0  # training is deterministic
    assert "same" in capsys.readouterr().out

    # One changed bit in the weights' digest, as a changed result would give: reported, rc 1.
    saved.write_text(json.dumps({"FNN1": {**prints, "weights": "0" + prints["weights"][1:]}}))
    assert fingerprint.main([*args, "--compare", str(saved)]) == 1
    captured = capsys.readouterr()
    assert "CHANGED" in captured.out and "FNN1" in captured.err


def test_monitor_digest_ignores_wall_time_only(fingerprint, tmp_path):
    header = '#{"t_start": 1.0, "env_id": "warehouse"}\nr,l,t,worker,step\n'
    log = tmp_path / "monitor.csv"
    log.write_text(header + "13.0,100,0.5,0,100\n")
    first = fingerprint.monitor_digest(log)
    log.write_text(header.replace("1.0", "2.0") + "13.0,100,9.25,0,100\n")
    assert fingerprint.monitor_digest(log) == first
    log.write_text(header + "12.0,100,0.5,0,100\n")
    assert fingerprint.monitor_digest(log) != first
    # `upto` (a writer's tell()) reads the rows written so far, not those appended after.
    log.write_text(header + "13.0,100,0.5,0,100\n")
    written = log.stat().st_size
    log.write_text(header + "13.0,100,0.5,0,100\n" + "14.0,100,0.7,1,100\n")
    assert fingerprint.monitor_digest(log, upto=written) == first != fingerprint.monitor_digest(log)


def test_bench_training_prints_a_ratio_per_model(bench_training, capsys):
    bench_training.main(["--models", "FNN1", "IAM", *STEPS, "--repeats", "2"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0] for row in rows] == ["FNN1", "IAM"]
    for row in rows:
        transitions_per_s, ratio = float(row[1].replace(",", "")), float(row[4])
        low, high = (float(x) for x in row[5].split("-"))
        assert transitions_per_s > 0 and 0 < low <= ratio <= high
        rollout_ratio, update_ratio, model_alone = (float(x) for x in row[8:11])
        assert rollout_ratio > 0 and update_ratio > 0 and model_alone > 0


def test_update_flops_by_phase_match_a_hand_count(bench_training):
    """Warehouse FNN1 (73 -> 640 -> 256, heads 4 + 1; no biases but the value head's, which
    FLOP counters leave out): a row's forward is 2 x 211,840 FLOPs. The rollout does 128
    forwards of 8 rows; a minibatch of 256 rows does the forward and, in the backward, the
    gradient of every weight and of every layer's input except the observation."""
    from iam_repro.ppo.config import PPOConfig

    ppo = PPOConfig.from_dict({"num_workers": 8, "memory_size": 128, "batch_size": 32})
    flops = bench_training.update_flops({"kind": "fnn", "hidden": [640, 256]}, ppo, 73, 4)
    row = 2 * (73 * 640 + 640 * 256 + 256 * 4 + 256)
    assert flops.rollout == 128 * 8 * row
    first_layer_input_grad = 2 * 256 * 73 * 640
    minibatch = 256 * row + (2 * 256 * row - first_layer_input_grad)
    assert flops.update == ppo.num_epoch * ppo.num_minibatches * minibatch == 12 * minibatch
    assert flops.total == flops.rollout + flops.update


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a CPU-only machine")
def test_bench_training_on_cuda_without_a_gpu_says_so(bench_training, capsys):
    with pytest.raises(SystemExit):
        bench_training.main(["--models", "FNN1", *STEPS, "--device", "cuda"])
    assert "torch sees no CUDA device" in capsys.readouterr().err


def test_batched_seeds_are_independent_networks(bench_batched_seeds):
    """Seed s of the batched model computes what its own weights alone compute: the batch
    only shares calls, never numbers between seeds."""
    torch.manual_seed(0)
    model = bench_batched_seeds.BatchedFNN(3, 5, [7, 6], 4)
    obs = torch.randn(3, 2, 5)
    logits, values = model(obs)
    assert logits.shape == (3, 2, 4) and values.shape == (3, 2, 1)
    for s in range(3):
        x = obs[s]
        for weight in model.layers:
            x = torch.relu(x @ weight[s].T)
        torch.testing.assert_close(logits[s], x @ model.policy[s].T)
        torch.testing.assert_close(values[s], x @ model.value[s].T + model.value_bias[s])


def test_bench_batched_seeds_prints_a_row_per_seed_count(bench_batched_seeds, capsys):
    bench_batched_seeds.main(["--seeds", "1", "2", "--seconds", "0.05"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[0] for row in rows] == ["1", "2"]
    assert rows[0][-1] == "1.00x"
    assert all(float(row[-2].replace(",", "")) > 0 for row in rows)


def test_kernel_probe_repeats_and_names_the_operation_that_differs(
    kernel_portability, tmp_path, capsys
):
    saved = tmp_path / "kernels.json"
    assert kernel_portability.main(["--save", str(saved)]) == 0
    digests = json.loads(saved.read_text())
    assert {"linear 8x73x640", "sqrt (Adam)", "LSTM forward", "conv forward"} <= set(digests)
    assert kernel_portability.main(["--compare", str(saved)]) == 0  # same machine, same bits
    assert f"0 of {len(digests)} operations differ" in capsys.readouterr().out
    saved.write_text(json.dumps({**digests, "sqrt (Adam)": "0" * 16}))
    assert kernel_portability.main(["--compare", str(saved)]) == 1
    assert "1 of" in capsys.readouterr().out.splitlines()[-1]


def test_aggregate_scale_benchmark_reports_each_size(capsys):
    """The synthetic paper-scale logs go through the aggregate's own calls: one row per size,
    with the episode count the size implies (12 runs x 8 workers x episodes per worker)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        bench = importlib.import_module("bench_aggregate_scale")
    assert bench.main(["--fractions", "0.0005", "0.001"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[1] for row in rows] == ["1,920", "3,840"]  # 2,000 and 4,000 steps / 100


def test_atari_training_benchmark_prints_each_setting_and_parses_names(capsys):
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        bench = importlib.import_module("bench_atari_training")
    assert bench.setting("fp32") == ("fp32", "wrappers", 1)
    assert bench.setting("bf16-vec") == ("bf16", "vector", 1)
    assert bench.setting("bf16-t3") == ("bf16", "vector", 3)
    with pytest.raises(Exception, match="unknown setting"):
        bench.setting("fp16")
    bench.main([*STEPS, "--models", "FNN4", "--settings", "fp32", "bf16-t2"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[:2] for row in rows] == [["FNN4", "fp32"], ["FNN4", "bf16-t2"]]
    assert rows[0][-3:] == ["1.00", "1.00", "1.00"]  # the first setting is the base


def test_atari_plan_arithmetic_by_hand(capsys):
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        plan = importlib.import_module("atari_plan")
    plan.main(
        ["--emulation", "2000", "--cpu", "A=1000", "B=500", "--gpu-rate", "4000"]
        + ["--day-models", "A", "B", "--day-seeds", "3"]
    )
    out = capsys.readouterr().out
    # 8e7 transitions at 1,000/s = 22.2 h, at 500/s = 44.4 h; 6 experiments x 5 seeds of each:
    # 30 x 66.7 = 2,000 core-hours, 5.2 days on 16 cores.
    assert "22 h per run" in out and "44 h per run" in out
    assert "2,000 core-hours; on 16 cores 5.2 days" in out
    # 4,000 / 2,000 = 2 emulation threads + 1: 3 cores per run, 5 at once; 60 runs, 12 waves
    # of 5.6 h = 2.8 days.
    assert "`threads: 3`, 5 runs at once" in out and "12 waves: 2.8 days" in out
    # A day at B's 500/s, 90 % of it: 500 x 86,400 x 0.9 / 8 = 4.86M steps per worker, in
    # whole 25,600s: 4,838,400 (48 % of the paper's 1e7).
    assert "A/B x 3 seeds = 6 runs" in out and "4,838,400 steps per worker (48%" in out


def test_job_cores_benchmark_pins_the_job_and_counts_its_children(capsys):
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        bench = importlib.import_module("bench_job_cores")
    bench.main(["--experiment", "traffic", "--model", "FNN1", "--steps", "128", "--cores", "1"])
    (row,) = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    cores, _wall, _rate, cpu, busy, speed = row
    assert cores == "1" and speed == "1.00"
    assert float(cpu) > 0 and float(busy) <= 1.1  # pinned to one core: at most one busy


def test_learning_vs_random_judges_each_step_from_the_episodes_before_it(tmp_path, capsys):
    """A run whose episodes score 0 up to step 1,000 and 5 after: not above a random policy
    scoring 0 or 1 at 1,000, above it at 2,000, and not reached at 3,000."""
    import numpy as np

    from iam_repro.io.monitor import MonitorWriter

    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        bench = importlib.import_module("learning_vs_random")
    run = tmp_path / "IAM" / "seed_3"
    run.mkdir(parents=True)
    steps = np.arange(10, 2001, 10)  # 200 episodes, one every 10 steps
    returns = np.where(steps <= 1000, 0.0, 5.0)
    with MonitorWriter(run / "monitor.csv.partial", "atari", t_start=0.0) as log:
        log.write(returns, [10] * 200, steps / 100.0, [0] * 200, steps)
    random = tmp_path / "random_episodes.csv"
    random.write_text(
        "worker,episode,return,length\n" + "".join(f"0,{i},{i % 2},10\n" for i in range(100))
    )
    bench.main(["--random", str(random), "--at", "1000,2000,3000", str(run)])
    lines = capsys.readouterr().out.splitlines()[2:]
    assert lines[0].split()[:4] == ["IAM/3", "1,000", "100", "0.00"]
    assert lines[0].endswith("below random")  # 0 against a mean of 0.5
    assert lines[1].split()[:4] == ["IAM/3", "2,000", "100", "5.00"]
    assert lines[1].endswith("above random")
    assert lines[2].endswith("(not reached)")


def test_compare_builds_says_equal_when_the_difference_ci_holds_zero(tmp_path, capsys):
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        bench = importlib.import_module("compare_builds")

    def build(name: str, fnn: list[float], iam: list[float]) -> Path:
        folder = tmp_path / name / "tables" / "exp"
        folder.mkdir(parents=True)
        rows = [("FNN4", s, r) for s, r in enumerate(fnn)] + [
            ("IAM", s, r) for s, r in enumerate(iam)
        ]
        pd.DataFrame(rows, columns=["model", "seed", "final_return"]).to_csv(
            folder / "final_scores.csv", index=False
        )
        return tmp_path / name

    a = build("a", [2.0, 2.5, 3.0], [1.0, 1.1, 1.2])
    b = build("b", [2.2, 2.4, 3.1], [5.0, 5.1, 5.2])  # FNN4 alike; IAM 4 higher in every seed
    assert bench.main([str(a), str(b), "--experiment", "exp"]) == 1
    lines = capsys.readouterr().out.splitlines()[2:]
    assert lines[0].startswith("FNN4") and lines[0].endswith("equal within the CIs")
    assert "+0.07" in lines[0]  # (2.2 + 2.4 + 3.1 - 2.0 - 2.5 - 3.0) / 3
    assert lines[1].startswith("IAM") and lines[1].endswith("differ") and "+4.00" in lines[1]


@pytest.fixture(scope="module")
def bootstrap_coverage() -> Iterator[ModuleType]:
    yield from _script("bootstrap_coverage")


def test_two_seeds_bootstrap_covers_about_half(bootstrap_coverage):
    # With 2 seeds the percentile interval is the seeds' range, which holds the centre of a
    # symmetric distribution with probability 1 - 2 * (1/2)^2 = 1/2; the t interval keeps 95 %.
    result = bootstrap_coverage.coverage(2, trials=400, resamples=200, rng=np.random.default_rng(0))
    assert result["bootstrap mean"] == pytest.approx(0.5, abs=0.08)
    assert result["t mean"] == pytest.approx(0.95, abs=0.04)
    # The difference's columns measure different intervals: the bootstrap's (about 68 % with 2
    # seeds each, docs/benchmarks.md) is well below Welch's.
    assert result["bootstrap diff"] < 0.85 < result["Welch diff"]
