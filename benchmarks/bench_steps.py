"""The default run's training steps with this code against the same steps with an older revision's, side by side.

    python benchmarks/bench_steps.py --before REV [--steps 100] [--rounds 3] [--threads 0]

Each measurement is a fresh process that builds the default run's trainer (``tinykd.train.Trainer``
with ``TrainConfig()``, the shipped data, a throw-away run folder), takes five untimed steps, then
times ``--steps`` more (``Trainer.train_step``: the batch, forward, losses with the retrieval term,
backward, clip, lazy AdamW; no evaluation, no checkpoint). The older revision's ``tinykd/`` comes
from ``git archive REV``; the two take turns, ``--rounds`` times each, so that both see the same
load on a shared machine. Both train on the same batches, so their losses agree to float rounding
(printed). Prints each round's seconds, their medians and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def child(steps: int, threads: int) -> dict:
    """In the measuring process: the default trainer's steps 5 .. 5 + steps, timed."""
    from tinykd import backend
    from tinykd.config import TrainConfig
    from tinykd.train import Trainer

    backend.keep_freed_memory()                                 # as tinykd.train's main does
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(TrainConfig(threads=threads), Path(run_dir) / "run", progress=False)
        for step in range(5):
            trainer.train_step(step)
        start, tokens, losses = time.perf_counter(), 0, []
        for step in range(5, 5 + steps):
            record = trainer.train_step(step)
            tokens += record["tokens"]
            losses.append(float(record["loss"]))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "tokens": tokens, "loss": float(np.mean(losses))}


def run_child(steps: int, threads: int, env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--steps", str(steps), "--threads", str(threads)],
                         env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"the measuring process failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV", help="the older git revision to compare with")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: every core this process may use")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.steps, args.threads)))
        return
    if not args.before:
        parser.error("--before REV is required")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import machine_line, revision_tree

    from tinykd.paths import default_data_dir

    repo = Path(__file__).resolve().parent.parent
    print(machine_line())
    print(f"{args.steps} steps of the default run (after 5 untimed), {args.rounds} rounds, "
          f"threads {args.threads or 'all'}", flush=True)
    results = {"before": [], "now": []}
    with tempfile.TemporaryDirectory() as tmp:
        tree = revision_tree(args.before, Path(tmp) / "before")
        env_now = dict(os.environ) | {"PYTHONPATH": str(repo), "TINYKD_DATA": str(default_data_dir())}
        env_before = env_now | {"PYTHONPATH": str(tree)}
        for round_ in range(args.rounds):
            for name, env in (("before", env_before), ("now", env_now)):
                results[name].append(run_child(args.steps, args.threads, env))
                r = results[name][-1]
                print(f"round {round_ + 1} {name}: {r['seconds']:.1f} s, {r['tokens'] / r['seconds']:,.0f} tokens/s, "
                      f"mean loss {r['loss']:.6f}", flush=True)
    before = float(np.median([r["seconds"] for r in results["before"]]))
    now = float(np.median([r["seconds"] for r in results["now"]]))
    print("\n| code | seconds for the steps (median of rounds) | rounds |")
    print("|---|---|---|")
    for name, median in (("before (" + args.before + ")", before), ("now", now)):
        rounds = results["before" if name.startswith("before") else "now"]
        seconds = ", ".join(f"{r['seconds']:.1f}" for r in rounds)
        print(f"| {name} | {median:.1f} | {seconds} |")
    print(f"now / before = {now / before:.2f}x the time ({before / now:.2f}x as fast); "
          f"{1e3 * now / args.steps:.0f} ms a step now, {1e3 * before / args.steps:.0f} before")


if __name__ == "__main__":
    main()
