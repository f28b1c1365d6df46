"""Job logs: written under `.partial` while running, renamed when the job ends."""

from __future__ import annotations

import re

import pytest

from iam_repro.jobs.log import line_logger, partial_path

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "


def test_a_running_log_lives_under_partial_and_is_renamed_at_the_end(tmp_path):
    log = tmp_path / "logs/train.log"
    with line_logger(log) as emit:
        emit("first")
        assert not log.exists()
        assert partial_path(log).read_text().endswith("first\n")
    assert not partial_path(log).exists()
    assert re.fullmatch(STAMP + "first\n", log.read_text())


def test_a_failing_job_log_ends_with_its_traceback(tmp_path):
    log = tmp_path / "job.log"
    with pytest.raises(ZeroDivisionError), line_logger(log) as emit:
        emit("about to fail")
        1 / 0  # noqa: B018
    text = log.read_text()
    assert "about to fail" in text and text.rstrip().endswith("ZeroDivisionError: division by zero")
    assert not partial_path(log).exists()


def test_a_killed_attempt_is_continued_by_the_next_one(tmp_path):
    log = tmp_path / "job.log"
    partial_path(log).write_text("2026-01-01 00:00:00 step 100 (then kill -9)\n")
    with line_logger(log) as emit:
        emit("resumed")
    lines = log.read_text().splitlines()
    assert lines[0].endswith("(then kill -9)")
    assert "previous attempt ended without closing this log" in lines[1]
    assert lines[2].endswith("resumed")


def test_a_rerun_keeps_the_earlier_finished_log(tmp_path):
    log = tmp_path / "job.log"
    with line_logger(log) as emit:
        emit("attempt 1")
    with line_logger(log) as emit:
        assert not log.exists()
        emit("attempt 2")
    lines = log.read_text().splitlines()
    assert [line[20:] for line in lines] == ["attempt 1", "--- new attempt ---", "attempt 2"]
