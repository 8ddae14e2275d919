"""The exercises' grader: `python lessons/NN_topic.py --check` says which of your answers are right.

Each lesson that teaches a computation ends with one to three exercises: a function with a
docstring and a placeholder body that you replace with your own code. The grader takes that
function out of the lesson file (its definition and the file's imports, nothing else: the
lesson itself does not run), calls it on random inputs in float64, and compares what it returns
with the truth:

  * a backward pass against centred differences of the forward (tinykd.gradcheck.numerical_gradient),
    the check lessons 02-05 use on tinykd's own layers: right means a relative error under 1e-7;
  * anything else against what tinykd computes (tinykd.optim.AdamW, tinykd.evaluate.spearman, ...).

    python lessons/04_attention.py --check               # your answers, in the lesson file
    python lessons/04_attention.py --check --solutions   # the answers in lessons/solutions/attention.py

A wrong answer gets its error, so you can see how far off it is; the exit status is 0 only when
every exercise of the lesson is right. tests/test_exercises.py checks that every solution passes
and that every untouched placeholder fails.
"""

from __future__ import annotations

import ast
import math
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinykd import backend
from tinykd.gradcheck import numerical_gradient, rel_error

LESSONS = Path(__file__).resolve().parent
SOLUTIONS = LESSONS / "solutions"
TOLERANCE = 1e-7          # a hand-written backward against centred differences, float64 (lesson 02)


class Wrong(Exception):
    """An answer of the wrong kind (shape, type): the message says what was expected."""


@dataclass
class Exercise:
    topic: str            # the lesson's name without its number: "attention" for 04_attention.py
    function: str         # the name of the function the learner writes
    title: str
    grade: Callable       # grade(fn) -> error (a float; 0 = exact)
    tolerance: float


EXERCISES: dict[str, list[Exercise]] = {}


def exercise(topic: str, function: str, title: str, tolerance: float = TOLERANCE):
    """Register ``grade(fn) -> error`` as the grader of ``function`` in the lesson ``topic``."""
    def register(grade):
        EXERCISES.setdefault(topic, []).append(Exercise(topic, function, title, grade, tolerance))
        return grade
    return register


def topic_of(lesson: Path | str) -> str:
    """``lessons/04_attention.py`` -> ``attention``: solutions survive a renumbering."""
    return Path(lesson).stem.split("_", 1)[1]


def load_functions(path: Path, names) -> dict:
    """The functions ``names`` of the file ``path``, and nothing else of it run: the file's top-level
    imports and function definitions (so an exercise may call a helper of yours), not the lesson's
    prints and computations."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    namespace = {"__name__": f"exercises_of_{Path(path).stem}", "__file__": str(path)}
    if str(LESSONS) not in sys.path:
        sys.path.insert(0, str(LESSONS))        # so that `from _common import ...` resolves
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (isinstance(node, ast.FunctionDef) and node.name in names):
            exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
        elif isinstance(node, ast.FunctionDef):
            try:                                # a helper whose defaults need the lesson's variables is skipped
                exec(compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec"), namespace)
            except Exception:
                pass
    return {name: namespace[name] for name in names if name in namespace}


def grade(path: Path, topic: str | None = None) -> list[tuple[Exercise, bool, str]]:
    """Grade the exercise functions found in ``path``: (exercise, right?, what the grader saw)."""
    topic = topic or topic_of(path)
    exercises = EXERCISES.get(topic, [])
    functions = load_functions(path, [e.function for e in exercises])
    results = []
    for e in exercises:
        fn = functions.get(e.function)
        if fn is None:
            results.append((e, False, f"no function {e.function} in {path.name}"))
            continue
        try:
            with backend.precision(np.float64):
                error = float(e.grade(fn))
        except NotImplementedError:
            results.append((e, False, "not written yet (it raises NotImplementedError)"))
        except Wrong as err:
            results.append((e, False, f"WRONG: {err}"))
        except Exception as err:                    # the learner's code failed: show where
            where = traceback.extract_tb(err.__traceback__)[-1]
            results.append((e, False, f"raised {type(err).__name__}: {err} (line {where.lineno})"))
        else:
            ok = math.isfinite(error) and error < e.tolerance
            results.append((e, ok, f"{'right' if ok else 'WRONG'}: error {error:.1e} "
                                    f"({'under' if ok else 'needs under'} {e.tolerance:.0e})"))
    return results


def run(lesson_file: str, argv=None) -> int:
    """What ``python lessons/NN_topic.py --check [--solutions]`` does; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    lesson = Path(lesson_file).resolve()
    topic = topic_of(lesson)
    path = SOLUTIONS / f"{topic}.py" if "--solutions" in argv else lesson
    if topic not in EXERCISES:
        print(f"{lesson.name} has no exercises.")
        return 0
    print(f"Checking the exercises of {lesson.name} in {path.relative_to(LESSONS.parent)}:\n")
    results = grade(path, topic)
    width = max(len(e.function) for e, _, _ in results)
    for n, (e, _, detail) in enumerate(results, 1):
        print(f"  {lesson.name[:2]}.{n}  {e.function:<{width}}  {detail}")
        print(f"        {e.title}")
    right = sum(ok for _, ok, _ in results)
    print(f"\n{right} of {len(results)} right." + ("" if right == len(results) else
          "  Edit the functions at the end of the lesson and run --check again."))
    return 0 if right == len(results) else 1


# ---------------------------------------------------------------------------
# helpers the graders share
# ---------------------------------------------------------------------------
def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([28, seed])


def _array(value, shape, name: str) -> np.ndarray:
    """The learner's answer as a float64 array of the expected shape, or Wrong."""
    if value is None:
        raise Wrong(f"{name} is None: return the array")
    a = np.asarray(backend.to_numpy(value) if not isinstance(value, np.ndarray) else value, dtype=np.float64)
    if a.shape != tuple(shape):
        raise Wrong(f"{name} has shape {a.shape}, expected {tuple(shape)}")
    return a


def _parts(value, n: int, name: str) -> tuple:
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise Wrong(f"{name} must return {n} arrays (a tuple), got {type(value).__name__}")
    return tuple(value)


def _numerical(forward, dout, *arrays) -> list[np.ndarray]:
    """Centred differences of sum(forward() * dout) with respect to each array (perturbed in place)."""
    loss = lambda: float((np.asarray(forward()) * dout).sum())
    return [numerical_gradient(loss, a) for a in arrays]


def _worst(pairs) -> float:
    """The largest relative error over (answer, truth) pairs."""
    return max(rel_error(a, t) for a, t in pairs)


# ---------------------------------------------------------------------------
# lesson: arrays_and_backend
# ---------------------------------------------------------------------------
@exercise("arrays_and_backend", "centred_difference",
          "the centred-difference gradient of a scalar function, entry by entry, against the exact one",
          tolerance=1e-8)
def _grade_centred_difference(fn):
    rng = _rng(1)
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))
    f = lambda a: float((np.tanh(a) * w).sum() + (a ** 3).sum() / 3)
    exact = w * (1 - np.tanh(x) ** 2) + x ** 2
    before = x.copy()
    answer = _array(fn(f, x), x.shape, "the gradient")
    if not np.array_equal(x, before):
        raise Wrong("x was left changed: put every entry back after nudging it")
    return rel_error(answer, exact)


# ---------------------------------------------------------------------------
# lesson: linear_layer
# ---------------------------------------------------------------------------
@exercise("linear_layer", "linear_backward", "dx, dW, db of y = x W^T + b, against centred differences")
def _grade_linear(fn):
    rng = _rng(2)
    N, I, O = 5, 4, 3
    x, W, b = rng.standard_normal((N, I)), rng.standard_normal((O, I)), rng.standard_normal(O)
    dy = rng.standard_normal((N, O))
    dx, dW, db = _parts(fn(x.copy(), W.copy(), dy.copy()), 3, "linear_backward")
    truth = _numerical(lambda: x @ W.T + b, dy, x, W, b)
    return _worst([(_array(dx, x.shape, "dx"), truth[0]), (_array(dW, W.shape, "dW"), truth[1]),
                   (_array(db, b.shape, "db"), truth[2])])


# ---------------------------------------------------------------------------
# lesson: layernorm_and_gelu
# ---------------------------------------------------------------------------
@exercise("layernorm_and_gelu", "layernorm_backward",
          "LayerNorm's dx (three terms), dgamma, dbeta from its cache, against centred differences")
def _grade_layernorm(fn):
    from tinykd.nn import LayerNorm
    rng = _rng(3)
    B, T, C = 2, 3, 6
    ln = LayerNorm(C)
    ln.params["weight"][...] = 1 + 0.5 * rng.standard_normal(C)     # random gamma and beta: no term hides
    ln.params["bias"][...] = 0.5 * rng.standard_normal(C)
    x = rng.standard_normal((B, T, C)) * 2 + 0.5
    dy = rng.standard_normal((B, T, C))
    ln(x)
    xhat, rstd = (a.copy() for a in ln.cache)
    gamma = ln.params["weight"]
    dx, dgamma, dbeta = _parts(fn(dy.copy(), xhat, rstd, gamma.copy()), 3, "layernorm_backward")
    truth = _numerical(lambda: ln(x), dy, x, ln.params["weight"], ln.params["bias"])
    return _worst([(_array(dx, x.shape, "dx"), truth[0]), (_array(dgamma, (C,), "dgamma"), truth[1]),
                   (_array(dbeta, (C,), "dbeta"), truth[2])])


@exercise("layernorm_and_gelu", "gelu_backward", "GELU's dx = dy (Phi(x) + x phi(x)), against centred differences")
def _grade_gelu(fn):
    from tinykd.nn import GELU
    rng = _rng(4)
    x = rng.standard_normal((4, 7)) * 3
    dy = rng.standard_normal((4, 7))
    dx = _array(fn(x.copy(), dy.copy()), x.shape, "dx")
    gelu = GELU()
    return rel_error(dx, _numerical(lambda: gelu(x), dy, x)[0])


# ---------------------------------------------------------------------------
# lesson: attention
# ---------------------------------------------------------------------------
@exercise("attention", "softmax_backward", "dscores from the softmax weights w and dw, row by row")
def _grade_softmax(fn):
    from tinykd.nn import softmax
    rng = _rng(5)
    scores = rng.standard_normal((2, 3, 5)) * 2
    dw = rng.standard_normal((2, 3, 5))
    w = softmax(scores.copy())
    answer = _array(fn(w.copy(), dw.copy()), scores.shape, "dscores")
    return rel_error(answer, _numerical(lambda: softmax(scores.copy()), dw, scores)[0])


@exercise("attention", "attention_backward", "dq, dk, dv of one head, softmax(q k^T / sqrt(d)) v")
def _grade_attention(fn):
    from tinykd.nn import softmax
    rng = _rng(6)
    T, D = 5, 4
    q, k, v = (rng.standard_normal((T, D)) for _ in range(3))
    dout = rng.standard_normal((T, D))
    forward = lambda: softmax(q @ k.T / math.sqrt(D)) @ v
    dq, dk, dv = _parts(fn(q.copy(), k.copy(), v.copy(), dout.copy()), 3, "attention_backward")
    truth = _numerical(forward, dout, q, k, v)
    return _worst([(_array(dq, q.shape, "dq"), truth[0]), (_array(dk, k.shape, "dk"), truth[1]),
                   (_array(dv, v.shape, "dv"), truth[2])])


# ---------------------------------------------------------------------------
# lesson: encoder
# ---------------------------------------------------------------------------
@exercise("encoder", "embedding_backward",
          "the embedding table's gradient: a scatter-add, with ids that repeat")
def _grade_embedding(fn):
    rng = _rng(7)
    V, C = 9, 4
    table = rng.standard_normal((V, C))
    ids = np.array([[1, 3, 3, 0], [3, 5, 1, 1]])          # 3 three times, 1 three times, 8 never
    dy = rng.standard_normal((2, 4, C))
    answer = _array(fn(ids.copy(), dy.copy(), V), table.shape, "dtable")
    return rel_error(answer, _numerical(lambda: table[ids], dy, table)[0])


@exercise("encoder", "mean_pooling_backward", "dh of the masked mean over the real tokens")
def _grade_pooling(fn):
    from tinykd.nn import MeanPooling
    rng = _rng(8)
    B, T, C = 3, 4, 5
    h = rng.standard_normal((B, T, C))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0]])
    dy = rng.standard_normal((B, C))
    answer = _array(fn(dy.copy(), mask.copy()), h.shape, "dh")
    return rel_error(answer, _numerical(lambda: MeanPooling()(h, mask), dy, h)[0])


@exercise("encoder", "l2_normalize_backward", "dx of y = x / |x|: only the part of dy across y survives")
def _grade_l2(fn):
    rng = _rng(9)
    x = rng.standard_normal((4, 6)) * np.array([[0.3], [1.0], [2.0], [5.0]])
    dy = rng.standard_normal((4, 6))
    answer = _array(fn(x.copy(), dy.copy()), x.shape, "dx")
    forward = lambda: x / np.linalg.norm(x, axis=-1, keepdims=True)
    return rel_error(answer, _numerical(forward, dy, x)[0])


# ---------------------------------------------------------------------------
# lesson: distillation_loss
# ---------------------------------------------------------------------------
@exercise("distillation_loss", "distillation_loss_and_gradient",
          "L = MSE(S(en), T) + MSE(S(xx), T) and its gradients, against tinykd.loss and centred differences")
def _grade_loss(fn):
    from tinykd.loss import distillation_loss
    rng = _rng(10)
    B, D = 3, 6
    e, x, t = (rng.standard_normal((B, D)) for _ in range(3))
    L, d_en, d_xx = _parts(fn(e.copy(), x.copy(), t.copy()), 3, "distillation_loss_and_gradient")
    value = lambda: distillation_loss(e, x, t)[0]
    truth = [numerical_gradient(value, e), numerical_gradient(value, x)]
    return max(abs(float(L) - value()) / abs(value()),
               _worst([(_array(d_en, e.shape, "d_en"), truth[0]), (_array(d_xx, x.shape, "d_xx"), truth[1])]))


@exercise("distillation_loss", "mse_of_unit_vectors",
          "the MSE of two unit vectors from their cosine alone, against tinykd.loss.mse")
def _grade_unit_mse(fn):
    from tinykd.loss import mse
    rng = _rng(11)
    errors = []
    for D in (3, 16, 384):
        a, b = rng.standard_normal((2, D))
        a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
        errors.append(abs(float(fn(float(a @ b), D)) - mse(a[None], b[None])[0]) / mse(a[None], b[None])[0])
    return max(errors)


# ---------------------------------------------------------------------------
# lesson: optimizer
# ---------------------------------------------------------------------------
@exercise("optimizer", "warmup_then_decay", "warm-up then linear decay, every step of a run, against tinykd.optim",
          tolerance=1e-12)
def _grade_schedule(fn):
    from tinykd import optim
    worst = 0.0
    for total, warmup in ((100, 5), (40, 4), (7, 1), (10, 0)):
        for step in range(total):
            truth = optim.learning_rate(step, total, 1e-3, warmup)
            worst = max(worst, abs(float(fn(step, total, 1e-3, warmup)) - truth) / 1e-3)
    return worst


@exercise("optimizer", "clip_by_global_norm", "one scale for every gradient, against tinykd.optim.clip_grad_norm")
def _grade_clip(fn):
    from tinykd.optim import clip_grad_norm
    rng = _rng(12)
    worst = 0.0
    for max_norm in (0.5, 100.0):
        grads = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
        truth = {k: g.copy() for k, g in grads.items()}
        norm_truth = clip_grad_norm(truth, max_norm)
        clipped, norm = _parts(fn({k: g.copy() for k, g in grads.items()}, max_norm), 2, "clip_by_global_norm")
        worst = max(worst, abs(float(norm) - norm_truth) / norm_truth,
                    _worst([(_array(clipped[k], g.shape, f"grads[{k!r}]"), truth[k]) for k, g in grads.items()]))
    return worst


@exercise("optimizer", "adamw_step", "ten AdamW steps, moments and bias correction, against tinykd.optim.AdamW")
def _grade_adamw(fn):
    from tinykd.optim import AdamW
    rng = _rng(13)
    p0 = rng.standard_normal((4, 3))
    ours = {"dense.weight": p0.copy()}
    opt = AdamW(ours, lr=1e-2, weight_decay=0.1)
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t in range(1, 11):
        g = rng.standard_normal(p0.shape)
        opt.step({"dense.weight": g})
        p, m, v = _parts(fn(p.copy(), g, m.copy(), v.copy(), t, 1e-2, 0.9, 0.999, 1e-6, 0.1), 3, "adamw_step")
        p, m, v = (_array(a, p0.shape, name) for a, name in ((p, "p"), (m, "m"), (v, "v")))
    return _worst([(p, ours["dense.weight"]), (m, opt.m["dense.weight"]), (v, opt.v["dense.weight"])])


# ---------------------------------------------------------------------------
# lesson: tokens_and_positions
# ---------------------------------------------------------------------------
WORDPIECE_WORDS = ["file", "files", "filename", "datei", "speichern", "schaltfläche", "unbelievably",
                   "tinykd", "xyzzyq", "ファイル", "表", "окно", "kopfzeilen", "2026", "ǂ", "a", "x" * 101]


@exercise("tokens_and_positions", "wordpiece",
          "greedy longest-match-first WordPiece, against the student tokenizer's own model", tolerance=1e-9)
def _grade_wordpiece(fn):
    from tokenizers import Tokenizer

    from tinykd.data.tokenizer import default_tokenizer_path
    tok = Tokenizer.from_file(str(default_tokenizer_path()))
    vocab = tok.get_vocab()
    wrong = []
    for word in WORDPIECE_WORDS:
        truth = [t.value for t in tok.model.tokenize(word)]
        answer = fn(word, vocab)
        if list(answer) != truth:
            wrong.append(f"{word!r}: {answer} instead of {truth}")
    if wrong:
        raise Wrong(f"{len(wrong)} of {len(WORDPIECE_WORDS)} words cut differently, e.g. {wrong[0]}")
    return 0.0


@exercise("tokens_and_positions", "position_backward",
          "the position table's gradient when every sentence of a batch adds rows 0..T-1")
def _grade_positions(fn):
    rng = _rng(14)
    B, T, C, P = 3, 4, 5, 8
    words, table = rng.standard_normal((B, T, C)), rng.standard_normal((P, C))
    dy = rng.standard_normal((B, T, C))
    answer = _array(fn(dy.copy(), P), table.shape, "dtable")
    return rel_error(answer, _numerical(lambda: words + table[np.arange(T)], dy, table)[0])


# ---------------------------------------------------------------------------
# lesson: aligning_new_tokens
# ---------------------------------------------------------------------------
def _toy_alignment(seed: int):
    rng = _rng(seed)
    V, C, N = 12, 3, 30
    E = rng.standard_normal((V, C))
    english = [rng.integers(0, 6, rng.integers(2, 5)) for _ in range(N)]          # English uses ids 0..5
    translation = [np.r_[(e[e < 4] + 6), rng.integers(0, 2, 1)] for e in english]  # new ids 6..9, known 0..1
    fixed = np.zeros(V, dtype=bool)
    for e in english:
        fixed[e] = True
    free = np.zeros(V, dtype=bool)
    for x in translation:
        free[x] = True
    free &= ~fixed
    return E, english, translation, free


@exercise("aligning_new_tokens", "build_A_and_Y", "A (P, K) and Y (P, C) by hand; A^T A and A^T Y against tinykd.align")
def _grade_build(fn):
    from tinykd.align import normal_equations
    E, english, translation, free = _toy_alignment(15)
    AtA, AtY, new_ids = normal_equations(english, translation, E, free)
    A, Y = _parts(fn(english, translation, E, free), 2, "build_A_and_Y")
    A, Y = _array(A, (len(english), len(new_ids)), "A"), _array(Y, (len(english), E.shape[1]), "Y")
    return _worst([(A.T @ A, AtA), (A.T @ Y, AtY)])


@exercise("aligning_new_tokens", "solve_ridge", "(A^T A + r I) X = A^T Y + r X0, against tinykd.align.align_new_embeddings",
          tolerance=1e-6)
def _grade_solve(fn):
    from tinykd.align import align_new_embeddings, normal_equations
    E, english, translation, free = _toy_alignment(16)
    new_ids = np.flatnonzero(free)
    A = np.zeros((len(english), len(new_ids)))              # the dense A and Y of the toy, as exercise 1 builds them
    Y = np.zeros((len(english), E.shape[1]))
    column = {t: k for k, t in enumerate(new_ids)}
    for i, (e, x) in enumerate(zip(english, translation)):
        Y[i] = E[e].mean(axis=0)
        for t in x:
            if free[t]:
                A[i, column[t]] += 1 / len(x)
            else:
                Y[i] -= E[t] / len(x)
    assert np.allclose(A.T @ A, normal_equations(english, translation, E, free)[0])
    truth, _ = align_new_embeddings(E, english, translation, ridge=0.05, strip_special=False)
    X = _array(fn(A, Y, E[new_ids].copy(), 0.05), (len(new_ids), E.shape[1]), "X")
    return rel_error(X, truth[new_ids])     # tinykd returns float32: ~1e-7


# ---------------------------------------------------------------------------
# lesson: evaluation
# ---------------------------------------------------------------------------
@exercise("evaluation", "retrieval_accuracy", "en->xx and xx->en accuracy in %, against tinykd.evaluate", tolerance=1e-9)
def _grade_accuracy(fn):
    from tinykd.evaluate import translation_accuracy
    rng = _rng(17)
    worst = 0.0
    for n, noise in ((6, 1.0), (50, 2.0), (200, 4.0)):
        e = rng.standard_normal((n, 8))
        t = e * rng.uniform(0.5, 2.0, (n, 1)) + noise * rng.standard_normal((n, 8))   # lengths differ
        answer = _parts(fn(e.copy(), t.copy()), 2, "retrieval_accuracy")
        truth = translation_accuracy(e, t, set_size=n)
        worst = max(worst, *(abs(float(a) - b) for a, b in zip(answer, truth)))
    return worst


@exercise("evaluation", "spearman_rho", "Spearman's rho (no ties) as the correlation of ranks, against tinykd.evaluate",
          tolerance=1e-9)
def _grade_spearman(fn):
    from tinykd.evaluate import spearman
    rng = _rng(18)
    worst = 0.0
    for n in (5, 40, 300):
        a = rng.standard_normal(n)
        b = a ** 3 + rng.standard_normal(n)
        worst = max(worst, abs(float(fn(a.copy(), b.copy())) - spearman(a, b)))
    return worst


# ---------------------------------------------------------------------------
# lesson: data
# ---------------------------------------------------------------------------
@exercise("data", "hold_out", "dev pairs without the text of training pages, against tinykd.data.split", tolerance=0.5)
def _grade_hold_out(fn):
    from tinykd.data.corpus import Pair
    from tinykd.data.split import drop_train_overlap, training_text
    train = [Pair("de", "Save the file.", "Datei speichern.", 0), Pair("fr", "Open", "Ouvrir", 1),
             Pair("de", "Close", "Schließen", 2)]
    dev = [Pair("de", "Save the file.", "Die Datei speichern.", 0),      # English seen in training
           Pair("fr", "Close the window.", "Ouvrir", 3),                 # translation seen (fr)
           Pair("fr", "Close", "Fermer", 2),                             # English seen
           Pair("de", "Open the file.", "Ouvrir", 4),                    # "Ouvrir" seen, but in French
           Pair("ja", "Print", "印刷", 5)]
    truth, _ = drop_train_overlap(dev, *training_text(train))
    answer = list(fn(train, dev))
    if answer != truth:
        raise Wrong(f"kept {[p.english for p in answer]}, expected {[p.english for p in truth]}")
    return 0.0


# ---------------------------------------------------------------------------
# lesson: using_the_student
# ---------------------------------------------------------------------------
@exercise("using_the_student", "top_k", "the k nearest corpus rows by cosine, best first, against tinykd.encode.search",
          tolerance=1e-9)
def _grade_top_k(fn):
    from tinykd.encode import search
    rng = _rng(19)
    queries = rng.standard_normal((4, 6))
    corpus = rng.standard_normal((30, 6)) * rng.uniform(0.2, 3.0, (30, 1))    # lengths differ: cosine, not dot
    index, score = _parts(fn(queries.copy(), corpus.copy(), 3), 2, "top_k")
    truth_index, truth_score = search(queries, corpus, top_k=3)
    index = np.asarray(index)
    if index.shape != truth_index.shape or not np.array_equal(index, truth_index):
        raise Wrong(f"indices {index.tolist()[:2]}..., expected {truth_index.tolist()[:2]}...")
    return rel_error(_array(score, truth_score.shape, "scores"), truth_score)
