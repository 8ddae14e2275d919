"""The lessons' exercises: every solution passes its grader, every untouched placeholder fails it.

A lesson's exercises are functions at its end, with a placeholder body for the learner to
replace; lessons/_grader.py grades them (``python lessons/NN_topic.py --check``), and
lessons/solutions/<topic>.py holds the worked answers. If a placeholder passed, the grader would
not be checking anything; if a solution failed, a learner's right answer could fail too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSON_DIR = ROOT / "lessons"
sys.path.insert(0, str(LESSON_DIR))
import _grader  # noqa: E402  (lessons/ is not a package: the lessons import their helpers by path)

LESSONS = {_grader.topic_of(p): p for p in sorted(LESSON_DIR.glob("[0-9][0-9]_*.py"))}
TOPICS = sorted(_grader.EXERCISES)


def test_enough_lessons_have_exercises():
    assert len(TOPICS) >= 10, f"issue 28 asks for graded exercises in at least 10 lessons, found {TOPICS}"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_exercise_belongs_to_a_lesson_with_a_solution(topic):
    assert topic in LESSONS, f"exercises for {topic!r}, but no lessons/NN_{topic}.py"
    assert (_grader.SOLUTIONS / f"{topic}.py").is_file(), f"no lessons/solutions/{topic}.py"
    source = LESSONS[topic].read_text(encoding="utf-8")
    assert "exercises(__file__)" in source, f"{LESSONS[topic].name} does not answer --check"
    for e in _grader.EXERCISES[topic]:
        assert f"def {e.function}(" in source, f"{LESSONS[topic].name} has no exercise {e.function}"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_solution_passes(topic):
    results = _grader.grade(_grader.SOLUTIONS / f"{topic}.py", topic)
    failed = [f"{e.function}: {detail}" for e, ok, detail in results if not ok]
    assert not failed, f"solutions of {topic} fail their graders: {failed}"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_untouched_placeholder_fails(topic):
    results = _grader.grade(LESSONS[topic], topic)
    passed = [e.function for e, ok, _ in results if ok]
    assert not passed, f"the untouched exercises {passed} of {LESSONS[topic].name} pass their graders"


def check(lesson: Path, *flags: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    env.pop("TINYKD_BACKEND", None)
    return subprocess.run([sys.executable, str(lesson.relative_to(ROOT)), "--check", *flags], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.mark.parametrize("topic", TOPICS)
def test_check_flag_grades_instead_of_running_the_lesson(topic):
    lesson = LESSONS[topic]
    n = len(_grader.EXERCISES[topic])
    solved = check(lesson, "--solutions")
    assert solved.returncode == 0, f"{lesson.name} --check --solutions:\n{solved.stdout}\n{solved.stderr}"
    assert f"{n} of {n} right." in solved.stdout
    assert "1. " not in solved.stdout, "--check ran the lesson's sections too"
    untouched = check(lesson)
    assert untouched.returncode == 1 and f"0 of {n} right." in untouched.stdout, untouched.stdout
