"""Export to the sentence-transformers format, and back into tinykd.

A tiny random encoder (width 16, two layers, a projection to 12) with the real
multilingual tokenizer stands in for a trained student: the export must carry it over
exactly (float32 weights: vectors identical after loading back; float16, the default:
identical to those of the weights rounded to float16, and within float16's precision of
the run's), and sentence-transformers must compute the same vectors from the folder
(reference test, 1e-5).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from optional import missing

from tinykd import Encoder, EncoderConfig
from tinykd.export import ExportError, export, main, rounded
from tinykd.modelfolder import ModelFolderError, load_folder
from tinykd.runs import load_run

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizer.json"

SENTENCES = [
    "Choose Format - Cells to open the dialog.",
    "Wählen Sie Format - Zellen, um den Dialog zu öffnen.",      # de, accents and ß
    "Schöne Grüße aus München",
    "Выберите Формат - Ячейки. ЁЖИК",                            # ru, upper case
    "[書式] - [セル] を選択します。",                              # ja: kana and ideographs
    "选择格式 - 单元格。",                                         # zh
    "İstanbul'da ÇAĞ şöyle",                                     # tr: dotted capital I
    "",                                                          # an empty sentence
    "e\u0301 composed vs é precomposed",                         # NFC
    "a " * 100,                                                  # longer than max_seq_length
]
EVAL_TABLE = "| model | mean acc |\n|---|---|\n| student | 87.5 |"


def make_run(folder: Path, output_size: int | None = 12, normalize: bool = True, max_position: int = 64,
             dtype=None, config: bool = True, eval_md: bool = True, vocab_size: int | None = None,
             baked: bool = False) -> Path:
    """A fake run directory: a tiny random Encoder (Encoder.save), the student tokenizer,
    and optionally config.json and eval_test.md. ``baked``: the tokenizer is saved with
    truncation and padding set, as the trainer's is."""
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    if baked:
        tokenizer.enable_truncation(max_length=8)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=16)
    model = Encoder(EncoderConfig(
        vocab_size=vocab_size or tokenizer.get_vocab_size(), hidden_size=16, num_layers=2, num_heads=2,
        intermediate_size=32, max_position=max_position, output_size=output_size, normalize=normalize,
        init_std=0.5))                                  # large weights: sentences get distinct vectors
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.safetensors", dtype=dtype)
    tokenizer.save(str(folder / "tokenizer.json"))
    if config:
        (folder / "config.json").write_text(json.dumps({"seed": 123, "steps": 7, "langs": "de,ja"}), encoding="utf-8")
    if eval_md:
        (folder / "eval_test.md").write_text(EVAL_TABLE + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def run_dir(tmp_path):
    return make_run(tmp_path / "run")


# --- round trip ----------------------------------------------------------------------------

FLOAT16_RTOL = 2e-3     # float16 keeps 11 bits: each weight within 2^-11 (5e-4) of itself, relative


def assert_float16_close(got: np.ndarray, want: np.ndarray) -> None:
    """Each vector within float16's precision of the other: |got - want| <= FLOAT16_RTOL |want|, row by row."""
    error = np.linalg.norm(got - want, axis=1) / np.maximum(np.linalg.norm(want, axis=1), 1e-12)
    assert error.max() <= FLOAT16_RTOL, error


@pytest.mark.parametrize("output_size, normalize", [(12, True), (None, False), (None, True), (12, False)])
def test_export_loads_back_with_the_same_vectors(tmp_path, output_size, normalize):
    run = make_run(tmp_path / "run", output_size=output_size, normalize=normalize)
    ours = load_run(run)
    want = ours.encode(SENTENCES)                                      # the model's own output
    exact = load_folder(export(run, tmp_path / "out32", dtype="float32")).encode(SENTENCES)
    assert exact.shape == want.shape == (len(SENTENCES), output_size or 16)
    np.testing.assert_allclose(exact, want, rtol=0, atol=1e-6)
    half = load_folder(export(run, tmp_path / "out")).encode(SENTENCES)     # float16, the default
    np.testing.assert_allclose(half, rounded(ours, "float16").encode(SENTENCES), rtol=0, atol=1e-6)
    assert_float16_close(half, want)
    assert np.abs(half - want).max() > 0                              # it was rounded
    if normalize:
        np.testing.assert_allclose(np.linalg.norm(half, axis=1), 1.0, atol=1e-5)


def _dtypes(out: Path) -> set:
    from safetensors.numpy import load_file
    return {v.dtype for file in (out / "model.safetensors", out / "2_Dense" / "model.safetensors")
            for v in load_file(str(file)).values()}


def test_weights_are_float16_by_default_and_float32_on_request(tmp_path, capsys):
    run = make_run(tmp_path / "run")
    assert _dtypes(export(run, tmp_path / "half")) == {np.dtype(np.float16)}
    assert _dtypes(export(run, tmp_path / "full", dtype="float32")) == {np.dtype(np.float32)}
    size = {name: (tmp_path / name / "model.safetensors").stat().st_size for name in ("half", "full")}
    assert size["half"] < 0.6 * size["full"]
    assert _json(tmp_path / "half" / "config.json")["torch_dtype"] == "float32"     # loaders compute in float32
    assert main([str(run), str(tmp_path / "cli32"), "--float32"]) == 0
    assert _dtypes(tmp_path / "cli32") == {np.dtype(np.float32)}
    assert main([str(run), str(tmp_path / "cli16")]) == 0
    assert "float16 weights move the vectors by at most" in capsys.readouterr().out
    with pytest.raises(ExportError, match="float16 or float32"):
        export(run, tmp_path / "bad", dtype="int8")


def test_a_float16_run_exports_without_loss(tmp_path):
    run = make_run(tmp_path / "run", dtype=np.float16)                 # as the shipped student is stored
    out = export(run, tmp_path / "out")
    assert _dtypes(out) == {np.dtype(np.float16)}
    np.testing.assert_allclose(load_folder(out).encode(SENTENCES), load_run(run).encode(SENTENCES),
                               rtol=0, atol=1e-6)


def test_weights_beyond_float16_are_refused_not_written_as_infinity(tmp_path):
    run = make_run(tmp_path / "run")
    model = Encoder.load(run / "model.safetensors")
    model.projection.params["bias"][0] = 1e5
    model.save(run / "model.safetensors")
    with pytest.raises(ExportError, match=r"\['projection.bias'\] hold values beyond float16's range.*float32"):
        export(run, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    export(run, tmp_path / "out", dtype="float32")


# --- the folder ----------------------------------------------------------------------------

def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_folder_layout_and_config(run_dir, tmp_path):
    out = export(run_dir, tmp_path / "out")
    names = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
            "config_sentence_transformers.json", "1_Pooling/config.json", "2_Dense/config.json",
            "2_Dense/model.safetensors", "README.md"} <= names
    assert not list(tmp_path.glob(".out*")), "the temporary folder was left behind"

    model = Encoder.load(run_dir / "model.safetensors")
    config = _json(out / "config.json")
    assert config["model_type"] == "bert" and config["architectures"] == ["BertModel"]
    assert config["hidden_act"] == "gelu" and config["position_embedding_type"] == "absolute"
    assert {k: config[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                                   "max_position_embeddings", "type_vocab_size", "vocab_size", "pad_token_id")} == \
        dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
             max_position_embeddings=64, type_vocab_size=2, vocab_size=model.config.vocab_size, pad_token_id=0)
    assert config["layer_norm_eps"] == model.config.layer_norm_eps

    assert [m["type"].rsplit(".", 1)[-1] for m in _json(out / "modules.json")] == \
        ["Transformer", "Pooling", "Dense", "Normalize"]
    assert _json(out / "sentence_bert_config.json")["max_seq_length"] == 64      # the model's positions < 256
    pooling = _json(out / "1_Pooling" / "config.json")
    assert pooling["pooling_mode_mean_tokens"] is True and pooling["word_embedding_dimension"] == 16
    assert not any(v for k, v in pooling.items() if k.startswith("pooling_mode") and k != "pooling_mode_mean_tokens")
    assert _json(out / "2_Dense" / "config.json") == {
        "in_features": 16, "out_features": 12, "bias": True, "activation_function": "torch.nn.modules.linear.Identity"}

    from safetensors import safe_open
    from safetensors.numpy import load_file
    with safe_open(str(out / "model.safetensors"), framework="np") as f:
        assert f.metadata() == {"format": "pt"}             # transformers refuses a file without it
    weights = load_file(str(out / "model.safetensors"))
    ours = {k for k in model.state_dict() if not k.startswith("projection.")}
    assert set(weights) == ours | {"pooler.dense.weight", "pooler.dense.bias"}
    assert "encoder.layer.1.attention.self.query.weight" in weights
    assert not weights["pooler.dense.weight"].any()
    dense = load_file(str(out / "2_Dense" / "model.safetensors"))
    np.testing.assert_array_equal(dense["linear.weight"], model.state_dict()["projection.weight"].astype(np.float16))
    np.testing.assert_array_equal(dense["linear.bias"], model.state_dict()["projection.bias"].astype(np.float16))


def test_no_dense_and_no_normalize_modules_when_the_model_has_none(tmp_path):
    out = export(make_run(tmp_path / "run", output_size=None, normalize=False), tmp_path / "out")
    assert [m["path"] for m in _json(out / "modules.json")] == ["", "1_Pooling"]
    assert not (out / "2_Dense").exists()


def test_max_seq_length_is_256_for_a_model_with_more_positions(tmp_path):
    out = export(make_run(tmp_path / "run", max_position=300), tmp_path / "out")
    assert _json(out / "sentence_bert_config.json")["max_seq_length"] == 256
    assert _json(out / "tokenizer_config.json")["model_max_length"] == 256
    assert load_folder(out).max_seq_length == 256


def test_tokenizer_files(tmp_path):
    from tokenizers import Tokenizer
    run_dir = make_run(tmp_path / "run", baked=True)             # truncation and padding in tokenizer.json
    out = export(run_dir, tmp_path / "out", dtype="float32")
    config = _json(out / "tokenizer_config.json")
    # BertTokenizer would make transformers rebuild the normaliser (accents stripped)
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    specials = {"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                "mask_token": "[MASK]"}
    assert _json(out / "special_tokens_map.json") == specials
    assert all(config[k] == v for k, v in specials.items())
    data = _json(out / "tokenizer.json")
    assert data["truncation"] is None and data["padding"] is None
    assert data["normalizer"] == _json(TOKENIZER)["normalizer"]            # NFC + lowercase, accents kept
    assert {t["content"] for t in data["added_tokens"] if t["special"]} == set(specials.values())
    exported, original = Tokenizer.from_file(str(out / "tokenizer.json")), Tokenizer.from_file(str(TOKENIZER))
    assert [e.ids for e in exported.encode_batch(SENTENCES)] == [e.ids for e in original.encode_batch(SENTENCES)]
    np.testing.assert_allclose(load_folder(out).encode(SENTENCES), load_run(run_dir).encode(SENTENCES),
                               rtol=0, atol=1e-6)


def test_model_card(run_dir, tmp_path):
    card = (export(run_dir, tmp_path / "out") / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "library_name: sentence-transformers" in card
    assert "all-MiniLM-L6-v2" in card and "LibreOffice" in card and "Mozilla Public License 2.0" in card
    assert '"seed": 123' in card and EVAL_TABLE in card
    assert "de, ja" in card                                   # the run's languages (config langs=de,ja)
    front = card.split("---\n")[1]
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2\n" in front
    assert "\n.\n" not in card and "$" not in card.replace("$$", "")


def test_model_card_tells_the_run_s_own_data_and_config(tmp_path):
    run = make_run(tmp_path / "run", eval_md=False)
    config = {"init": "teacher", "teacher_layers": "0,5", "num_layers": 3, "hidden_size": 384, "num_heads": 12,
              "data_dir": "", "extra_data": "gimp,/somewhere/mine", "sample_alpha": 0.7,
              "sample_weights": "gimp=2", "langs": "", "seed": 1}
    (run / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (run / "eval_test.json").write_text(json.dumps(
        {"libreoffice": [{"name": "student", "languages": {"de": {}, "ja": {}}}],
         "gimp": [{"name": "student", "languages": {"sl": {}, "de": {}}}]}), encoding="utf-8")
    card = (export(run, tmp_path / "out") / "README.md").read_text(encoding="utf-8")
    data = card[card.index("## Training data"):card.index("## Training configuration")]
    assert "LibreOffice 7.4 help" in data and "**gimp**" in data and "GNU Free Documentation License" in data
    assert "`/somewhere/mine`: a corpus folder tinykd did not build" in data and "power 0.7" in data
    assert "multiplied (`--sample_weights`): `gimp=2`" in data
    assert "de, ja, sl" in card and "- sl\n" in card                 # the languages it was tested on
    assert "(libreoffice, gimp, mine)" in card                         # what it saw, in the limitations
    configuration = card[card.index("## Training configuration"):card.index("## Evaluation")]
    assert '"num_layers"' not in configuration and "`num_layers`, `hidden_size`, `num_heads` left out" in configuration
    assert '"teacher_layers": "0,5"' in configuration and "2 x 16" in card   # the layers the model has


def test_model_card_names_each_folder_of_the_shipped_mix(tmp_path):
    run = make_run(tmp_path / "run", eval_md=False)
    config = {"init": "teacher", "teacher_layers": "0,5", "data_dir": "", "extra_data": "shipped", "langs": ""}
    (run / "config.json").write_text(json.dumps(config), encoding="utf-8")
    card = (export(run, tmp_path / "out") / "README.md").read_text(encoding="utf-8")
    data = card[card.index("## Training data"):card.index("## Training configuration")]
    assert "**wesnoth** (`data/wesnoth`)" in data and "Bible verses of the public-domain editions" in data
    assert "shipped" not in data.replace("shipped in tinykd", "") and "did not build" not in data
    assert "**freedict** (`data/freedict`)" in data and "not trained on" not in data   # a run from before eval_data
    config["eval_data"] = "shipped"                                    # today's default: FreeDict scored only
    (run / "config.json").write_text(json.dumps(config), encoding="utf-8")
    card = (export(run, tmp_path / "out2") / "README.md").read_text(encoding="utf-8")
    data = card[card.index("## Training data"):card.index("## Training configuration")]
    assert "**freedict**" not in data and "**wesnoth** (`data/wesnoth`)" in data
    assert "Evaluated as domains of their own and not trained on (`eval_data`): `freedict`, `freeciv`." in data


def test_model_card_without_config_or_evaluation_lists_all_12_languages(tmp_path):
    run = make_run(tmp_path / "run", config=False, eval_md=False)
    card = (export(run, tmp_path / "out") / "README.md").read_text(encoding="utf-8")
    assert "not recorded" in card and "no evaluation is recorded" in card
    for lang in ("de", "es", "fr", "it", "nl", "pt-BR", "ru", "ja", "zh-CN", "pl", "tr", "ko"):
        assert lang in card
    assert "- zh\n" in card and "- pt\n" in card                # ISO 639-1 in the metadata


# --- refusals ------------------------------------------------------------------------------

def test_refuses_an_existing_folder_unless_forced(run_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(ExportError, match="already exists"):
        export(run_dir, out)
    assert (out / "keep.txt").exists()
    export(run_dir, out, force=True)
    assert not (out / "keep.txt").exists() and (out / "modules.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "run"]     # no temporary or old folder left
    export(run_dir, tmp_path / "empty_is_fine")
    (tmp_path / "empty").mkdir()
    export(run_dir, tmp_path / "empty")


def test_refuses_an_export_into_the_run(run_dir):
    with pytest.raises(ExportError, match="outside the run directory"):
        export(run_dir, run_dir / "st", force=True)
    with pytest.raises(ExportError, match="outside the run directory"):
        export(run_dir, run_dir.parent, force=True)
    assert (run_dir / "model.safetensors").exists()


def test_refuses_an_incomplete_run(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export(tmp_path / "nowhere", tmp_path / "out")
    run = make_run(tmp_path / "run")
    (run / "tokenizer.json").unlink()
    with pytest.raises(ExportError, match="tokenizer.json is missing"):
        export(run, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_refuses_a_tokenizer_that_does_not_fit_the_model(tmp_path):
    run = make_run(tmp_path / "run", vocab_size=1000)          # 15000 tokens, 1000 embeddings
    with pytest.raises(ExportError, match="do not belong together"):
        export(run, tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_cli(run_dir, tmp_path, capsys):
    assert main([str(run_dir), str(tmp_path / "out")]) == 0
    assert "SentenceTransformer" in capsys.readouterr().out
    assert main([str(run_dir), str(tmp_path / "out")]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main([str(run_dir), str(tmp_path / "out"), "--force"]) == 0


# --- loading folders back: clear errors, and what newer sentence-transformers writes ------------

def test_a_mismatched_folder_gets_a_clear_error(run_dir, tmp_path):
    out = export(run_dir, tmp_path / "out")
    config = _json(out / "config.json")
    (out / "config.json").write_text(json.dumps({**config, "hidden_size": 32, "num_attention_heads": 4}))
    with pytest.raises(ModelFolderError, match="does not fit its config.json"):
        load_folder(out)
    (out / "config.json").write_text("{not json")
    with pytest.raises(ModelFolderError, match="not valid JSON"):
        load_folder(out)
    (out / "config.json").unlink()
    with pytest.raises(ModelFolderError, match="config.json is missing"):
        load_folder(out)


def test_a_folder_saved_by_sentence_transformers_5_loads(run_dir, tmp_path):
    """sentence-transformers >= 5 writes ``"pooling_mode": "mean"`` and may keep max_seq_length only
    as the tokenizer's model_max_length."""
    out = export(run_dir, tmp_path / "out")
    (out / "1_Pooling" / "config.json").write_text(json.dumps(
        {"embedding_dimension": 16, "pooling_mode": "mean", "include_prompt": True}))
    (out / "sentence_bert_config.json").write_text(json.dumps({"transformer_task": "feature-extraction"}))
    tok_config = _json(out / "tokenizer_config.json")
    (out / "tokenizer_config.json").write_text(json.dumps({**tok_config, "model_max_length": 32}))
    back = load_folder(out)
    assert back.max_seq_length == 32
    (out / "1_Pooling" / "config.json").write_text(json.dumps({"embedding_dimension": 16, "pooling_mode": "cls"}))
    with pytest.raises(ModelFolderError, match="mean pooling only"):
        load_folder(out)


# --- the reference: sentence-transformers and transformers read the folder as tinykd does ------

_SKIP = missing("sentence_transformers", "torch", "transformers")


@pytest.mark.reference
@pytest.mark.skipif(_SKIP is not None, reason=str(_SKIP))
@pytest.mark.parametrize("output_size, normalize", [(12, True), (None, False)])
def test_sentence_transformers_reproduces_tinykd(tmp_path, output_size, normalize):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    run = make_run(tmp_path / "run", output_size=output_size, normalize=normalize)
    out = export(run, tmp_path / "out")
    ours = load_run(run)

    # the same token ids, [CLS] ... [SEP], truncated at max_seq_length
    hf = AutoTokenizer.from_pretrained(str(out))
    ids = hf(SENTENCES, truncation=True, max_length=ours.max_seq_length)["input_ids"]
    assert ids == [list(x) for x in ours.tokenize(SENTENCES)]

    st = SentenceTransformer(str(out), device="cpu")
    assert st.max_seq_length == ours.max_seq_length
    assert {p.dtype for p in st.parameters()} == {torch.float32}       # float16 in the file, float32 to compute
    # both with their defaults: the model's output as it is (unit length only with a Normalize module)
    exported = load_folder(out)
    want = exported.encode(SENTENCES)
    got = st.encode(SENTENCES, batch_size=4, convert_to_numpy=True)
    diff = float(np.abs(got - want).max())
    print(f"\nsentence-transformers vs tinykd (output {output_size}, normalize {normalize}): "
          f"max |difference| {diff:.2e}")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    assert_float16_close(got, ours.encode(SENTENCES))                  # and the run's float32 vectors, to float16
    if normalize:
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)

    # and what sentence-transformers saves from it loads back into tinykd
    st.save(str(tmp_path / "resaved"))
    np.testing.assert_allclose(load_folder(tmp_path / "resaved").encode(SENTENCES), want, rtol=0, atol=1e-6)


def test_the_card_knows_every_source_the_data_command_builds():
    """export.SOURCE_MODULES names the modules of `python -m tinykd.data SOURCE` (Wesnoth's was once missing)."""
    from tinykd import export as export_module
    from tinykd.data.__main__ import SOURCES
    assert sorted(export_module.SOURCE_MODULES) == sorted(SOURCES)
