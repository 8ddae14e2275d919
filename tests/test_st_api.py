"""Code written for sentence-transformers runs against tinykd unchanged: encode's arguments and shapes,
similarity on embeddings, dimensions, max_seq_length, precision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from optional import missing
from tokenizers import Tokenizer

from tinykd import Encoder, EncoderConfig
from tinykd.inference import quantize, unit
from tinykd.loading import load

TOKENIZER = Path(__file__).resolve().parents[1] / "data" / "tokenizer.json"

SENTENCES = ["The weather is lovely today.", "Das Wetter ist heute schön.", "He drove to the stadium."]


def tiny_run(folder: Path, normalize: bool = False) -> Path:
    """A tiny random student (projection to 12 dimensions, 64 positions) with the shipped tokenizer, as a run
    folder; ``normalize``: it ends in an L2 normalisation (else its vectors are of free length, as the shipped
    student's)."""
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    encoder = Encoder(EncoderConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=16, num_layers=2, num_heads=2,
                                    intermediate_size=32, max_position=64, output_size=12, normalize=normalize,
                                    init_std=0.5))
    folder.mkdir(parents=True)
    encoder.save(folder / "model.safetensors")
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


@pytest.fixture
def model(tmp_path):
    return load(tiny_run(tmp_path / "run"))


def test_encode_as_sentence_transformers_code_calls_it(model):
    embeddings = model.encode(SENTENCES, batch_size=2, show_progress_bar=False, convert_to_numpy=True,
                              normalize_embeddings=True)
    assert embeddings.shape == (3, model.get_sentence_embedding_dimension()) == (3, 12)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
    one = model.encode(SENTENCES[0])                                   # a single string: one vector
    assert one.shape == (12,)
    np.testing.assert_allclose(one, model.encode(SENTENCES)[0], atol=1e-6)
    raw = model.encode(SENTENCES, normalize_embeddings=False)
    np.testing.assert_allclose(unit(raw), embeddings, atol=1e-6)
    listed = model.encode(SENTENCES, convert_to_numpy=False)
    assert isinstance(listed, list) and len(listed) == 3 and listed[0].shape == (12,)


def test_encode_gives_the_model_output_unless_asked_to_normalise(model, tmp_path):
    # sentence-transformers: normalize_embeddings=False by default; unit vectors come from a Normalize module
    embeddings = model.encode(SENTENCES)
    np.testing.assert_array_equal(embeddings, model.encode(SENTENCES, normalize_embeddings=False))
    lengths = np.linalg.norm(embeddings, axis=1)
    assert np.all(np.abs(lengths - 1) > 1e-3), lengths                     # free length, as the model gives it
    np.testing.assert_allclose(model.encode(SENTENCES, normalize=True), unit(embeddings), atol=1e-6)
    normalising = load(tiny_run(tmp_path / "unit", normalize=True))        # a model that ends in a normalisation
    np.testing.assert_allclose(np.linalg.norm(normalising.encode(SENTENCES), axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(normalising.encode(SENTENCES[0])), 1.0, rtol=1e-5)


def test_the_encode_command_writes_the_model_output_or_unit_vectors(model, tmp_path, capsys):
    from tinykd.encode import main as encode_main
    (tmp_path / "s.txt").write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    run = str(tmp_path / "run")
    assert encode_main([str(tmp_path / "s.txt"), "--model", run, "--out", str(tmp_path / "raw.npy")]) == 0
    assert encode_main([str(tmp_path / "s.txt"), "--model", run, "--out", str(tmp_path / "unit.npy"),
                        "--normalize"]) == 0
    raw = model.encode(SENTENCES)
    np.testing.assert_allclose(np.load(tmp_path / "raw.npy"), raw, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "unit.npy"), unit(raw), atol=1e-6)


def test_similarity_takes_embeddings_and_sentences(model):
    embeddings = model.encode(SENTENCES)
    similarities = model.similarity(embeddings, embeddings)             # sentence-transformers' model.similarity
    assert similarities.shape == (3, 3)
    np.testing.assert_allclose(np.diag(similarities), 1.0, rtol=1e-5)
    np.testing.assert_allclose(model.similarity(SENTENCES, SENTENCES[:2]), similarities[:, :2], atol=1e-5)
    np.testing.assert_allclose(model.similarity_pairwise(embeddings, embeddings[::-1]),
                               [similarities[0, 2], similarities[1, 1], similarities[2, 0]], atol=1e-6)
    with pytest.raises(ValueError, match="as many rows"):
        model.similarity_pairwise(embeddings, embeddings[:2])


def test_max_seq_length_cuts_the_input_and_is_checked(model):
    long = "word " * 200
    assert model.max_seq_length == 64                                  # the tiny model's positions
    model.max_seq_length = 8
    assert len(model.tokenize([long])[0]) == 8
    short = model.encode(long)
    np.testing.assert_allclose(short, model.encode("word " * 6), atol=1e-6)   # [CLS] + 6 words + [SEP]
    with pytest.raises(ValueError, match="max_seq_length must be 3..64"):
        model.max_seq_length = 65
    assert "max_seq_length=8" in repr(model) and "dimension=12" in repr(model)


@pytest.mark.parametrize("precision, dtype, width", [("float32", np.float32, 12), ("int8", np.int8, 12),
                                                     ("uint8", np.uint8, 12), ("binary", np.int8, 2),
                                                     ("ubinary", np.uint8, 2)])
def test_precision_gives_sentence_transformers_types_and_shapes(model, precision, dtype, width):
    vectors = model.encode(SENTENCES, precision=precision)
    assert vectors.dtype == dtype and vectors.shape == (3, width)


def test_quantized_vectors_keep_their_order_and_signs():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 16)).astype(np.float32)
    levels = quantize(vectors, "uint8").astype(int)
    for d in range(16):                                                # a monotone map of each dimension
        order = np.argsort(vectors[:, d])
        assert np.all(np.diff(levels[order, d]) >= 0) and levels[:, d].min() == 0 and levels[:, d].max() == 255
    np.testing.assert_array_equal(quantize(vectors, "int8").astype(int), levels - 128)
    bits = np.unpackbits(quantize(vectors, "ubinary"), axis=1)[:, :16]
    np.testing.assert_array_equal(bits, (vectors > 0).astype(np.uint8))
    np.testing.assert_array_equal(quantize(vectors, "binary").astype(int),
                                  quantize(vectors, "ubinary").astype(int) - 128)
    with pytest.raises(ValueError, match="precision must be one of"):
        quantize(vectors, "int4")


def test_every_command_takes_both_spellings_of_a_flag(tmp_path, capsys):
    from tinykd.cli import dashed
    from tinykd.evaluate import main as evaluate_main
    assert dashed(["--batch_size", "8", "--top_k=3", "x_y", "-"]) == ["--batch-size", "8", "--top-k=3", "x_y", "-"]
    assert evaluate_main(["--data_dir", str(tmp_path)]) == 2                       # accepted, and a clear message
    assert f"no corpus in {tmp_path}" in capsys.readouterr().err


_ST_MISSING = missing("sentence_transformers")


@pytest.mark.skipif(_ST_MISSING is not None, reason=str(_ST_MISSING))
def test_the_exported_shipped_student_gives_the_same_vectors_everywhere(tmp_path):
    from sentence_transformers import SentenceTransformer

    from tinykd.export import export
    out = export("pretrained", tmp_path / "student", log=lambda *a: None)          # float16, as it is shipped
    shipped, exported = load(), load(out)
    want = shipped.encode(SENTENCES)
    np.testing.assert_allclose(exported.encode(SENTENCES), want, rtol=0, atol=1e-6)
    st = SentenceTransformer(str(out), device="cpu")
    got = st.encode(SENTENCES)                                                     # its defaults, and tinykd's
    assert got.shape == want.shape == (3, shipped.get_embedding_dimension())
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    np.testing.assert_allclose(st.similarity(got, got).numpy(), shipped.similarity(want, want), atol=1e-5)
