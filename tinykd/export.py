"""Export a trained student as a sentence-transformers / Hugging Face folder.

    python -m tinykd.export RUN_DIR OUT_DIR [--force]

writes a folder that ``SentenceTransformer(OUT_DIR)`` and ``transformers.AutoModel`` /
``AutoTokenizer`` load as they are, and that tinykd loads back
(:func:`tinykd.teacher.load_sentence_transformer`)::

    config.json                     BertModel architecture (model_type bert, hidden_act gelu, ...)
    model.safetensors               the encoder, BERT's parameter names, float32
    tokenizer.json                  the run's WordPiece tokenizer (no baked-in truncation/padding)
    tokenizer_config.json           PreTrainedTokenizerFast: transformers uses tokenizer.json as it is
    special_tokens_map.json
    modules.json                    Transformer -> Pooling [-> Dense] [-> Normalize]
    sentence_bert_config.json       max_seq_length
    config_sentence_transformers.json
    1_Pooling/config.json           mean pooling
    2_Dense/config.json + model.safetensors    the projection, if the model has one (identity activation)
    README.md                       the model card: data, teacher, training config, evaluation

Two choices that keep the tokenisation identical to tinykd's:

* ``tokenizer_class`` is ``PreTrainedTokenizerFast``, not ``BertTokenizer``: transformers
  rebuilds a ``BertTokenizer``'s normaliser from its own flags (BERT-uncased strips
  accents), which would turn the student's "Grüße" into "gruße" and lose Cyrillic
  and Turkish letters; ``PreTrainedTokenizerFast`` keeps the normaliser of tokenizer.json
  (NFC, lowercase, accents kept).
* the special tokens are registered as added tokens in tokenizer.json, since transformers
  registers them anyway: a literal "[MASK]" in a sentence is then one token for
  both libraries (the teacher's tokenizer.json does the same).

The folder is written to a temporary sibling, checked (it is loaded back into tinykd
and must give the run's vectors), and only then renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from tinykd.atomic import atomic_save_safetensors
from tinykd.model import Encoder

IDENTITY = "torch.nn.modules.linear.Identity"
SPECIAL_TOKENS = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                  "cls_token": "[CLS]", "mask_token": "[MASK]"}
REQUIRED_SPECIAL = ("unk_token", "sep_token", "pad_token", "cls_token")
MAX_SEQ_LENGTH = 256
TEACHER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
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


# --- the pieces of the folder ---------------------------------------------------------------

def bert_config_json(model: Encoder, pad_token_id: int) -> dict:
    """Our EncoderConfig -> a Hugging Face BERT config.json (inverse of teacher.bert_config)."""
    c = model.config
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": c.dropout,
        "classifier_dropout": None,
        "hidden_act": "gelu",                  # exact erf GELU, as tinykd.nn.GELU
        "hidden_dropout_prob": c.dropout,
        "hidden_size": c.hidden_size,
        "initializer_range": c.init_std,
        "intermediate_size": c.intermediate_size,
        "layer_norm_eps": c.layer_norm_eps,
        "max_position_embeddings": c.max_position,
        "num_attention_heads": c.num_heads,
        "num_hidden_layers": c.num_layers,
        "pad_token_id": pad_token_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "type_vocab_size": c.type_vocab_size,
        "use_cache": True,
        "vocab_size": c.vocab_size,
    }


def bert_weights(model: Encoder) -> tuple[dict, dict]:
    """(BERT state for model.safetensors, Dense state for 2_Dense/model.safetensors), float32.

    The encoder's names already are BertModel's. BertModel also has a pooler (a dense
    layer + tanh on [CLS]) that sentence-transformers never uses; we write it as zeros so
    transformers does not warn about, and randomly initialise, missing weights.
    """
    state = {k: np.asarray(v, dtype=np.float32) for k, v in model.state_dict().items()}
    dense = {"linear." + k.removeprefix("projection."): state.pop(k)
             for k in [k for k in state if k.startswith("projection.")]}
    C = model.config.hidden_size
    state["pooler.dense.weight"] = np.zeros((C, C), np.float32)
    state["pooler.dense.bias"] = np.zeros(C, np.float32)
    return state, dense


def export_tokenizer(tokenizer):
    """A copy of ``tokenizer`` without baked-in truncation or padding, with the special tokens
    registered as added tokens (their ids unchanged). Returns (tokenizer, special tokens map)."""
    from tokenizers import AddedToken, Tokenizer

    tok = Tokenizer.from_str(tokenizer.to_str())
    tok.no_truncation()
    tok.no_padding()
    vocab = tok.get_vocab(with_added_tokens=True)
    specials = {role: t for role, t in SPECIAL_TOKENS.items() if t in vocab}
    missing = [SPECIAL_TOKENS[r] for r in REQUIRED_SPECIAL if r not in specials]
    if missing:
        raise ExportError(f"the tokenizer has no {missing}: a BERT tokenizer needs [UNK] [SEP] [PAD] [CLS]")
    ids = {t: vocab[t] for t in specials.values()}
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, single_word=False,
                                       lstrip=False, rstrip=False) for t in specials.values()])
    moved = {t: (i, tok.token_to_id(t)) for t, i in ids.items() if tok.token_to_id(t) != i}
    if moved:  # pragma: no cover - tokenizers keeps the id of a token already in the vocabulary
        raise ExportError(f"registering the special tokens changed their ids: {moved}")
    return tok, specials


def tokenizer_config_json(specials: dict, max_seq_length: int) -> dict:
    return {
        # not BertTokenizer: that class would rebuild the normaliser (see the module docstring)
        "tokenizer_class": "PreTrainedTokenizerFast",
        **specials,
        "model_max_length": max_seq_length,
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "token_type_ids", "attention_mask"],
    }


def pooling_config_json(hidden_size: int) -> dict:
    # the legacy boolean keys: read by sentence-transformers 2.x to 6.x and by tinykd.teacher
    return {"word_embedding_dimension": hidden_size, "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False, "include_prompt": True}


def modules_json(has_dense: bool, normalize: bool) -> list[dict]:
    modules = [("", "sentence_transformers.models.Transformer"),
               ("1_Pooling", "sentence_transformers.models.Pooling")]
    if has_dense:
        modules.append(("2_Dense", "sentence_transformers.models.Dense"))
    if normalize:
        modules.append((f"{len(modules)}_Normalize", "sentence_transformers.models.Normalize"))
    return [{"idx": i, "name": str(i), "path": path, "type": kind} for i, (path, kind) in enumerate(modules)]


# --- the model card ---------------------------------------------------------------------------

def _run_languages(train_config: dict | None) -> list[str]:
    from tinykd.data import LANGS
    chosen = [x.strip() for x in (train_config or {}).get("langs", "").split(",") if x.strip()]
    return chosen or list(LANGS)


def model_card(name: str, model: Encoder, max_seq_length: int, train_config: dict | None,
               eval_table: str | None) -> str:
    from tinykd import __version__

    c = model.config
    langs = _run_languages(train_config)
    card_langs = ["en", *[CARD_LANGUAGE.get(x, x) for x in langs]]
    n_params = model.num_parameters()
    front = "\n".join(["---", "language:", *[f"- {x}" for x in card_langs],
                       "library_name: sentence-transformers", "pipeline_tag: sentence-similarity",
                       "tags:", "- sentence-transformers", "- feature-extraction", "- sentence-similarity",
                       "- knowledge-distillation", "- multilingual", "- tinykd",
                       "license: apache-2.0", "---"])
    pipeline = "BertModel -> mean pooling" + (f" -> Dense {c.hidden_size}->{c.output_size} (identity)"
                                              if c.output_size else "") + (" -> L2 normalisation"
                                                                           if c.normalize else "")
    arch = "\n".join([
        "| | |", "|---|---|",
        f"| pipeline | {pipeline} |",
        f"| layers x width | {c.num_layers} x {c.hidden_size} "
        f"({c.num_heads} heads, feed-forward {c.intermediate_size}) |",
        f"| vocabulary | {c.vocab_size} WordPiece pieces |",
        f"| positions / max_seq_length | {c.max_position} / {max_seq_length} tokens |",
        f"| output | {c.embedding_size} dimensions, "
        f"{'unit length' if c.normalize else 'free length (shorter where the model is unsure)'} |",
        f"| parameters | {n_params / 1e6:.2f} M |",
    ])
    if train_config:
        config_text = ("The run's `config.json` (tinykd's `TrainConfig`, seed included):\n\n```json\n"
                       + json.dumps(train_config, indent=2) + "\n```")
    else:
        config_text = "The run directory held no `config.json`: the training configuration is not recorded."
    if eval_table:
        eval_text = ("On the test split (pages held out from training), from the run's `eval_test.md`:\n\n"
                     + eval_table.strip() + "\n\n"
                     "MSE x 100 is against the teacher's vector of the English sentence, for the English side "
                     "(en) and the translation (xx); translation accuracy is nearest-neighbour retrieval "
                     "among up to 1000 pairs, in both directions (sentence-transformers' TranslationEvaluator).")
    else:
        eval_text = "The run directory held no `eval_test.md`: no evaluation is recorded here."
    lang_list = ", ".join(langs)
    start = (", and its layers started from the teacher's weights"
             if (train_config or {}).get("init") == "teacher" else "")
    return f"""{front}

# {name}

A small multilingual sentence encoder: it maps English and {len(langs)} other languages
({lang_list}) into the vector space of the English teacher
[{TEACHER_NAME}](https://huggingface.co/{TEACHER_NAME}), so that a sentence and its
translation get nearly the same vector. It was distilled with
tinykd (version {__version__}), a Transformer encoder written by hand in NumPy, and
exported to the sentence-transformers format.

## Usage

```python
from sentence_transformers import SentenceTransformer
model = SentenceTransformer("PATH/TO/THIS/FOLDER")
vectors = model.encode(["Choose Format - Cells.", "Wählen Sie Format - Zellen."])
print(model.similarity(vectors, vectors))
```

With tinykd (NumPy only, no PyTorch):

```python
from tinykd.teacher import load_sentence_transformer
model = load_sentence_transformer("PATH/TO/THIS/FOLDER")
vectors = model.encode(["Choose Format - Cells.", "Wählen Sie Format - Zellen."])
```

or from the shell: `python -m tinykd.encode --model PATH/TO/THIS/FOLDER --search corpus.txt < queries.txt`.

With plain `transformers`: `AutoModel` + `AutoTokenizer`, mean pooling over the attention mask
{"then the `2_Dense` linear layer, " if c.output_size else ""}{"then L2 normalisation" if c.normalize else ""}.

## Model

{arch}

The tokenizer is a multilingual WordPiece built for this model: the teacher's English pieces
plus pieces learned on the training translations; its normaliser is NFC + lowercase and
keeps accents (BERT-uncased strips them); CJK ideographs are split into characters.
`model.safetensors` also holds a BERT pooler (the dense layer on [CLS]) that is not used and
not trained: it is all zeros.

## Teacher and method

Teacher: [{TEACHER_NAME}](https://huggingface.co/{TEACHER_NAME}) (Apache-2.0), English only.
Method: multilingual knowledge distillation (Reimers & Gurevych, 2020): for each pair of an
English sentence s and its translation t, the student's vectors of both s and t are pulled
to the teacher's vector of s (mean squared error).

## Training data

The LibreOffice 7.4 help (Debian 12 packages `libreoffice-help-*`, version 4:7.4.7-1+deb12u14):
English paragraphs aligned with their translations into {lang_list};
copyright The Document Foundation and the LibreOffice contributors and translators,
licensed under the Mozilla Public License 2.0 (https://mozilla.org/MPL/2.0/). The split into
train / dev / test is by help page. The domain is software documentation: expect the best
results on short, instructional sentences.

## Training configuration

{config_text}

## Evaluation

{eval_text}

## Limitations

Sentences longer than {max_seq_length} tokens are truncated. The model saw only help-text
sentences; the teacher is English-only, so the quality in each language depends on how
well the student learned to follow the teacher there.

## Licence

The model was distilled from {TEACHER_NAME} (Apache-2.0){start} and trained on
MPL-2.0 text; tinykd's code is MIT.

## Citation

```bibtex
@inproceedings{{reimers-2020-multilingual-sentence-bert,
  title = "Making Monolingual Sentence Embeddings Multilingual using Knowledge Distillation",
  author = "Reimers, Nils and Gurevych, Iryna",
  booktitle = "Proceedings of the 2020 Conference on Empirical Methods in Natural Language Processing",
  year = "2020",
  url = "https://arxiv.org/abs/2004.09813",
}}
```
"""


# --- the export ----------------------------------------------------------------------------

def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _read_optional(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def write_folder(encoder, out: Path, train_config: dict | None = None, eval_table: str | None = None,
                 name: str = "") -> None:
    """Write the sentence-transformers folder of a SentenceEncoder (model + tokenizer) into ``out``."""
    model = encoder.model
    c = model.config
    tokenizer, specials = export_tokenizer(encoder.tokenizer)
    n_tokens = tokenizer.get_vocab_size(with_added_tokens=True)
    if n_tokens > c.vocab_size:
        raise ExportError(f"the tokenizer has {n_tokens} tokens but the model only {c.vocab_size} "
                          "embeddings: they do not belong together")
    max_seq_length = min(MAX_SEQ_LENGTH, c.max_position)
    pad_id = tokenizer.token_to_id(specials["pad_token"])

    out.mkdir(parents=True)
    bert_state, dense_state = bert_weights(model)
    _write_json(out / "config.json", bert_config_json(model, pad_id))
    atomic_save_safetensors(bert_state, out / "model.safetensors", {"format": "pt"})
    tokenizer.save(str(out / "tokenizer.json"))
    _write_json(out / "tokenizer_config.json", tokenizer_config_json(specials, max_seq_length))
    _write_json(out / "special_tokens_map.json", specials)
    _write_json(out / "modules.json", modules_json(bool(dense_state), c.normalize))
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    from tinykd import __version__
    _write_json(out / "config_sentence_transformers.json", {
        "__version__": {"tinykd": __version__}, "model_type": "SentenceTransformer",
        "prompts": {}, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    _write_json(out / "1_Pooling" / "config.json", pooling_config_json(c.hidden_size))
    if dense_state:
        _write_json(out / "2_Dense" / "config.json", {
            "in_features": c.hidden_size, "out_features": c.output_size,
            "bias": "linear.bias" in dense_state, "activation_function": IDENTITY})
        atomic_save_safetensors(dense_state, out / "2_Dense" / "model.safetensors", {"format": "pt"})
    (out / "README.md").write_text(model_card(name or out.name, model, max_seq_length, train_config, eval_table),
                                   encoding="utf-8")


def check_export(encoder, folder: Path, sentences=CHECK_SENTENCES, atol: float = 1e-6) -> float:
    """Load ``folder`` back into tinykd; its vectors must equal ``encoder``'s. Returns the max |difference|."""
    from tinykd.teacher import load_sentence_transformer
    back = load_sentence_transformer(folder)
    a = encoder.encode(sentences, progress=False)
    b = back.encode(sentences, progress=False)
    diff = float(np.abs(a - b).max()) if a.size else 0.0
    if a.shape != b.shape or not diff <= atol:
        raise ExportError(f"the exported folder does not reproduce the run's vectors: shapes {a.shape} "
                          f"{b.shape}, max |difference| {diff:.3g} > {atol}")
    return diff


def export(run_dir, out_dir, force: bool = False, check: bool = True) -> Path:
    """Export the student of ``run_dir`` to a sentence-transformers folder ``out_dir``, atomically.

    ``force`` replaces an existing, non-empty ``out_dir``. With ``check`` the written folder
    is loaded back into tinykd and must give the run's vectors before it is moved into place.
    """
    from tinykd.runs import load_run

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
    train_config = None
    if (run_dir / "config.json").is_file():
        try:
            train_config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ExportError(f"{run_dir / 'config.json'} is not valid JSON: {err}") from err
    eval_table = _read_optional(run_dir / "eval_test.md")

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_folder(encoder, tmp, train_config, eval_table, name=dst.name)
        if check:
            check_export(encoder, tmp)
        if dst.exists():
            old = dst.with_name(f".{dst.name}.old{os.getpid()}")
            os.replace(dst, old)                 # rename: the old folder is kept until the new one is in
            os.replace(tmp, dst)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        else:
            os.replace(tmp, dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def main(argv=None) -> int:
    import argparse
    import sys

    from tinykd.teacher import ModelFolderError

    parser = argparse.ArgumentParser(
        prog="python -m tinykd.export",
        description="Export a trained run as a sentence-transformers / Hugging Face model folder.")
    parser.add_argument("run_dir", help="a run directory (model.safetensors + tokenizer.json; "
                                        "config.json and eval_test.md go into the model card)")
    parser.add_argument("out_dir", help="the folder to write (must not exist or be empty, unless --force)")
    parser.add_argument("--force", action="store_true", help="replace out_dir if it exists")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip loading the export back into tinykd to compare vectors")
    args = parser.parse_args(argv)
    try:
        out = export(args.run_dir, args.out_dir, force=args.force, check=args.check)
    except (ExportError, ModelFolderError) as err:
        print(f"tinykd.export: error: {err}", file=sys.stderr)
        return 1
    print(f"exported {args.run_dir} -> {out}  (SentenceTransformer({str(out)!r}) loads it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
