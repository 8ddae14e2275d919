"""Faults: ``python -m tinykd.train`` killed with SIGKILL at random moments, resumed each time.

A short training (the tiny synthetic corpus of tests/test_train.py, 100 steps, a checkpoint every
2 steps, a log record every step, dropout on) runs in a subprocess and is killed with ``kill -9``
more than 20 times: during the start-up, while a checkpoint is being written (the moment its
temporary file appears), a few steps after the last checkpoint, and while the final model is
written. After each kill the next process continues: ``--resume`` (or ``--resume --restart``
when the run had no checkpoint yet, or ``--out`` again when it had not even started). At the end
the weights must equal those of an uninterrupted run, the log must read as one run, and no
temporary file of a killed process may be left.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file
from tiny_corpus import make_tiny_data

from tinykd.files import TEMPORARY
from tinykd.model import Encoder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
STEPS = 100
KILLS = 24                        # at least 20 are required; the schedule below makes 24, then one more
RUN = dict(init="random", hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_length=16,
           batch_size=8, steps=STEPS, eval_every=20, eval_pairs=10, checkpoint_every=2, log_every=1,
           test_eval="true", lr=3e-3, seed=3, dropout=0.1, retrieval_negatives=16)


def command(run: Path, data: Path) -> list[str]:
    """The command that starts or continues ``run``, by what the folder holds."""
    base = [sys.executable, "-m", "tinykd.train"]
    if not (run / "config.json").exists():
        options = {**RUN, "data_dir": data}
        return [*base, "--out", str(run), *[x for key, value in options.items() for x in (f"--{key}", str(value))]]
    if not (run / "checkpoint.safetensors").exists():
        return [*base, "--resume", str(run), "--restart"]
    return [*base, "--resume", str(run)]


def last_logged_step(run: Path) -> int:
    try:
        lines = (run / "log.jsonl").read_bytes().split(b"\n")
    except FileNotFoundError:
        return -1
    for line in reversed(lines):
        try:
            return json.loads(line)["step"]
        except (ValueError, KeyError):
            continue
    return -1


def log_state(run: Path):
    """What tells the log a process rewrote or appended to from the log it found: (inode, size)."""
    try:
        info = (run / "log.jsonl").stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_size


def checkpoint_step(run: Path) -> int:
    path = run / "checkpoint.safetensors"
    if not path.exists():
        return 0
    from safetensors import safe_open
    with safe_open(str(path), framework="np") as f:              # a whole file: a kill never tears it
        return int(f.metadata()["step"])


def wait_until(process, condition, timeout: float = 60.0, poll: float = 0.002) -> bool:
    """Poll ``condition()`` until it holds (True) or the process ends or the time runs out (False)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(poll)
    return False


def segment(run: Path, data: Path, log: Path, mode: str, rng: random.Random) -> str:
    """Start the next process and kill it in the way ``mode`` says; returns what happened."""
    found = log_state(run)                                       # records of the killed process: not progress
    with open(log, "ab") as err:
        process = subprocess.Popen(command(run, data), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
    temporary = lambda name: run / f".{name}.tmp{process.pid}"     # noqa: E731
    if mode == "start-up":                                       # before its first log record, or earlier
        wait_until(process, lambda: log_state(run) != found, timeout=rng.uniform(0.0, 1.5))
        hit = True
    elif mode == "checkpoint write":
        nth, seen = rng.randint(1, 2), 0
        while True:
            hit = wait_until(process, lambda: temporary("checkpoint.safetensors").exists(), poll=0.0005)
            seen += hit
            if not hit or seen == nth:
                break
            wait_until(process, lambda: not temporary("checkpoint.safetensors").exists())
    elif mode == "after a step":
        target = min(STEPS - 1, checkpoint_step(run) + rng.randint(1, 5))
        hit = wait_until(process, lambda: log_state(run) != found and last_logged_step(run) >= target)
        time.sleep(rng.uniform(0.0, 0.01))
    else:                                                        # "model write": the last moments of a run
        hit = wait_until(process, lambda: temporary("model.safetensors").exists(), timeout=120, poll=0.0005)
    if hit and process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return "killed"
    process.wait()
    return f"ended by itself ({process.returncode})"


def test_sigkill_at_random_moments_then_resume_gives_the_weights_of_an_uninterrupted_run(tmp_path):
    started = time.time()
    data = make_tiny_data(tmp_path / "data")
    straight, run, log = tmp_path / "straight", tmp_path / "run", tmp_path / "stderr.txt"
    done = subprocess.run(command(straight, data), cwd=ROOT, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-3000:]

    rng = random.Random(20261212)
    schedule = ["start-up"] * 5 + ["checkpoint write"] * 7 + ["after a step"] * 12
    rng.shuffle(schedule)
    kills: dict[str, int] = {}
    for mode in [*schedule, "model write"]:
        if (run / "model.safetensors").exists() and mode != "model write":
            break                                                # finished early (a slow kill): stop killing
        outcome = segment(run, data, log, mode, rng)
        print(f"{mode}: {outcome}, checkpoint at step {checkpoint_step(run)}")
        assert outcome in ("killed", "ended by itself (0)"), log.read_text()[-3000:]
        if outcome == "killed":
            kills[mode] = kills.get(mode, 0) + 1
        if (run / "checkpoint.safetensors").exists():
            load_file(str(run / "checkpoint.safetensors"))       # never half a file
    finished = subprocess.run(command(run, data), cwd=ROOT, capture_output=True, timeout=300)   # to the end
    assert finished.returncode == 0, finished.stderr.decode()[-3000:]
    seconds = time.time() - started
    print(f"\n{sum(kills.values())} kills ({kills}), then resumed to the end: {seconds:.0f} s")
    assert sum(kills.values()) >= 20, kills
    assert kills.get("checkpoint write", 0) >= 3, kills

    a = Encoder.load(straight / "model.safetensors").state_dict()
    b = Encoder.load(run / "model.safetensors").state_dict()
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().split("\n")[:-1]]
    steps = [r["step"] for r in records if r["kind"] == "train"]
    assert steps == list(range(1, STEPS + 1))                    # one run: no step twice, none missing
    assert [r["step"] for r in records if r["kind"] == "dev"] == list(range(0, STEPS + 1, 20))
    assert not [p.name for p in run.iterdir() if TEMPORARY.match(p.name)]
    assert "taken over" in log.read_text()                       # the killed processes' locks
    assert os.path.getsize(run / ".lock") == 0                   # and the last process let go
