"""Teacher encoding speed: tinykd (NumPy) vs sentence-transformers (PyTorch CPU), side by side.

    pip install -e ".[bench]"   # torch==2.13.0 (CPU build) and sentence-transformers
    python benchmarks/bench_teacher.py [--n 2000] [--repeats 3] [--batch-size 64]

Both encode the same English sentences from the shipped corpus with the same
batch size and the same number of threads, alternating, several repetitions;
it prints the median sentences/second of each, the spread, and the ratio.
Absolute times on a shared machine are noise; the ratio is the result.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer
    from threadpoolctl import threadpool_info

    from tinykd.data import english_sentences
    from tinykd.teacher import load_teacher

    sentences = english_sentences()
    rng = np.random.default_rng(0)
    sentences = [sentences[i] for i in rng.choice(len(sentences), args.n, replace=False)]

    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    ours = load_teacher()
    theirs = SentenceTransformer(str(ours.folder), device="cpu")
    theirs.max_seq_length = ours.max_seq_length

    blas = [f"{i['internal_api']} {i.get('architecture', '')} threads={i['num_threads']}" for i in threadpool_info()]
    print(f"{args.n} sentences, batch {args.batch_size}, torch threads {torch.get_num_threads()}, "
          f"numpy BLAS: {'; '.join(blas)}")

    # agreement first: the two must compute the same thing
    a = ours.encode(sentences[:200], batch_size=args.batch_size)
    b = theirs.encode(sentences[:200], batch_size=args.batch_size, normalize_embeddings=False)
    print(f"max |tinykd - sentence-transformers| over 200 sentences: {np.abs(a - b).max():.2e}")

    times = {"tinykd (NumPy)": [], "sentence-transformers (PyTorch)": []}
    for _ in range(args.repeats):
        t = time.perf_counter()
        ours.encode(sentences, batch_size=args.batch_size, progress=False)
        times["tinykd (NumPy)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        with torch.inference_mode():
            theirs.encode(sentences, batch_size=args.batch_size, show_progress_bar=False)
        times["sentence-transformers (PyTorch)"].append(time.perf_counter() - t)

    print("\n| encoder | sentences/s (median) | spread (min..max) |\n|---|---|---|")
    rate = {}
    for name, ts in times.items():
        rates = [args.n / t for t in ts]
        rate[name] = statistics.median(rates)
        print(f"| {name} | {rate[name]:.1f} | {min(rates):.1f}..{max(rates):.1f} |")
    ratio = rate["tinykd (NumPy)"] / rate["sentence-transformers (PyTorch)"]
    print(f"\ntinykd / sentence-transformers throughput ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
