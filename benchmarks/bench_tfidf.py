"""The character 3-gram TF-IDF reference of a test split, side by side: its definition against tinykd's.

    python benchmarks/bench_tfidf.py [--domains data,data/wesnoth,data/biblepd] [--repeats 1]

The reference (``tinykd.evaluate.tfidf_reference``, next to every model in the trainer's test table) is
defined by dense vectors: each set's texts hashed into 32768 buckets, TF-IDF weighted, unit length,
cosines as a (m, 32768) @ (32768, m) product (``char_trigram_tfidf`` + ``translation_accuracy``). tinykd
computes the same accuracies without those vectors: every text's 3-grams at once (``trigram_bags``) and
only the products of buckets two texts share (``tfidf_hits``). Both run on the same sets in one
process, one after the other on each split; the accuracies must agree exactly (the script stops
otherwise), and the time is the best of ``--repeats``. The ratio is the result; absolute times on
a shared machine are noise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_line  # noqa: E402

from tinykd.data.corpus import load_corpus  # noqa: E402
from tinykd.evaluate import (  # noqa: E402
    SET_SIZE,
    char_trigram_tfidf,
    evaluation_pairs,
    tfidf_reference,
    translation_accuracy,
)


def dense_reference(pairs) -> dict[str, float]:
    """The definition: per set of up to 1000 pairs, the (2m, 32768) TF-IDF vectors and their cosines."""
    out = {}
    for lang, ps in evaluation_pairs(pairs).items():
        correct = [0.0, 0.0]
        for start in range(0, len(ps), SET_SIZE):
            english = [p.english for p in ps[start:start + SET_SIZE]]
            translations = [p.translation for p in ps[start:start + SET_SIZE]]
            vectors = char_trigram_tfidf(english + translations)                  # (2m, 32768)
            acc = translation_accuracy(vectors[:len(english)], vectors[len(english):], len(english),
                                       english, translations)
            correct = [correct[0] + acc[0] * len(english), correct[1] + acc[1] * len(english)]
        out[lang] = (correct[0] / len(ps), correct[1] / len(ps))
    return out


def best_time(fn, pairs, repeats: int):
    """(best seconds of ``fn(pairs)`` over ``repeats``, its result)."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(pairs)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--domains", default="data,data/wesnoth,data/biblepd",
                        help="comma-separated corpus folders; their test splits are measured")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    print(machine_line())
    print("| test split | pairs | definition (dense) s | tinykd s | ratio |\n|---|---|---|---|---|")
    total_dense = total_ours = 0.0
    for folder in args.domains.split(","):
        pairs = load_corpus("test", folder)
        dense_s, dense = best_time(dense_reference, pairs, args.repeats)
        ours_s, ours = best_time(tfidf_reference, pairs, args.repeats)
        for lang, (en_xx, xx_en) in dense.items():
            row = ours["languages"][lang]
            if abs(row["acc_en_xx"] - en_xx) > 1e-9 or abs(row["acc_xx_en"] - xx_en) > 1e-9:
                sys.exit(f"{folder} {lang}: tinykd {row['acc_en_xx']}/{row['acc_xx_en']} vs dense {en_xx}/{xx_en}")
        total_dense, total_ours = total_dense + dense_s, total_ours + ours_s
        print(f"| {folder} | {len(pairs):,} | {dense_s:.2f} | {ours_s:.2f} | {dense_s / ours_s:.1f}x |", flush=True)
    print(f"| all | | {total_dense:.2f} | {total_ours:.2f} | {total_dense / total_ours:.1f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
