"""The sentence-transformers model folder: the reader and the writer, side by side.

A sentence-transformers BERT folder holds::

    modules.json                  the pipeline: Transformer -> Pooling [-> Dense] [-> Normalize]
    config.json                   the BERT architecture (Hugging Face's BertModel)
    model.safetensors             the BERT weights, named as our Encoder's parameters
    tokenizer.json                the WordPiece tokenizer (``tokenizers`` library)
    tokenizer_config.json         for transformers' AutoTokenizer
    special_tokens_map.json
    sentence_bert_config.json     max_seq_length
    config_sentence_transformers.json
    1_Pooling/config.json         which pooling (tinykd runs mean pooling)
    2_Dense/ (optional)           a linear projection: config.json + model.safetensors (identity activation)
    README.md                     the model card (written by tinykd.export)

``load_folder(folder)`` reads all of it into a :class:`~tinykd.inference.SentenceEncoder`
(any such folder: the teacher's, or one that ``write_folder`` wrote), and ``write_folder``
writes a SentenceEncoder as such a folder, which ``SentenceTransformer(folder)`` and
``transformers.AutoModel``/``AutoTokenizer`` load as they are.

Two choices in the writer keep the tokenisation identical to tinykd's:

* ``tokenizer_class`` is ``PreTrainedTokenizerFast``, not ``BertTokenizer``: transformers
  rebuilds a ``BertTokenizer``'s normaliser from its own flags (BERT-uncased strips
  accents), which would turn the student's "Grüße" into "gruße" and lose Cyrillic
  and Turkish letters; ``PreTrainedTokenizerFast`` keeps the normaliser of tokenizer.json
  (NFC, lowercase, accents kept).
* the special tokens are registered as added tokens in tokenizer.json, since transformers
  registers them anyway: a literal "[MASK]" in a sentence is then one token for
  both libraries (the teacher's tokenizer.json does the same).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file
from tokenizers import AddedToken, Tokenizer

from tinykd.data.tokenizer import MAX_SEQ_LENGTH, SPECIAL_TOKENS
from tinykd.files import atomic_save_safetensors, read_json, read_tokenizer, write_json
from tinykd.inference import SentenceEncoder
from tinykd.model import Encoder, EncoderConfig, check_finite
from tinykd.version import __version__

MODULES_FILE = "modules.json"
IDENTITY = "torch.nn.modules.linear.Identity"
REQUIRED_SPECIAL = ("unk_token", "sep_token", "pad_token", "cls_token")


class ModelFolderError(ValueError):
    """A model folder is incomplete, holds something tinykd cannot run, or cannot be written."""


def is_model_folder(folder) -> bool:
    """Whether ``folder`` looks like a sentence-transformers folder (it has modules.json)."""
    return (Path(folder) / MODULES_FILE).is_file()


# === reading ==================================================================================

def _read_json(folder: Path, name: str, kind: type = dict):
    """The JSON file ``folder/name``, which must hold a ``kind`` (an object; modules.json: a list)."""
    path = folder / name
    if not path.is_file():
        raise ModelFolderError(f"{folder} is not a complete sentence-transformers folder: {name} is missing")
    value = read_json(path, ModelFolderError)
    if not isinstance(value, kind):
        raise ModelFolderError(f"{path} holds a JSON {type(value).__name__}, not the {kind.__name__} it should")
    return value


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
    try:
        return EncoderConfig(
            vocab_size=config["vocab_size"], hidden_size=config["hidden_size"],
            num_layers=config["num_hidden_layers"], num_heads=config["num_attention_heads"],
            intermediate_size=config["intermediate_size"], max_position=config["max_position_embeddings"],
            type_vocab_size=config.get("type_vocab_size", 2), layer_norm_eps=config.get("layer_norm_eps", 1e-12),
            dropout=config.get("hidden_dropout_prob", 0.1), output_size=None, normalize=False)
    except KeyError as err:
        raise ModelFolderError(f"{where}: {err} is missing") from None
    except (TypeError, ValueError) as err:
        raise ModelFolderError(f"{where}: not a BERT configuration tinykd can build: {err}") from None


def _bert_state(path: Path) -> dict:
    """BERT weights with the names our Encoder uses: a ``bert.`` prefix dropped, and
    the buffers and heads sentence-transformers never uses (position_ids, pooler) left out."""
    state = {}
    for name, value in _load_weights(path).items():
        name = name.removeprefix("bert.")
        if name == "embeddings.position_ids" or name.startswith(("pooler.", "cls.")):
            continue
        state[name] = value
    return state


def _load_weights(path: Path) -> dict:
    """The arrays of a safetensors file; a damaged file, or weights that hold NaN or infinite
    values, are refused, named."""
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as err:
        raise ModelFolderError(f"{path} is not a readable safetensors file (damaged or cut short?): {err}") from err
    try:
        check_finite(state, path)
    except ValueError as err:
        raise ModelFolderError(str(err)) from None
    return state


def module_folder(folder: Path, module: dict) -> Path:
    """The folder of one module of modules.json: its ``path``, which must stay inside ``folder``
    (an absolute path or a ``..`` would read files elsewhere on the machine)."""
    path = module.get("path", "")
    if not isinstance(path, str) or Path(path).is_absolute() or ".." in Path(path).parts:
        raise ModelFolderError(f"{folder / MODULES_FILE}: the module path {path!r} leads outside the model folder; "
                               "a module's path must be a folder inside it, such as 1_Pooling")
    return folder / path


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
        length = st_config["max_seq_length"]
        if not isinstance(length, int) or isinstance(length, bool):
            raise ModelFolderError(f"{folder}/sentence_bert_config.json: max_seq_length must be a whole number, "
                                   f"got {length!r}")
        return length
    path = folder / "tokenizer_config.json"
    if path.is_file():
        try:
            length = read_json(path).get("model_max_length")
        except ValueError:
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


def load_folder(folder, name: str | None = None) -> SentenceEncoder:
    """A sentence-transformers BERT folder, run on tinykd's encoder (``name``: default, the folder's)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist")
    modules = _read_json(folder, MODULES_FILE, list)
    if not all(isinstance(m, dict) and isinstance(m.get("type", ""), str) for m in modules):
        raise ModelFolderError(f"{folder / MODULES_FILE} is not a list of modules ({{\"path\": ..., \"type\": ...}})")
    module_dirs = [module_folder(folder, m) for m in modules]
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

    pooling_dir = module_dirs[kinds.index("Pooling")]
    pooling = _read_json(pooling_dir, "config.json")
    modes = pooling_modes(pooling)
    if modes != ["mean"]:
        raise ModelFolderError(f"{pooling_dir}/config.json asks for {modes}; tinykd implements "
                               "mean pooling only")

    dense_state = {}
    dense = [d for d, kind in zip(module_dirs, kinds) if kind == "Dense"]
    if len(dense) > 1:
        raise ModelFolderError(f"{folder}: more than one Dense module is not supported")
    if dense:
        dense_dir = dense[0]
        dense_config = _read_json(dense_dir, "config.json")
        activation = dense_config.get("activation_function", "")
        if not isinstance(activation, str) or not activation.endswith("Identity"):
            raise ModelFolderError(f"{dense_dir}/config.json: Dense activation {activation!r} is not supported "
                                   "(identity only)")
        weights_file = _require(dense_dir, "model.safetensors")
        weights = _load_weights(weights_file)
        try:
            config.output_size = int(dense_config["out_features"])
            dense_state = {"projection.weight": weights["linear.weight"]}
        except (KeyError, TypeError, ValueError) as err:
            raise ModelFolderError(f"{dense_dir}: config.json and model.safetensors do not describe a Dense "
                                   f"layer ({err!r} missing or wrong)") from None
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

    tokenizer_path = _require(folder, "tokenizer.json")
    tokenizer = read_tokenizer(tokenizer_path, ModelFolderError)
    tokens = tokenizer.get_vocab_size(with_added_tokens=True)
    if tokens > config.vocab_size:
        raise ModelFolderError(f"{tokenizer_path} has {tokens} tokens but {weights_path} only {config.vocab_size} "
                               "embeddings: they do not belong together")
    if not 1 <= max_seq_length <= config.max_position:
        raise ModelFolderError(f"{folder}/sentence_bert_config.json: max_seq_length {max_seq_length} is not "
                               f"within the model's 1..{config.max_position} positions")
    encoder = SentenceEncoder(model, tokenizer, max_seq_length, name=name or folder.name)
    encoder.weights_sha256 = sha256_file(weights_path)
    encoder.folder = folder
    return encoder


# === writing ==================================================================================

def bert_config_json(model: Encoder, pad_token_id: int) -> dict:
    """Our EncoderConfig -> a Hugging Face BERT config.json (the inverse of :func:`bert_config`)."""
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


WEIGHT_DTYPES = ("float16", "float32")


def bert_weights(model: Encoder, dtype: str = "float32") -> tuple[dict, dict]:
    """(BERT state for model.safetensors, Dense state for 2_Dense/model.safetensors) in ``dtype``,
    float32 or float16 (the inverse of :func:`_bert_state`). A weight beyond float16's range
    (65504) is refused rather than written as infinity.

    The encoder's names already are BertModel's. BertModel also has a pooler (a dense
    layer + tanh on [CLS]) that sentence-transformers never uses; we write it as zeros so
    transformers does not warn about, and randomly initialise, missing weights.
    """
    if dtype not in WEIGHT_DTYPES:
        raise ModelFolderError(f"weights can be written as {' or '.join(WEIGHT_DTYPES)}, not {dtype!r}")
    state = {k: np.asarray(v, dtype=np.float32) for k, v in model.state_dict().items()}
    if dtype == "float16":
        limit = float(np.finfo(np.float16).max)
        too_large = sorted(k for k, v in state.items() if v.size and float(np.abs(v).max()) > limit)
        if too_large:
            raise ModelFolderError(f"{too_large} hold values beyond float16's range ({limit:g}): export them "
                                   "as float32")
        state = {k: v.astype(np.float16) for k, v in state.items()}
    dense = {"linear." + k.removeprefix("projection."): state.pop(k)
             for k in [k for k in state if k.startswith("projection.")]}
    C = model.config.hidden_size
    state["pooler.dense.weight"] = np.zeros((C, C), dtype)
    state["pooler.dense.bias"] = np.zeros(C, dtype)
    return state, dense


def export_tokenizer(tokenizer) -> tuple[Tokenizer, dict]:
    """A copy of ``tokenizer`` without baked-in truncation or padding, with the special tokens
    registered as added tokens (their ids unchanged). Returns (tokenizer, special tokens map)."""
    tok = Tokenizer.from_str(tokenizer.to_str())
    tok.no_truncation()
    tok.no_padding()
    vocab = tok.get_vocab(with_added_tokens=True)
    specials = {role: t for role, t in SPECIAL_TOKENS.items() if t in vocab}
    missing = [SPECIAL_TOKENS[r] for r in REQUIRED_SPECIAL if r not in specials]
    if missing:
        raise ModelFolderError(f"the tokenizer has no {missing}: a BERT tokenizer needs [UNK] [SEP] [PAD] [CLS]")
    ids = {t: vocab[t] for t in specials.values()}
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False, single_word=False,
                                       lstrip=False, rstrip=False) for t in specials.values()])
    moved = {t: (i, tok.token_to_id(t)) for t, i in ids.items() if tok.token_to_id(t) != i}
    if moved:  # pragma: no cover - tokenizers keeps the id of a token already in the vocabulary
        raise ModelFolderError(f"registering the special tokens changed their ids: {moved}")
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
    # the legacy boolean keys: read by sentence-transformers 2.x to 6.x and by pooling_modes
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


def write_folder(encoder: SentenceEncoder, out, card: str | None = None, dtype: str = "float32") -> None:
    """Write ``encoder`` (model + tokenizer) as a sentence-transformers folder ``out`` (a new
    folder), with ``card`` as its README.md and the weights in ``dtype`` (float32, or float16:
    half the file; either way config.json asks for float32, so that transformers and
    sentence-transformers compute in float32, as tinykd does)."""
    out = Path(out)
    model = encoder.model
    c = model.config
    tokenizer, specials = export_tokenizer(encoder.tokenizer)
    n_tokens = tokenizer.get_vocab_size(with_added_tokens=True)
    if n_tokens > c.vocab_size:
        raise ModelFolderError(f"the tokenizer has {n_tokens} tokens but the model only {c.vocab_size} "
                               "embeddings: they do not belong together")
    max_seq_length = min(MAX_SEQ_LENGTH, c.max_position)
    pad_id = tokenizer.token_to_id(specials["pad_token"])

    out.mkdir(parents=True)
    bert_state, dense_state = bert_weights(model, dtype)
    write_json(out / "config.json", bert_config_json(model, pad_id))
    atomic_save_safetensors(bert_state, out / "model.safetensors", {"format": "pt"})
    tokenizer.save(str(out / "tokenizer.json"))
    write_json(out / "tokenizer_config.json", tokenizer_config_json(specials, max_seq_length))
    write_json(out / "special_tokens_map.json", specials)
    write_json(out / MODULES_FILE, modules_json(bool(dense_state), c.normalize))
    write_json(out / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False})
    write_json(out / "config_sentence_transformers.json", {
        "__version__": {"tinykd": __version__}, "model_type": "SentenceTransformer",
        "prompts": {}, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    write_json(out / "1_Pooling" / "config.json", pooling_config_json(c.hidden_size))
    if dense_state:
        write_json(out / "2_Dense" / "config.json", {
            "in_features": c.hidden_size, "out_features": c.output_size,
            "bias": "linear.bias" in dense_state, "activation_function": IDENTITY})
        atomic_save_safetensors(dense_state, out / "2_Dense" / "model.safetensors", {"format": "pt"})
    if card is not None:
        (out / "README.md").write_text(card, encoding="utf-8")
