"""SentenceEncoder.encode's own path: tinykd.inference_forward, batches in several threads.

The vectors must be those of the module tree's forward (``Encoder.forward``, the layers the
gradient checks cover) to float32 rounding, whatever the number of threads, the batch
size or the order of the sentences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from tinykd import backend
from tinykd.data.batching import pad
from tinykd.inference import SentenceEncoder, run_batches
from tinykd.inference_forward import InferenceWeights
from tinykd.model import Encoder, EncoderConfig

TOKENIZER = Path(__file__).resolve().parents[1] / "data" / "tokenizer.json"
SENTENCES = ["Save the document.", "Insert a table with three rows and two columns, then fill it in.", "",
             "Speichern Sie das Dokument.", "Сохраните документ.", "文書を保存します。", "OK",
             "Choose Format - Cells and set the number format of the selected cells to two decimal places."] * 5


def random_encoder(**changes) -> Encoder:
    """A small random encoder; init_std 0.5 so that every layer changes the vectors a lot."""
    config = dict(vocab_size=Tokenizer.from_file(str(TOKENIZER)).get_vocab_size(), hidden_size=24, num_layers=2,
                  num_heads=3, intermediate_size=40, max_position=64, init_std=0.5, normalize=False)
    return Encoder(EncoderConfig(**(config | changes))).eval()


def module_path(encoder: SentenceEncoder, sentences) -> np.ndarray:
    """Each sentence on its own through Encoder.forward: the reference."""
    return np.concatenate([backend.to_numpy(encoder.model(*map(backend.asarray, pad([ids], encoder.pad_id))))
                           for ids in encoder.tokenize(sentences)])


@pytest.mark.parametrize("changes", [{}, {"output_size": 12, "normalize": True}, {"num_layers": 0, "output_size": 8}])
def test_inference_forward_gives_the_module_trees_vectors(on_backend, changes):
    model = random_encoder(**changes)
    ids = np.array([[2, 5, 7, 9, 3, 11], [2, 4, 3, 0, 0, 0], [2, 3, 0, 0, 0, 0]])     # a row mostly padding
    mask = (ids > 0).astype(np.int32)
    mask[:, 0] = 1
    want = backend.to_numpy(model(backend.asarray(ids), backend.asarray(mask)))
    got = backend.to_numpy(InferenceWeights(model)(backend.asarray(ids), backend.asarray(mask)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_inference_weights_are_read_when_built():
    """The trainer builds one per evaluation: later parameter updates are not seen by an old one."""
    model = random_encoder()
    ids, mask = np.array([[2, 5, 7, 3]]), np.ones((1, 4), dtype=np.int32)
    weights = InferenceWeights(model)
    before = weights(ids, mask)
    model.parameters()["encoder.layer.0.attention.self.key.weight"][...] += 1.0
    np.testing.assert_array_equal(weights(ids, mask), before)          # the fused q|k|v product is a copy
    np.testing.assert_allclose(InferenceWeights(model)(ids, mask), model(ids, mask), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("batch_size", [1, 4, 64])
def test_encode_gives_the_module_paths_vectors_for_any_threads_and_batches(threads, batch_size):
    encoder = SentenceEncoder(random_encoder(), Tokenizer.from_file(str(TOKENIZER)), 64)
    got = encoder.encode(SENTENCES, batch_size=batch_size, threads=threads, progress=False)
    np.testing.assert_allclose(got, module_path(encoder, SENTENCES), rtol=1e-5, atol=1e-6)


def test_encode_is_the_same_in_one_thread_and_in_two():
    encoder = SentenceEncoder(random_encoder(), Tokenizer.from_file(str(TOKENIZER)), 64)
    one = encoder.encode(SENTENCES, batch_size=3, threads=1, progress=False)
    two = encoder.encode(SENTENCES, batch_size=3, threads=2, progress=False)
    np.testing.assert_allclose(two, one, rtol=1e-6, atol=1e-7)


def test_the_shipped_student_encodes_as_its_module_tree():
    import tinykd
    student = tinykd.load()
    np.testing.assert_allclose(student.encode(SENTENCES, threads=2, progress=False),
                               module_path(student, SENTENCES), rtol=1e-4, atol=2e-6)


def test_run_batches_does_every_batch_once_and_raises_a_batchs_error():
    seen = []
    batches = [np.arange(i, i + 2) for i in range(0, 20, 2)]
    sizes = list(run_batches(lambda rows: seen.append(tuple(rows)), batches, threads=2))
    assert sizes == [2] * 10 and sorted(seen) == [tuple(b) for b in batches]

    def fail(rows):
        if rows[0] == 6:
            raise ValueError("batch 3")
    with pytest.raises(ValueError, match="batch 3"):
        list(run_batches(fail, batches, threads=2))


def test_one_input_one_vector_bit_for_bit():
    """Texts the tokenizer makes the same (case; words it lacks) are encoded once: their vectors are equal, so a
    tie between them is a tie, not a coin the batch's rounding tosses."""
    encoder = SentenceEncoder(random_encoder(), Tokenizer.from_file(str(TOKENIZER)), 64)
    texts = ["Hold at all costs", "x"] + SENTENCES + ["HOLD AT ALL COSTS", "Hold At All Costs"]
    assert len({tuple(ids) for ids in encoder.tokenize([texts[0], texts[-2], texts[-1]])}) == 1
    vectors = encoder.encode(texts, batch_size=2, threads=2, progress=False)
    np.testing.assert_array_equal(vectors[-1], vectors[0])
    np.testing.assert_array_equal(vectors[-2], vectors[0])


def test_inference_batches_end_before_a_sentence_padded_by_more_than_a_tenth():
    from tinykd.data.batching import inference_batches
    lengths = np.array([50, 100, 95, 50, 89, 50])
    assert [b.tolist() for b in inference_batches(lengths, 64, 4096)] == [[1, 2], [4], [0, 3, 5]]
    lengths = np.random.default_rng(0).integers(1, 300, 500)
    for rows in inference_batches(lengths, 64, 4096):
        assert lengths[rows].min() >= 0.9 * lengths[rows].max()
    assert len(inference_batches(np.full(100, 20), 64, 4096, max_padding=0.0)) == 2
