"""Training steps on the real tokens only against the same steps on the padded grid, side by side.

    python benchmarks/bench_real_tokens.py [--batches 120] [--rounds 3]

Since 2026-12-06 ``Encoder.forward`` carries only a batch's real tokens from the embeddings
to the pooling (tinykd.nn.packing); the layers themselves still take a padded (B, T, C) grid
with its mask, which is how the encoder ran before. This script runs both on the same
weights and the same run of real batches (the default run's first ``--batches`` of its
first epoch, from the shipped data: the length-bucketed batches of the default's
``batch_size`` pairs, 64 since 2026-12-07, that the trainer draws), each step the
trainer's without its retrieval term (forward, the direction-and-length loss on random
targets, zero_grad, backward, clip, lazy AdamW), the two paths taking turns
over all the batches, ``--rounds`` times each, after one untimed round. It prints the padding's
share of the grid, the largest difference between the two paths' sentence vectors on the
first batch (the same weights), each path's seconds, and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_line  # noqa: E402

from tinykd import parallel  # noqa: E402
from tinykd.config import TrainConfig  # noqa: E402
from tinykd.data.pairs import epoch_batches, stack_batch  # noqa: E402
from tinykd.data.tokenizer import load_tokenizer  # noqa: E402
from tinykd.loss import distillation_loss_direction_length  # noqa: E402
from tinykd.model import Encoder, EncoderConfig  # noqa: E402
from tinykd.optim import AdamW, clip_grad_norm  # noqa: E402
from tinykd.trainingset import extra_folders, training_items  # noqa: E402


def padded_forward(model: Encoder, ids, mask):
    """The encoder as it ran before: every layer on the whole (B, T) grid, padding included."""
    x = model.embeddings(ids)                                   # (B, T, C)
    x = model.encoder(x, mask)                                  # (B, T, C)
    return model.pooling(x, mask)                               # (B, C)


def padded_backward(model: Encoder, dy) -> None:
    dx = model.pooling.backward(dy)                             # (B, T, C)
    model.embeddings.backward(model.encoder.backward(dx))


def step(model, optimizer, batch, targets, padded: bool) -> float:
    ids, mask, english_index, english_of = batch
    vectors = padded_forward(model, ids, mask) if padded else model(ids, mask)
    loss, _, _, dvectors = distillation_loss_direction_length(vectors, targets[:len(english_index)], english_of, 2.0)
    model.zero_grad()
    padded_backward(model, dvectors) if padded else model.backward(dvectors)
    grads = model.gradients()
    rows = model.embedding_rows()                               # as tinykd.train: clip and AdamW read only these
    clip_grad_norm(grads, 1.0, rows)
    optimizer.step(grads, 1e-5, rows=rows)
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    parallel.set_threads(0)
    config = TrainConfig()
    items = training_items(config, extra_folders(config), load_tokenizer(None))
    rows = epoch_batches(items, config.batch_size, config.seed, 0, config.pairs_per_english)[:args.batches]
    batches = [stack_batch(items, r) for r in rows]
    real = sum(int(b[1].sum()) for b in batches)
    grid = sum(b[1].size for b in batches)
    print(machine_line())
    print(f"{len(batches)} batches of the default run: {real:,} real tokens in a grid of {grid:,} "
          f"({1 - real / grid:.1%} padding)")
    model = Encoder(EncoderConfig(vocab_size=load_tokenizer(None).get_vocab_size(), num_layers=2, dropout=0.0,
                                  normalize=False))
    model.train()
    optimizer = AdamW(model.parameters(), lr=1e-5, weight_decay=0.01)
    targets = np.random.default_rng(0).standard_normal((config.batch_size, 384)).astype(np.float32)
    ids, mask = batches[0][:2]
    before, now = padded_forward(model, ids, mask), model(ids, mask)
    print(f"first batch's sentence vectors, padded vs real tokens: largest difference "
          f"{np.abs(before - now).max():.1e} (largest entry {np.abs(before).max():.1e})")
    seconds = {True: [], False: []}
    for round_ in range(args.rounds + 1):
        for padded in (True, False):
            start = time.perf_counter()
            for b in batches:
                step(model, optimizer, b, targets, padded)
            if round_:                                          # round 0 warms up, untimed
                seconds[padded].append(time.perf_counter() - start)
    padded_s, real_s = np.median(seconds[True]), np.median(seconds[False])
    print("| path | seconds for the batches (median of rounds) | rounds |")
    print("|---|---|---|")
    print(f"| padded grid (before) | {padded_s:.2f} | {', '.join(f'{s:.2f}' for s in seconds[True])} |")
    print(f"| real tokens only (now) | {real_s:.2f} | {', '.join(f'{s:.2f}' for s in seconds[False])} |")
    print(f"real tokens / padded = {real_s / padded_s:.2f}x the time ({padded_s / real_s:.2f}x as fast)")


if __name__ == "__main__":
    main()
