"""The evaluation's pieces on hand-made vectors: accuracy, Spearman, and the MSE of the model's own output."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optional import missing

from tinykd.data.corpus import Pair
from tinykd.evaluate import evaluate, model_output, spearman, translation_accuracy


def test_translation_accuracy_counts_each_direction():
    english = np.eye(4, dtype=np.float32)
    translation = english.copy()
    assert translation_accuracy(english, translation) == (100.0, 100.0)
    # translation 0 moves between English 0 and 1, nearer 1. en->xx: English 0 still finds it
    # (cos 0.29, the others 0) and English 1 its own (cos 1 > 0.96); xx->en: translation 0 finds English 1
    translation[0] = [0.3, 1.0, 0.0, 0.0]
    assert translation_accuracy(english, translation) == (100.0, 75.0)


def test_translation_accuracy_searches_within_each_set_only():
    english = np.eye(4, dtype=np.float32)
    translation = english[[1, 0, 3, 2]]            # every translation is its neighbour's
    assert translation_accuracy(english, translation, set_size=4) == (0.0, 0.0)
    # sets of 1: each query has one candidate, its own
    assert translation_accuracy(english, translation, set_size=1) == (100.0, 100.0)


def test_a_repeated_translation_counts_as_found_whichever_copy_is_nearest():
    # pairs 0 and 1 share the translation "OK"; the model gives both copies one vector (as the same text gets)
    english = np.eye(3, dtype=np.float32)
    translation = np.array([[0.9, 0.8, 0], [0.9, 0.8, 0], [0, 0, 1]], dtype=np.float32)
    texts_en, texts_xx = ["Yes.", "Okay.", "No."], ["OK", "OK", "Nein"]
    # by position English 1 finds the first copy (row 0), a miss; as sentence-transformers counts, a hit
    assert translation_accuracy(english, translation) == (pytest.approx(200 / 3), pytest.approx(200 / 3))
    assert translation_accuracy(english, translation, english_texts=texts_en, translation_texts=texts_xx) == \
        (100.0, pytest.approx(200 / 3))        # xx->en: both copies find English 0; English 1's is still wrong
    with pytest.raises(ValueError, match="2 texts for 3 pairs"):
        translation_accuracy(english, translation, english_texts=texts_en[:2])


_ST_MISSING = missing("sentence_transformers", "torch")


@pytest.mark.skipif(_ST_MISSING is not None, reason=str(_ST_MISSING))
@pytest.mark.parametrize("seed", range(5))
def test_translation_accuracy_equals_sentence_transformers_translation_evaluator(seed):
    """A set with repeated translations and repeated English sentences, a model that gives a text one vector:
    the TranslationEvaluator's accuracy, direction by direction."""
    import torch
    try:
        from sentence_transformers.sentence_transformer.evaluation import TranslationEvaluator
    except ImportError:                                                    # sentence-transformers < 6
        from sentence_transformers.evaluation import TranslationEvaluator

    rng = np.random.default_rng(seed)
    n, dim = 60, 8
    english = [f"en {i}" for i in rng.integers(0, 50, n)]          # some English sentences repeat
    translation = [f"xx {i}" for i in rng.integers(0, 30, n)]      # many translations repeat
    table = {text: rng.standard_normal(dim).astype(np.float32) for text in sorted({*english, *translation})}
    # the translations near their English, with noise: some hits, some misses
    for e, t in zip(english, translation):
        table[t] += 0.5 * table[e]

    class Model:
        model_card_data = type("CardData", (), {"set_evaluation_metrics": lambda *args: None})()

        def encode(self, sentences, **kwargs):
            return [torch.from_numpy(table[s]) for s in sentences]

    theirs = TranslationEvaluator(english, translation, write_csv=False)(Model())
    vec = np.stack([table[s] for s in english]), np.stack([table[s] for s in translation])
    ours = translation_accuracy(*vec, english_texts=english, translation_texts=translation)
    assert ours == (pytest.approx(100 * theirs["src2trg_accuracy"]), pytest.approx(100 * theirs["trg2src_accuracy"]))
    assert 0 < ours[0] < 100 and 0 < ours[1] < 100
    assert translation_accuracy(*vec) != ours                                  # by position it differs


def test_spearman_is_a_rank_correlation_with_averaged_ties():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert spearman(x, x ** 3) == pytest.approx(1.0)
    assert spearman(x, -np.exp(x)) == pytest.approx(-1.0)
    # ranks (0.5, 0.5, 2) against (0, 1, 2): 1.5 / sqrt(1.5 * 2)
    assert spearman(np.array([1.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(1.5 / np.sqrt(3.0))


class ScaledEncoder:
    """Returns fixed vectors, scaled to unit length only when asked (as SentenceEncoder.encode, whose default is
    the model's own vectors)."""

    def __init__(self, vectors: dict):
        self.vectors = vectors

    def encode(self, sentences, normalize=False, progress=None):
        out = np.stack([self.vectors[s] for s in sentences]).astype(np.float32)
        if normalize:
            out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def test_the_mse_is_measured_on_the_model_output_as_it_is():
    """A translation answered at half length in the teacher's direction: MSE (1 - 1/2)^2 / D,
    not 0 as its unit vector would give; cosines, so accuracy, do not see the length."""
    D = 4
    teacher = np.eye(D, dtype=np.float32)
    pairs = [Pair("de", f"en {i}", f"de {i}", i) for i in range(D)]
    vectors = {f"en {i}": teacher[i] for i in range(D)} | {f"de {i}": 0.5 * teacher[i] for i in range(D)}
    encoder = ScaledEncoder(vectors)
    raw = evaluate(model_output(encoder), pairs, teacher, spearman_pairs=0)["languages"]["de"]
    assert raw["mse_en"] == pytest.approx(0.0)
    assert raw["mse_xx"] == pytest.approx(100.0 * 0.25 / D)
    assert raw["acc"] == 100.0
    unit = evaluate(lambda s: encoder.encode(s, normalize=True), pairs, teacher, spearman_pairs=0)["languages"]["de"]
    assert unit["mse_xx"] == pytest.approx(0.0)


def test_every_corpus_folder_is_a_domain_and_gets_its_own_row(tmp_path):
    import numpy as np

    from tinykd.data.corpus import domain_folders, english_sentences, write_corpus
    from tinykd.evaluate import evaluate_domains, format_domain_summary
    from tinykd.store import EmbeddingStore

    def folder(path, words):
        pairs = [Pair("de", f"the {w}.", f"das {w}.") for w in words]
        write_corpus({"train": pairs[:2], "test": pairs[2:]}, path)
        sentences = english_sentences(path)
        store = EmbeddingStore.create_or_resume(path / "teacher", sentences, "fake", "0", 8, "float32")
        store.fill(sentences, lambda batch: np.stack([encode([s])[0] for s in batch]), progress=False)

    def encode(texts):            # a model that reads only the last word: "the X." and "das X." agree
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, hash(t.split()[-1]) % 8] = 1.0
        return out

    folder(tmp_path, ["cat", "dog", "sun", "moon", "tree"])
    folder(tmp_path / "gimp", ["layer", "brush", "mask", "path", "blur"])
    folders = domain_folders(tmp_path)
    assert list(folders) == ["libreoffice", "gimp"]
    by_domain = evaluate_domains({"model": encode}, folders, log=lambda *a: None)
    assert set(by_domain) == {"libreoffice", "gimp"}
    assert [r["name"] for r in by_domain["gimp"]] == ["model", "char-3gram TF-IDF"]
    assert by_domain["gimp"][0]["mean_mse_en"] == 0.0            # the teacher store holds the model's own vectors
    summary = format_domain_summary(by_domain)
    assert "| gimp | 1 |" in summary and "mean of domains" in summary and "trained on" not in summary
    marked = format_domain_summary(by_domain, scored_only={"gimp"})     # the trainer's --eval_data folders
    assert "| gimp (scored, not trained on) | 1 |" in marked
    libreoffice = by_domain["libreoffice"][0]["mean_acc"]
    assert f"| **mean of the domains trained on** | | **{libreoffice:.1f}** |" in marked


def per_language_reference(encode, pairs, teacher_vectors, max_per_lang=None, seed=0) -> dict:
    """evaluate() as it was before one encode call did all texts: the English set, then each language's
    translations, each in a call of its own. {lang: (acc_en_xx, acc_xx_en, mse_en, mse_xx)}"""
    from tinykd.evaluate import evaluation_pairs
    groups = evaluation_pairs(pairs, max_per_lang, seed)
    english = sorted({p.english for ps in groups.values() for p in ps})
    eng_vec = dict(zip(english, encode(english)))
    out = {}
    for lang, ps in groups.items():
        s_en, s_xx = np.stack([eng_vec[p.english] for p in ps]), encode([p.translation for p in ps])
        t = teacher_vectors[[p.english_index for p in ps]].astype(np.float32)
        out[lang] = translation_accuracy(s_en, s_xx, english_texts=[p.english for p in ps],
                                         translation_texts=[p.translation for p in ps]) + (
            100.0 * float(((s_en - t) ** 2).mean()), 100.0 * float(((s_xx - t) ** 2).mean()))
    return out


def tiny_student(data_dir):
    from tinykd.data.tokenizer import load_tokenizer
    from tinykd.inference import SentenceEncoder
    from tinykd.model import Encoder, EncoderConfig
    tokenizer = load_tokenizer(data_dir / "tokenizer.json", 32, pad=False)
    model = Encoder(EncoderConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=384, num_layers=1, num_heads=4,
                                  intermediate_size=32, max_position=32, init_std=0.3, normalize=False))
    return SentenceEncoder(model, tokenizer, 32)


def test_one_encode_call_gives_the_numbers_of_a_call_per_language(tmp_path):
    from tiny_corpus import make_tiny_data

    from tinykd.data.corpus import load_corpus
    from tinykd.evaluate import evaluate_many
    from tinykd.teacher import teacher_vectors_for
    data = make_tiny_data(tmp_path / "data")
    encoder = tiny_student(data)
    calls = []
    encode = model_output(encoder, progress=False)
    counted = lambda texts: calls.append(len(texts)) or encode(texts)      # noqa: E731
    pairs, teacher = load_corpus("test", data), teacher_vectors_for(data)
    for max_per_lang in (None, 4):
        want = per_language_reference(encode, pairs, teacher, max_per_lang)
        calls.clear()
        got = evaluate(counted, pairs, teacher, max_per_lang, name="student")["languages"]
        assert len(calls) == 1                                        # every text in one call
        assert set(got) == set(want)
        for lang, (acc_en_xx, acc_xx_en, mse_en, mse_xx) in want.items():
            assert (got[lang]["acc_en_xx"], got[lang]["acc_xx_en"]) == (acc_en_xx, acc_xx_en)
            assert got[lang]["mse_en"] == pytest.approx(mse_en, rel=1e-5)
            assert got[lang]["mse_xx"] == pytest.approx(mse_xx, rel=1e-5)
    dev = load_corpus("dev", data)
    calls.clear()
    both = evaluate_many(counted, [(pairs, teacher), (dev, teacher)], 4, name="student")   # two domains, one call
    assert len(calls) == 1
    for result, alone in zip(both, (evaluate(encode, pairs, teacher, 4, name="student"),
                                    evaluate(encode, dev, teacher, 4, name="student"))):
        for lang, row in alone["languages"].items():
            assert result["languages"][lang] == pytest.approx(row, rel=1e-6)
        assert result["spearman"] == pytest.approx(alone["spearman"], rel=1e-6)


def test_repeated_texts_are_encoded_once():
    pairs = [Pair("de", "Open", "Öffnen", 0), Pair("fr", "Open", "Ouvrir", 0), Pair("nl", "Open", "Open", 0)]
    seen = []

    def encode(texts):
        seen.extend(texts)
        return np.eye(4, dtype=np.float32)[[["Open", "Öffnen", "Ouvrir"].index(t) for t in texts]]
    evaluate(encode, pairs, np.eye(4, dtype=np.float32)[:1], spearman_pairs=0)
    assert sorted(seen) == ["Open", "Ouvrir", "Öffnen"]


def dense_tfidf_accuracy(english: list[str], translations: list[str]) -> tuple[float, float]:
    """The TF-IDF reference's accuracy of one set as it was computed before tfidf_hits: the (2m, 32768) vectors."""
    from tinykd.evaluate import char_trigram_tfidf
    vectors = char_trigram_tfidf(english + translations)
    return translation_accuracy(vectors[:len(english)], vectors[len(english):], len(english), english, translations)


def test_tfidf_hits_are_those_of_the_dense_vectors():
    from tinykd.evaluate import tfidf_hits, trigram_counts
    rng = np.random.default_rng(0)
    words = ["save", "Speichern", "tabelle", "table", "document", "Dokument", "ok", "OK", "zelle", "cell", "文書",
             "保存", "документ", "42", "print", "drucken"]
    english = [" ".join(rng.choice(words[::2], rng.integers(1, 4))) for _ in range(60)] + ["OK", "ok", "Table"]
    translations = [" ".join(rng.choice(words, rng.integers(1, 4))) for _ in range(60)] + ["ok", "OK", "文書"]
    found = tfidf_hits([trigram_counts(t) for t in english], [trigram_counts(t) for t in translations],
                       english, translations)
    assert tuple(100.0 * x / len(english) for x in found) == dense_tfidf_accuracy(english, translations)


def test_tfidf_reference_gives_the_dense_numbers_on_the_tiny_corpus(tmp_path):
    from tiny_corpus import make_tiny_data

    from tinykd.data.corpus import load_corpus
    from tinykd.evaluate import evaluation_pairs, tfidf_reference
    pairs = load_corpus("test", make_tiny_data(tmp_path / "data"))
    result = tfidf_reference(pairs)["languages"]
    for lang, ps in evaluation_pairs(pairs).items():
        want = dense_tfidf_accuracy([p.english for p in ps], [p.translation for p in ps])
        assert (result[lang]["acc_en_xx"], result[lang]["acc_xx_en"]) == pytest.approx(want, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8))
def test_trigram_bags_are_each_texts_trigram_counts(texts):
    """The batched 3-grams of many texts at once: each text's own bag, its buckets in increasing order
    (texts of any script, empty ones, a 3-gram never spanning two texts)."""
    from tinykd.evaluate import trigram_bags, trigram_counts
    bags = trigram_bags(texts)
    assert len(bags) == len(texts)
    for text, (buckets, counts) in zip(texts, bags):
        want_buckets, want_counts = trigram_counts(text)
        order = np.argsort(want_buckets)
        assert np.array_equal(buckets, want_buckets[order]) and np.array_equal(counts, want_counts[order])
