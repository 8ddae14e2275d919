"""Tests of tinykd.data: split rule, cleaning filters, TSV reader, batching, tokenizer, shipped data."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections import Counter

import numpy as np
import pytest

from tinykd.data import batching, clean, corpus, helpreader, libreoffice, mix, split
from tinykd.data.corpus import Pair
from tinykd.data.tsv import CorpusFormatError, read_tsv
from tinykd.paths import default_data_dir

DATA_DIR = default_data_dir()
HAVE_CORPUS = os.path.exists(os.path.join(DATA_DIR, "corpus", "train.tsv.gz"))
HAVE_TOKENIZER = os.path.exists(os.path.join(DATA_DIR, "tokenizer.json"))
needs_corpus = pytest.mark.skipif(not HAVE_CORPUS, reason="data/corpus absent: python -m tinykd.data build")
needs_tokenizer = pytest.mark.skipif(not HAVE_TOKENIZER, reason="data/tokenizer.json absent")


# --- the split rule -------------------------------------------------------------------------

PAGES = ["text/scalc/01/04060101.html", "text/swriter/main0000.html", "text/shared/guide/keyboard.html",
         "text/sbasic/shared/03/sf_ui.html", "text/simpress/guide/background.html"]


@pytest.mark.parametrize("page", PAGES)
def test_split_of_page_follows_the_formula(page):
    h = int(hashlib.sha1(page.encode("utf-8")).hexdigest(), 16) % 10
    assert split.page_bucket(page) == h
    assert split.split_of_page(page) == {0: "test", 1: "dev"}.get(h, "train")


def test_split_buckets_cover_all_three_splits():
    pages = [f"text/x/{i}.html" for i in range(200)]
    got = Counter(split.split_of_page(p) for p in pages)
    assert set(got) == {"train", "dev", "test"} and got["train"] > got["dev"]


class P(tuple):
    """A tiny pair with lang/page/english/translation fields, like helpreader.AlignedPair."""


def _pair(lang, page, en, tr):
    return helpreader.AlignedPair(lang, page, "par_id1", en, tr)


def _pages_in(split_name, n=1):
    out = [p for p in (f"text/t/{i}.html" for i in range(100)) if split.split_of_page(p) == split_name]
    return out[:n]


def test_overlap_rule_drops_test_pairs_seen_in_training():
    (train_page,), (test_page,) = _pages_in("train"), _pages_in("test")
    train = [_pair("de", train_page, "Click OK.", "Klicken Sie auf OK.")]
    test = [_pair("de", test_page, "Click OK.", "Etwas anderes."),  # English seen in train
            _pair("de", test_page, "Other text.", "Klicken Sie auf OK."),  # translation seen in train
            _pair("fr", test_page, "Other text.", "Klicken Sie auf OK."),  # same string, other language: kept
            _pair("de", test_page, "New sentence.", "Neuer Satz.")]  # unseen: kept
    by_split = split.split_by_page(train + test)
    assert len(by_split["train"]) == 1 and len(by_split["test"]) == 4
    en, tr = split.training_text(by_split["train"])
    kept, dropped = split.drop_train_overlap(by_split["test"], en, tr)
    assert [(p.lang, p.english) for p in kept] == [("fr", "Other text."), ("de", "New sentence.")]
    assert dropped == Counter({"de": 2})


# --- the HTML reader --------------------------------------------------------------------------

def test_paragraph_parser_reads_ids_nested_markup_and_repeats():
    html = ('<html><body><h1 id="hd_id1">Title &amp; more</h1><div id="DisplayArea">'
            '<p id="par_id2" class="paragraph">Press <span class="keycode">Ctrl</span>+<br>C</p>'
            '<p id="other">not a unit</p><script>var x = 1;</script>'
            '<p id="par_id2">again</p><a name="par_id9"></a></div></body></html>')
    parser = helpreader.ParagraphParser()
    parser.feed(html)
    parser.close()
    assert parser.units == [("hd_id1", "Title & more"), ("par_id2", "Press Ctrl+ C"), ("par_id2", "again")]


def test_read_page_keys_repeated_ids_by_occurrence(tmp_path):
    page = tmp_path / "p.html"
    page.write_text('<p id="par_a">one</p><p id="par_a">two</p>', encoding="utf-8")
    assert helpreader.read_page(str(page)) == {("par_a", 0): "one", ("par_a", 1): "two"}


# --- cleaning ---------------------------------------------------------------------------------

def test_normalize_text_removes_markup_remnants_and_whitespace():
    assert clean.normalize_text('  Click <ahelp hid=".">here</ahelp>\n\tnow\u200b ') == "Click here now"
    assert clean.normalize_text("cafe\u0301") == "café"  # NFC
    assert clean.normalize_text("a < b and c > d") == "a < b and c > d"  # not markup
    assert clean.normalize_text("\ufeffمی\u200cخواهم") == "می\u200cخواهم"   # Persian keeps its ZWNJ; a BOM goes


@pytest.mark.parametrize("text", ["SUM(Number 1; Number 2)", "=ROUND(A1;1)", "/usr/lib/libreoffice/program/",
                                  "C:\\Program Files\\x", "https://www.example.org", "Dim a As Integer",
                                  "12.5 % ; 3,4 - 7", "oLib.getByName(\"x\")", "Edit registrymodifications.xcu"])
def test_code_like_lines(text):
    assert clean.is_code_like(text)


@pytest.mark.parametrize("text", ["Date (MDY)", "Set the alignment of the numbering.", "Print range",
                                  "Click OK.", "10,000 currency units", "Returns the sum of all numbers."])
def test_prose_is_not_code(text):
    assert not clean.is_code_like(text)


def test_cjk_translation_is_not_judged_by_letter_fraction():
    assert not clean.is_code("10,000 currency units", "10,000 通貨単位")
    assert clean.is_code("ISOWEEKNUM", "[text/scalc/01/func_isoweeknum.xhp#isoweeknum not found].")


def test_length_ratio_filter():
    assert clean.is_extreme_length_ratio("Click OK.", "x" * 200, usual=1.1)
    assert clean.is_extreme_length_ratio("A long English sentence about page styles and more.", "Neu.", usual=1.1)
    assert not clean.is_extreme_length_ratio("OK", "Aceptar", usual=1.1)  # tiny pairs are spared
    assert not clean.is_extreme_length_ratio("Defines the width of the tiles.", "各タイルの幅を指定します。", usual=0.5)
    assert clean.usual_length_ratio([("a" * 20, "b" * 10), ("a" * 40, "b" * 20), ("same" * 6, "same" * 6)]) == 0.5


def test_clean_pairs_counts_each_filter():
    page = "text/p.html"
    pairs = [_pair("de", page, "", "Leer"),
             _pair("de", page, "LibreOffice Calc", "LibreOffice Calc"),
             _pair("de", page, "SUM(Number 1; Number 2)", "SUMME(Zahl 1; Zahl 2)"),
             _pair("de", page, "Click the button to open the dialog.", "x" * 400),
             _pair("de", page, " Opens  the <emph>dialog</emph>. ", "Öffnet den Dialog."),
             _pair("de", page, "Opens the dialog.", "Öffnet den Dialog."),
             _pair("de", page, "Closes the dialog box again.", "Schließt das Dialogfeld wieder.")]
    kept, drops = clean.clean_pairs(pairs)
    assert [(p.english, p.translation) for p in kept] == [("Opens the dialog.", "Öffnet den Dialog.")] * 2 + [
        ("Closes the dialog box again.", "Schließt das Dialogfeld wieder.")]
    assert drops["de"] == Counter(empty=1, untranslated=1, code=1, length_ratio=1, normalised=1)
    deduped, dup = clean.dedupe(kept)
    assert len(deduped) == 2 and dup == Counter(de=1)


# --- the TSV reader ---------------------------------------------------------------------------

def test_tsv_reader_skips_empty_lines_and_allows_long_sentences(tmp_path):
    path = tmp_path / "corpus.tsv"
    long = "word " * 1000
    path.write_text(f"Hello.\tHallo.\n\n   \nA long one.\t{long}\r\n", encoding="utf-8")
    assert read_tsv(str(path)) == [("Hello.", "Hallo."), ("A long one.", long.strip())]


def test_tsv_reader_reads_gzip(tmp_path):
    path = tmp_path / "corpus.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("Yes.\tJa.\n")
    assert read_tsv(str(path)) == [("Yes.", "Ja.")]


@pytest.mark.parametrize("bad_line", ["no tab here", "a\tb\tc", "\tonly translation", "only english\t"])
def test_tsv_reader_names_file_and_line(tmp_path, bad_line):
    path = tmp_path / "bad.tsv"
    path.write_text(f"Hello.\tHallo.\n\n{bad_line}\n", encoding="utf-8")
    with pytest.raises(CorpusFormatError) as err:
        read_tsv(str(path))
    assert isinstance(err.value, ValueError)
    assert err.value.line_number == 3 and str(path) in str(err.value) and ":3:" in str(err.value)


# --- the on-disk corpus -----------------------------------------------------------------------

def test_write_and_load_corpus_roundtrip(tmp_path):
    splits = {"train": [Pair("de", "b", "B"), Pair("fr", "a", "A"), Pair("de", "b", "B")],
              "dev": [Pair("ja", "c", "シー")], "test": []}
    corpus.write_corpus(splits, str(tmp_path))
    english = corpus.english_sentences(str(tmp_path))
    assert english == ["a", "b", "c"]
    train = corpus.load_corpus("train", str(tmp_path))
    assert train == [Pair("de", "b", "B", 1), Pair("fr", "a", "A", 0)]
    assert corpus.load_corpus("dev", str(tmp_path), langs=["ja"]) == [Pair("ja", "c", "シー", 2)]
    assert corpus.load_corpus("test", str(tmp_path)) == []
    first = (tmp_path / "corpus" / "train.tsv.gz").read_bytes()
    corpus.write_corpus(splits, str(tmp_path))
    assert (tmp_path / "corpus" / "train.tsv.gz").read_bytes() == first  # reproducible bytes


# --- batching ---------------------------------------------------------------------------------

def _toy_pairs(n=600):
    """Token lengths and languages of n toy pairs."""
    rng = np.random.default_rng(1)
    langs = np.array(["de", "ja", "ko", "fr", "ru", "tr"])[rng.integers(0, 6, n)]
    return rng.integers(3, 60, n), langs


def test_batches_are_deterministic_for_a_seed():
    lengths, _ = _toy_pairs()
    a = batching.batch_order(lengths, batch_size=16, seed=3)
    b = batching.batch_order(lengths, batch_size=16, seed=3)
    c = batching.batch_order(lengths, batch_size=16, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    e1 = batching.batch_order(lengths, batch_size=16, seed=3, epoch=1)
    assert not all(np.array_equal(x, y) for x, y in zip(a, e1))


def test_batches_cover_every_pair_once_mix_languages_and_bucket_lengths():
    lengths, langs = _toy_pairs()
    batches = batching.batch_order(lengths, batch_size=16, seed=0, bucket_batches=10)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    assert np.mean([len(set(langs[b].tolist())) for b in batches]) >= 3  # languages mixed
    spread = np.mean([np.ptp(lengths[b]) for b in batches])
    random_spread = np.mean([np.ptp(lengths[np.random.default_rng(i).choice(len(lengths), 16)]) for i in range(40)])
    assert spread < 0.3 * random_spread  # length-bucketed
    full = batching.batch_order(lengths, batch_size=16, seed=0, drop_last=True)
    assert all(len(b) == 16 for b in full) and len(full) == 600 // 16  # one chunk: only its last batch is short


def test_grouped_batches_keep_an_english_sentences_pairs_together():
    rng = np.random.default_rng(0)
    english_index = np.repeat(np.arange(200), 3)                  # every English sentence has 3 pairs
    lengths = rng.integers(3, 60, len(english_index))
    batches = batching.grouped_batch_order(english_index, lengths, 3, 30, seed=1, epoch=0)
    assert sorted(np.concatenate(batches).tolist()) == list(range(600))
    for b in batches:                                            # whole groups of 3: 10 English sentences
        assert len(np.unique(english_index[b])) * 3 == len(b) <= 30
    again = batching.grouped_batch_order(english_index, lengths, 3, 30, seed=1, epoch=0)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
    other = batching.grouped_batch_order(english_index, lengths, 3, 30, seed=1, epoch=1)
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other))
    # groups of at most 2 out of runs of 3 (2 + 1); drop_last keeps only batches that could not take another
    uneven = batching.grouped_batch_order(english_index, lengths, 2, 7, seed=1, epoch=0, drop_last=True)
    assert all(6 <= len(b) <= 7 for b in uneven)
    for b in uneven:
        counts = np.bincount(english_index[b])
        assert counts.max() <= 3


def test_pad():
    ids, mask = batching.pad([np.array([5, 6, 7]), np.array([8])])
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and mask.tolist() == [[1, 1, 1], [1, 0, 0]]


# --- the tokenizer ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def student():
    pytest.importorskip("tokenizers")
    if not HAVE_TOKENIZER:
        pytest.skip("data/tokenizer.json absent")
    from tinykd.data.tokenizer import load_tokenizer
    return load_tokenizer(max_length=16)


def test_tokenizer_keeps_voicing_marks_and_accents(student):
    assert student.encode("が").ids != student.encode("か").ids
    assert student.encode("é").ids != student.encode("e").ids
    assert student.encode("schön").tokens != student.encode("schon").tokens
    assert student.encode("Hello").ids == student.encode("hello").ids  # lowercased
    assert student.normalizer.normalize_str("Ｃａｆé が") == student.normalizer.normalize_str("Ｃａｆé が").lower()


def test_tokenizer_wraps_cls_sep_truncates_and_pads(student):
    encs = student.encode_batch(["a b", "word " * 100])
    assert encs[0].tokens[:4] == ["[CLS]", "a", "b", "[SEP]"]
    assert len(encs[1].ids) == 16 and encs[1].tokens[-1] == "[SEP]"
    assert len(encs[0].ids) == 16 and encs[0].attention_mask.count(1) == 4 and encs[0].ids[-1] == 0


def test_student_splits_english_like_the_teacher(student):
    from tinykd.data.tokenizer import load_teacher_tokenizer, load_tokenizer
    try:
        teacher = load_teacher_tokenizer(max_length=64, pad=False)
    except ImportError:
        pytest.skip("teacher not installed")
    text = "Choose Format - Cells and click the Numbers tab to change the number format."
    student = load_tokenizer(max_length=64)
    assert student.encode(text).tokens == teacher.encode(text).tokens


# --- the shipped data -------------------------------------------------------------------------

@needs_corpus
def test_shipped_corpus_has_every_language_in_every_split():
    stats = corpus.corpus_stats()
    assert set(stats) == set(libreoffice.HELP_LANGUAGES)                   # 31 languages
    for lang in libreoffice.HELP_LANGUAGES:                                  # Hindi has the fewest pages
        assert stats[lang]["train"] > 4000 and stats[lang]["dev"] > 400 and stats[lang]["test"] > 400


@needs_corpus
def test_shipped_english_index_and_no_train_overlap():
    english = corpus.english_sentences()
    assert english == sorted(set(english))
    train = corpus.load_corpus("train")
    train_en = {p.english for p in train}
    for s in ("dev", "test"):
        pairs = corpus.load_corpus(s)
        assert all(english[p.english_index] == p.english for p in pairs)
        assert not any(p.english in train_en for p in pairs)


@needs_corpus
@pytest.mark.parametrize("source", dict.fromkeys(mix.SHIPPED_SOURCES + mix.SHIPPED_EVAL_ONLY))
def test_every_shipped_folder_is_there_with_its_teacher_store_and_licence(source):
    """What ``--extra_data shipped`` trains on and ``--eval_data shipped`` scores is in the repository:
    each such folder with its corpus, the teacher's vectors of its English side, and its row in
    data/licences/."""
    folder = DATA_DIR / source
    english = corpus.english_sentences(folder)
    assert len(english) > 1000
    store = np.load(folder / "teacher" / "embeddings.npy", mmap_mode="r")
    assert store.shape == (len(english), 384)
    assert f"| `{source}/`" in (DATA_DIR / "licences" / "README.md").read_text(encoding="utf-8")
    assert f"| `{source}/`" in (DATA_DIR / "README.md").read_text(encoding="utf-8")
