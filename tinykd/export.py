"""Export a trained student as a sentence-transformers / Hugging Face folder.

    python -m tinykd.export RUN_DIR OUT_DIR [--force]
    python -m tinykd.export pretrained OUT_DIR          # the student shipped in the package

writes a folder that ``SentenceTransformer(OUT_DIR)`` and ``transformers.AutoModel`` /
``AutoTokenizer`` load as they are, and that ``tinykd.load(OUT_DIR)`` loads back: the files
of :mod:`tinykd.modelfolder` (weights float32), and a model card (README.md) made from
``tinykd/templates/model_card.md`` with the run's languages, configuration and test table.

The folder is written to a temporary sibling, checked (it is loaded back into tinykd
and must give the run's vectors), and only then renamed into place; the temporary
siblings that an export killed with ``kill -9`` left are removed by the next export.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from string import Template

import numpy as np

from tinykd import cli, paths
from tinykd.data.corpus import LANGS
from tinykd.data.tokenizer import MAX_SEQ_LENGTH
from tinykd.files import read_json, remove_stale_temporaries, replace_folder
from tinykd.model import Encoder
from tinykd.modelfolder import ModelFolderError, load_folder, write_folder
from tinykd.paths import TEACHER_NAME
from tinykd.runs import CONFIG, load_run
from tinykd.version import __version__

CARD_TEMPLATE = Path(__file__).resolve().parent / "templates" / "model_card.md"
# ISO 639-1 codes for the model card's metadata (the corpus uses pt-BR and zh-CN)
CARD_LANGUAGE = {"pt-BR": "pt", "zh-CN": "zh"}
# Sentences the export is checked on: every script of the corpus, accents, an empty one.
CHECK_SENTENCES = [
    "Choose Format - Cells to open the dialog.", "Wählen Sie Format - Zellen, um den Dialog zu öffnen.",
    "Schöne Grüße aus München", "Выберите Формат - Ячейки.", "[書式] - [セル] を選択します。",
    "选择格式 - 单元格。", "서식 - 셀을 선택합니다.", "İstanbul'da ÇAĞ şöyle", "Ça coûte très cher, n'est-ce pas ?",
    "", "a", "Bir hücre seçin ve Ctrl+C tuşlarına basın.",
]


class ExportError(ValueError):
    """The run cannot be exported, or the export did not reproduce the run's vectors."""


# --- the model card ---------------------------------------------------------------------------

def _run_languages(train_config: dict | None) -> list[str]:
    chosen = [x.strip() for x in (train_config or {}).get("langs", "").split(",") if x.strip()]
    return chosen or list(LANGS)


def model_card(name: str, model: Encoder, max_seq_length: int, train_config: dict | None,
               eval_table: str | None) -> str:
    """The README.md of an exported student: the template filled with what the run recorded."""
    c = model.config
    langs = _run_languages(train_config)
    front = "\n".join(["---", "language:", *[f"- {x}" for x in ["en", *[CARD_LANGUAGE.get(x, x) for x in langs]]],
                       "library_name: sentence-transformers", "pipeline_tag: sentence-similarity",
                       "tags:", "- sentence-transformers", "- feature-extraction", "- sentence-similarity",
                       "- knowledge-distillation", "- multilingual", "- tinykd",
                       "license: apache-2.0", "---"])
    pipeline = ("BertModel -> mean pooling"
                + (f" -> Dense {c.hidden_size}->{c.output_size} (identity)" if c.output_size else "")
                + (" -> L2 normalisation" if c.normalize else ""))
    architecture = "\n".join([
        "| | |", "|---|---|",
        f"| pipeline | {pipeline} |",
        f"| layers x width | {c.num_layers} x {c.hidden_size} "
        f"({c.num_heads} heads, feed-forward {c.intermediate_size}) |",
        f"| vocabulary | {c.vocab_size} WordPiece pieces |",
        f"| positions / max_seq_length | {c.max_position} / {max_seq_length} tokens |",
        f"| output | {c.embedding_size} dimensions, "
        f"{'unit length' if c.normalize else 'free length (shorter where the model is unsure)'} |",
        f"| parameters | {model.num_parameters() / 1e6:.2f} M |",
    ])
    if train_config:
        training = ("The run's `config.json` (tinykd's `TrainConfig`, seed included):\n\n```json\n"
                    + json.dumps(train_config, indent=2) + "\n```")
    else:
        training = "The run directory held no `config.json`: the training configuration is not recorded."
    if eval_table:
        evaluation = ("On the test split (pages held out from training), from the run's `eval_test.md`:\n\n"
                      + eval_table.strip() + "\n\n"
                      "MSE x 100 is against the teacher's vector of the English sentence, for the English side "
                      "(en) and the translation (xx); translation accuracy is nearest-neighbour retrieval "
                      "among up to 1000 pairs, in both directions (sentence-transformers' TranslationEvaluator).")
    else:
        evaluation = "The run directory held no `eval_test.md`: no evaluation is recorded here."
    plain = [*(["the `2_Dense` linear layer"] if c.output_size else []),
             *(["L2 normalisation"] if c.normalize else [])]
    return Template(CARD_TEMPLATE.read_text(encoding="utf-8")).substitute(
        front_matter=front, name=name, n_languages=len(langs), language_list=", ".join(langs),
        teacher=TEACHER_NAME, version=__version__, architecture=architecture,
        plain_pipeline="".join(f", then {step}" for step in plain),
        training_configuration=training, evaluation=evaluation, max_seq_length=max_seq_length,
        start_from_teacher=(", and its layers started from the teacher's weights"
                            if (train_config or {}).get("init") == "teacher" else ""))


# --- the export ----------------------------------------------------------------------------

def check_export(encoder, folder: Path, sentences=CHECK_SENTENCES, atol: float = 1e-6) -> float:
    """Load ``folder`` back into tinykd; its vectors must equal ``encoder``'s. Returns the max |difference|."""
    back = load_folder(folder)
    a = encoder.encode(sentences, progress=False)
    b = back.encode(sentences, progress=False)
    diff = float(np.abs(a - b).max()) if a.size else 0.0
    if a.shape != b.shape or not diff <= atol:
        raise ExportError(f"the exported folder does not reproduce the run's vectors: shapes {a.shape} "
                          f"{b.shape}, max |difference| {diff:.3g} > {atol}")
    return diff


def export(run_dir, out_dir, force: bool = False, check: bool = True, log=print) -> Path:
    """Export the student of ``run_dir`` (``"pretrained"``: the shipped one) to a sentence-transformers
    folder ``out_dir``, atomically.

    ``force`` replaces an existing, non-empty ``out_dir``. With ``check`` the written folder
    is loaded back into tinykd and must give the run's vectors before it is moved into place.
    The temporary folders of an export of ``out_dir`` that was killed (``.OUT.tmpPID``,
    ``.OUT.oldPID`` of a process that no longer runs) are removed first (``log`` says so).
    """
    if str(run_dir) == "pretrained" and not Path(run_dir).exists():
        run_dir = paths.PRETRAINED
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if not run_dir.is_dir():
        raise ExportError(f"run directory {run_dir} does not exist")
    src, dst = run_dir.resolve(), out_dir.resolve()
    if dst == src or dst in src.parents or src in dst.parents:
        raise ExportError(f"the export folder {out_dir} must lie outside the run directory {run_dir} "
                          "(and not contain it)")
    occupied = dst.exists() and (not dst.is_dir() or any(dst.iterdir()))
    if occupied and not force:
        raise ExportError(f"{out_dir} already exists and is not empty: choose another folder or pass --force")
    try:
        encoder = load_run(run_dir)
    except (FileNotFoundError, ValueError, KeyError) as err:
        raise ExportError(f"cannot export {run_dir}: {err}") from err
    train_config = read_json(run_dir / CONFIG, ExportError) if (run_dir / CONFIG).is_file() else None
    eval_path = run_dir / "eval_test.md"
    eval_table = eval_path.read_text(encoding="utf-8") if eval_path.is_file() else None
    max_seq_length = min(MAX_SEQ_LENGTH, encoder.model.config.max_position)
    card = model_card(dst.name, encoder.model, max_seq_length, train_config, eval_table)

    dst.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(dst.parent, names={dst.name}, log=log)   # of an export killed before
    tmp = dst.with_name(f".{dst.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        try:
            write_folder(encoder, tmp, card)
        except ModelFolderError as err:
            raise ExportError(f"cannot export {run_dir}: {err}") from err
        if check:
            check_export(encoder, tmp)
        replace_folder(tmp, dst)                 # renames: the old folder is kept until the new one is in
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinykd.export",
        description="Export a trained run as a sentence-transformers / Hugging Face model folder.")
    parser.add_argument("run_dir", help="a run directory (model.safetensors + tokenizer.json; config.json and "
                                        "eval_test.md go into the model card), or 'pretrained' for the shipped student")
    parser.add_argument("out_dir", help="the folder to write (must not exist or be empty, unless --force)")
    parser.add_argument("--force", action="store_true", help="replace out_dir if it exists")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip loading the export back into tinykd to compare vectors")
    args = cli.parse(parser, argv)
    try:
        out = export(args.run_dir, args.out_dir, force=args.force, check=args.check)
    except (ExportError, ModelFolderError) as err:
        print(f"tinykd.export: error: {err}", file=sys.stderr)
        return 1
    print(f"exported {args.run_dir} -> {out}  (SentenceTransformer({str(out)!r}) loads it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
