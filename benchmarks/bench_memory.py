"""Peak resident memory (ru_maxrss) of training and of encoding, each in a fresh process.

    python benchmarks/bench_memory.py [--steps 30] [--encode-n 100000] [--student-n 20000] [--skip-train]

Each measurement runs in its own child process; the parent reads that child's
peak resident set size from ``os.wait4`` (the kernel's ru_maxrss for exactly
that process), so nothing measured earlier inflates a later figure.

  * baseline: python + numpy + tinykd imported, nothing else;
  * training: ``python -m tinykd.train --steps 30 --eval_every 0 --test_eval false``
    (the default student and batch: 64 pairs since 2026-12-07), i.e. the real loop with its data, the
    teacher vectors, the teacher loaded for the initialisation, the AdamW moments,
    checkpoint and final dev evaluation (on 20 pairs a language, to be short);
  * encoding: ``SentenceEncoder.encode`` of ``--encode-n`` sentences (the corpus's
    English sentences repeated), batch 64, with the static student, and of
    ``--student-n`` (20k: 100k take minutes) with the 3-layer student (pass
    ``--student-n 100000`` for the full figure). The batch's activations do not
    grow with n; what grows is the same for both students. The output alone, n x 384 float32, is 1.5 KB a sentence
    (150 MB for 100k); the rest is the tokenised input, kept whole by encode().
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_line  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

BASELINE = "import numpy, tinykd, tinykd.model, tinykd.inference"

ENCODE = r"""
import sys, time, numpy as np
from tinykd import backend
from tinykd.data import english_sentences, load_tokenizer
from tinykd.inference import SentenceEncoder
from tinykd.model import Encoder, EncoderConfig
n, layers = int(sys.argv[1]), int(sys.argv[2])
base = english_sentences()
sentences = (base * (n // len(base) + 1))[:n]
backend.seed(0)
config = EncoderConfig(vocab_size=15000, hidden_size=384, num_layers=layers, num_heads=12, intermediate_size=1536,
                       output_size=384 if layers == 0 else None, normalize=True)
enc = SentenceEncoder(Encoder(config), load_tokenizer(max_length=256, pad=False), 256)
t = time.perf_counter()
vectors = enc.encode(sentences, batch_size=64, progress=False)
print(f"encoded {vectors.shape} {vectors.dtype} ({vectors.nbytes / 2**20:.0f} MiB) in {time.perf_counter() - t:.0f} s")
"""


def peak_rss(cmd: list[str], timeout: float = 600) -> tuple[float, float, str]:
    """Run ``cmd`` in a child process: (its peak RSS in MiB, seconds, its last output line)."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.time() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        lines = [x for x in out.read().decode(errors="replace").replace("\r", "\n").splitlines() if x.strip()]
    seconds = time.perf_counter() - t
    tail = lines[-1] if lines else ""
    if proc.returncode != 0:
        tail = f"FAILED (exit {proc.returncode}): " + " | ".join(lines[-3:])
    return usage.ru_maxrss / 1024, seconds, tail              # Linux: ru_maxrss is in KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--encode-n", type=int, default=100_000)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--student-n", type=int, default=20_000,
                        help="sentences for the 3-layer student (100k take ~5 min on 2 busy cores; the part of the "
                             "peak that grows with n is the same as the static student's, measured at both sizes)")
    args = parser.parse_args()

    print(machine_line())
    rows = [("baseline: python + numpy + tinykd imported", [sys.executable, "-c", BASELINE])]
    if not args.skip_train:
        out = tempfile.mkdtemp(prefix="tinykd-mem-")
        rows.append((f"training, default student, {args.steps} steps (python -m tinykd.train)",
                     [sys.executable, "-m", "tinykd.train", "--steps", str(args.steps), "--eval_every", "0",
                      "--test_eval", "false", "--eval_pairs", "20", "--checkpoint_every", "1000",
                      "--log_every", "10", "--out", out]))
    for n, layers, label in sorted({(args.student_n, 3, "student 3 layers"), (args.encode_n, 3, "student 3 layers"),
                                    (args.student_n, 0, "static student"), (args.encode_n, 0, "static student")},
                                   key=lambda r: (-r[1], r[0])):
        if layers == 3 and n > args.student_n:
            continue
        rows.append((f"encode {n} sentences, {label}", [sys.executable, "-c", ENCODE, str(n), str(layers)]))

    print(f"\n(the {args.encode_n} x 384 float32 output alone: {args.encode_n * 384 * 4 / 2**20:.0f} MiB)\n")
    print("| run (fresh process each) | peak RSS MiB | wall s | last line of its output |\n|---|---|---|---|")
    for name, cmd in rows:
        rss, seconds, tail = peak_rss(cmd)
        print(f"| {name} | {rss:.0f} | {seconds:.0f} | {tail[:110]} |", flush=True)


if __name__ == "__main__":
    main()
