"""Lesson 16: using the student: encode, search across languages, export for sentence-transformers.

    python lessons/16_using_the_student.py [RUN_DIR]

What you will see:
  1. Loading a student (the shipped one, or RUN_DIR: a run folder such as lesson 13's) and
     encoding sentences, as sentence-transformers code does.
  2. Semantic search across languages: English questions against a pool of test sentences in
     several languages, the nearest by cosine (tinykd.encode.search); and how often the nearest
     is the question's own translation.
  3. The vector's length: the student's own vectors are shorter where it is unsure.
  4. Export: a sentence-transformers model folder (tinykd.export), loaded back by tinykd and, when
     it is installed, by sentence-transformers itself, with the same vectors.
  Exercise: the search itself, graded against tinykd.encode.search.

Needs the shipped student (or a run folder) and the shipped data's test split; sentence-transformers
and PyTorch are optional (section 4 says what it would do without them). Under a minute.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import FAST, exercises, section, table

import tinykd
from tinykd.encode import search

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)

# %% 1. load and encode
section("1. load a student and encode")
where = next((a for a in sys.argv[1:] if not a.startswith("--")), None)
try:
    student = tinykd.load(where)                   # None: the shipped student, tinykd/pretrained/
except FileNotFoundError as err:
    print(f"No student to use: {err}. Lesson skipped.")
    sys.exit(0)
print(f"""tinykd.load({where!r}) -> {student!r}
The same calls as sentence-transformers' SentenceTransformer:
    vectors = student.encode(sentences, batch_size=32, normalize_embeddings=True)   # (N, {student.get_sentence_embedding_dimension()})
    student.similarity(vectors_a, vectors_b)                                        # cosines, (N, M)""")
pair = ["Click OK to close the dialog.", "Klicken Sie auf OK, um den Dialog zu schließen."]
v = student.encode(pair, normalize_embeddings=True)
print(f"  cosine of {pair[0]!r} and its German: {float(student.similarity(v[:1], v[1:])[0, 0]):.3f}")

# %% 2. search across languages
section("2. semantic search across languages")
try:
    from tinykd.data import load_corpus
    test = load_corpus("test", langs=["de", "fr", "ja", "ru", "zh-CN"])
except (ImportError, FileNotFoundError, ValueError) as err:
    print(f"Cannot read the test split ({err}): sections 2-4 need the shipped data/. The exercise at the end\n"
          "of this file needs only NumPy: python lessons/16_using_the_student.py --check grades it. Skipped.")
    sys.exit(0)
rng = np.random.default_rng(0)
POOL = 100 if FAST else 400                        # translations per language in the pool
by_lang = {}
for p in test:
    if 25 <= len(p.english) <= 120:
        by_lang.setdefault(p.lang, {}).setdefault(p.english, p)    # one translation per English sentence
pool = []
for pairs in by_lang.values():
    chosen = rng.permutation(len(pairs))[:POOL]
    items = list(pairs.values())
    pool += [items[i] for i in chosen]
start = time.perf_counter()
pool_vectors = student.encode([p.translation for p in pool], batch_size=64, show_progress_bar=False)   # (N, 384)
encode_s = time.perf_counter() - start
questions = [pool[i] for i in rng.permutation(len(pool))[:200 if not FAST else 50]]
question_vectors = student.encode([p.english for p in questions])
index, score = search(question_vectors, pool_vectors, top_k=3)                   # best first
print(f"""A pool of {len(pool):,} test-split sentences (never trained on): {POOL} each in {', '.join(by_lang)}, encoded in
{encode_s:.1f} s. English questions search it; the three nearest by cosine:""")
for q in range(3):
    print(f"\n  {questions[q].english!r}")
    for rank in range(3):
        hit = pool[index[q, rank]]
        mark = "  <- its translation" if hit is questions[q] else ""
        print(f"    {score[q, rank]:.3f}  [{hit.lang}] {hit.translation[:70]}{mark}")
found = np.array([pool[index[q, 0]] is p for q, p in enumerate(questions)])
in_top3 = np.array([any(pool[i] is p for i in index[q]) for q, p in enumerate(questions)])
print(f"""
Over {len(questions)} English questions, the question's own translation is the nearest of the {len(pool):,} sentences
{100 * found.mean():.0f}% of the time, among the three nearest {100 * in_top3.mean():.0f}%. Chance: {100 / len(pool):.2f}%. The other hits
are often translations of similar help texts, in another language: search by meaning, not by words.
On the command line: python -m tinykd.encode queries.txt --search corpus.txt --top-k 3.""")

# %% 3. the vector's length
section("3. the vector's length: the student's confidence")
raw = pool_vectors                     # encode's default: the model's own vectors (normalize_embeddings=False)
lengths = np.linalg.norm(raw, axis=1)
right = np.array([pool[index[q, 0]] is p for q, p in enumerate(questions)])
q_lengths = np.linalg.norm(raw[[pool.index(p) for p in questions]], axis=1)   # each question's own translation
if student.model.config.normalize:
    print("This student ends in an L2 normalisation: every vector has length 1, and the length says nothing.")
else:
    print(f"""Without normalize_embeddings the student returns its own vectors, of free length (lesson 07,
section 7: a student unsure of a sentence does best with a shorter vector). Over the pool, lengths run
from {lengths.min():.2f} to {lengths.max():.2f}. Translations the search found: mean length {q_lengths[right].mean():.3f};
those it missed: {q_lengths[~right].mean() if (~right).any() else float('nan'):.3f}. Search uses cosines, which ignore the length; a
short vector is a hint that the student is guessing.""")

# %% 4. export
section("4. export for sentence-transformers")
from tinykd.export import export  # noqa: E402

out = Path(tempfile.mkdtemp(prefix="tinykd-lesson16-")) / "student"
try:
    export(where or "pretrained", out, log=lambda *a: None)
    print(f"tinykd.export.export({(where or 'pretrained')!r}, {out.name!r}) wrote a sentence-transformers model folder:")
    table(["file", "bytes"], [[str(f.relative_to(out)), f"{f.stat().st_size:,}"]
                              for f in sorted(out.rglob("*")) if f.is_file()])
    again = tinykd.load(out)
    check = pair + [p.translation for p in pool[:20]]
    ours = student.encode(check)
    diff = float(np.abs(again.encode(check) - ours).max())
    print(f"""
tinykd.load(folder) reads it back: max |difference| of the vectors {diff:.1e} (the folder holds float16
weights, half the file; python -m tinykd.export RUN_DIR OUT_DIR does the same from the command line).""")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        print("""sentence-transformers is not installed here; with it (pip install sentence-transformers) this
section would load the folder with SentenceTransformer(folder) and compare its vectors with tinykd's.""")
    else:
        try:                                   # no progress bars of transformers between our lines
            from transformers.utils import logging as transformers_logging
            transformers_logging.disable_progress_bar()
        except ImportError:
            pass
        start = time.perf_counter()
        st_model = SentenceTransformer(str(out), device="cpu")
        st_vectors = st_model.encode(check, show_progress_bar=False)
        print(f"""SentenceTransformer(folder) loads it too ({time.perf_counter() - start:.0f} s with PyTorch): max |its vectors - tinykd's| =
{float(np.abs(st_vectors - ours).max()):.1e}. Code written for sentence-transformers runs the student as it is.""")
finally:
    shutil.rmtree(out.parent, ignore_errors=True)

# %% Exercise
section("Exercise: the search, by you")
print("""top_k at the end of this file waits for your code. Then run

    python lessons/16_using_the_student.py --check

It is compared with tinykd.encode.search on vectors of different lengths: the same indices, best
first (ties in corpus order), and the same cosines.""")


def top_k(queries, corpus, k):
    """Exercise 16.1. For each query row, the k corpus rows most similar by cosine, best first.

    queries: (Q, D), corpus: (N, D). Returns (indices, scores), both (Q, k).
    """
    sim = queries @ corpus.T                                    # a dot product: is that a cosine?
    index = np.argsort(sim, axis=1)[:, :k]                      # and is this the best first?
    return index, np.take_along_axis(sim, index, axis=1)
