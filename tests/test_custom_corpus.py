"""A corpus folder from the user's own english<TAB>translation files (tinykd.data.tsv)."""

import gzip

import numpy as np
import pytest

from tinykd.data import __main__ as data_cli
from tinykd.data import tsv
from tinykd.data.corpus import Pair, english_sentences, load_corpus, write_corpus
from tinykd.data.tsv import CorpusFormatError
from tinykd.teacher import build_corpus_store, remove_stale_store, teacher_vectors_for

QUIET = dict(log=lambda *a: None)


class FakeTeacher:
    """Stands in for all-MiniLM-L6-v2: a unit vector from each sentence's length."""

    name, weights_sha256, embedding_size = "fake-teacher", "0" * 64, 384

    def encode(self, sentences, batch_size=64, progress=False):
        v = np.zeros((len(sentences), 384), dtype=np.float32)
        v[np.arange(len(sentences)), [len(s) % 384 for s in sentences]] = 1.0
        return v


@pytest.fixture
def shipped(tmp_path):
    """A stand-in for the shipped corpus: one held-out dev and one test pair."""
    root = tmp_path / "shipped"
    write_corpus({"train": [Pair("de", "Open a file.", "Eine Datei öffnen.")],
                  "dev": [Pair("de", "Held out dev sentence.", "Zurückgehaltener Satz.")],
                  "test": [Pair("fr", "Held out test sentence.", "Phrase de test.")]}, str(root))
    return str(root)


@pytest.fixture
def files(tmp_path):
    de = tmp_path / "en-de.tsv"
    lines = [f"Sentence number {i}.\tSatz Nummer {i}." for i in range(200)]
    lines += ["Sentence number 3.\tSatz Nummer 3.",               # a repeat
              "OK\tOK",                                            # untranslated
              "",                                                  # empty lines are skipped
              "Held out test sentence.\tEin Testsatz.",            # English held out by the shipped corpus
              "Something new.\tZurückgehaltener Satz."]            # translation held out
    de.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sv = tmp_path / "en-sv.tsv.gz"
    with gzip.open(sv, "wt", encoding="utf-8") as f:
        f.write("".join(f"Sentence number {i}.\tMening nummer {i}.\n" for i in range(0, 200, 2)))
    return [("de", str(de)), ("sv", str(sv))]


def test_the_folder_loads_as_a_corpus_and_splits_by_english_sentence(files, shipped, tmp_path):
    out = str(tmp_path / "mine")
    report = tsv.build_tsv_corpus(files, out, dev_fraction=0.2, shipped_dir=shipped)
    train, dev = load_corpus("train", out), load_corpus("dev", out)
    assert load_corpus("test", out) == []
    assert {p.lang for p in train} == {"de", "sv"}
    assert {p.lang for p in load_corpus("train", out, ["sv"])} == {"sv"}     # a language beyond the 12
    with pytest.raises(ValueError, match="unknown language"):
        load_corpus("train", out, ["xx"])
    english = english_sentences(out)
    assert all(english[p.english_index] == p.english for p in train + dev)
    assert not {p.english for p in train} & {p.english for p in dev}          # one English, one split
    for p in dev:                                                             # with all its translations
        assert tsv.split_of_english(p.english, 0.2) == "dev"
    assert 0.1 < len({p.english for p in dev}) / len({p.english for p in train + dev}) < 0.3
    assert report["pairs"]["sv"]["train"] + report["pairs"]["sv"]["dev"] == 100
    assert report["drops"]["de"] == {"duplicate": 1, "untranslated": 1, "overlap": 2}
    texts = {p.english for p in train} | {p.translation for p in train}
    assert "Held out test sentence." not in texts and "Zurückgehaltener Satz." not in texts


def test_a_rebuild_is_byte_identical_whatever_the_order_of_the_files(files, shipped, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    tsv.build_tsv_corpus(files, str(a), shipped_dir=shipped)
    tsv.build_tsv_corpus(files[::-1], str(b), shipped_dir=shipped)
    for name in ("english.txt.gz", "train.tsv.gz", "dev.tsv.gz"):
        assert (a / "corpus" / name).read_bytes() == (b / "corpus" / name).read_bytes()


def test_a_malformed_line_names_file_and_line_and_writes_nothing(files, shipped, tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("Fine.\tGut.\nno tab on this line\n", encoding="utf-8")
    out = tmp_path / "mine"
    with pytest.raises(CorpusFormatError, match=rf"{bad}:2:"):
        tsv.build_tsv_corpus(files + [("nl", str(bad))], str(out), shipped_dir=shipped)
    assert not out.exists()


@pytest.mark.parametrize("lang, message", [("en", "not a language code"), ("de\t", "not a language code"),
                                           ("", "not a language code")])
def test_bad_language_codes_are_refused(files, tmp_path, lang, message):
    with pytest.raises(ValueError, match=message):
        tsv.build_tsv_corpus([(lang, files[0][1])], str(tmp_path / "o"))


def test_inputs_are_checked(files, tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.tsv"):
        tsv.build_tsv_corpus([("de", str(tmp_path / "nothing.tsv"))], str(tmp_path / "o"))
    with pytest.raises(ValueError, match="dev_fraction"):
        tsv.build_tsv_corpus(files, str(tmp_path / "o"), dev_fraction=1.0)
    with pytest.raises(ValueError, match="no input"):
        tsv.build_tsv_corpus([], str(tmp_path / "o"))
    empty = tmp_path / "empty.tsv"
    empty.write_text("\nOK\tOK\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no pairs left"):
        tsv.build_tsv_corpus([("de", str(empty))], str(tmp_path / "o"))


def test_another_corpus_is_not_overwritten(files, shipped, tmp_path):
    with pytest.raises(ValueError, match="holds another corpus"):
        tsv.build_tsv_corpus(files, shipped, shipped_dir=shipped)
    tsv.build_tsv_corpus(files, str(tmp_path / "mine"), shipped_dir=shipped)
    tsv.build_tsv_corpus(files[:1], str(tmp_path / "mine"), shipped_dir=shipped)   # its own: rebuilt
    assert {p.lang for p in load_corpus("train", str(tmp_path / "mine"))} == {"de"}


def test_the_teacher_store_follows_the_english_sentences_and_a_stale_one_goes(files, shipped, tmp_path,
                                                                              monkeypatch):
    import tinykd.teacher
    monkeypatch.setattr(tinykd.teacher, "load_teacher", lambda model_dir=None: FakeTeacher())
    out = str(tmp_path / "mine")
    tsv.build_tsv_corpus(files, out, shipped_dir=shipped)
    build_corpus_store(out, **QUIET)
    vectors = teacher_vectors_for(out)
    assert vectors.shape == (len(english_sentences(out)), 384)
    assert np.argmax(vectors, axis=1).tolist() == [len(s) % 384 for s in english_sentences(out)]
    tsv.build_tsv_corpus(files[1:], out, shipped_dir=shipped)      # other sentences
    remove_stale_store(out, **QUIET)
    with pytest.raises(FileNotFoundError):
        teacher_vectors_for(out)


def test_the_trainer_takes_it_as_extra_data(files, shipped, tmp_path, monkeypatch):
    import tinykd.teacher
    from tinykd.config import TrainConfig
    from tinykd.trainingset import extra_folders, training_pairs, training_vectors
    monkeypatch.setattr(tinykd.teacher, "load_teacher", lambda model_dir=None: FakeTeacher())
    out = str(tmp_path / "mine")
    data_cli.main(["tsv", "--out", out, *[x for lang, path in files for x in ("--pairs", lang, path)]])
    build_corpus_store(shipped, **QUIET)
    config = TrainConfig(data_dir=shipped, extra_data=out)
    pairs, folder_of = training_pairs(config, extra_folders(config))
    vectors = training_vectors(config, extra_folders(config))            # the rows english_index points into
    assert folder_of.tolist() == [0] * len(load_corpus("train", shipped)) + [1] * len(load_corpus("train", out))
    assert len(pairs) == len(load_corpus("train", shipped)) + len(load_corpus("train", out))
    assert len(vectors) == len(english_sentences(shipped)) + len(english_sentences(out))
    assert all(np.argmax(vectors[p.english_index]) == len(p.english) % 384 for p in pairs)


def test_cli_builds_and_reports_errors_plainly(files, tmp_path, capsys):
    out = str(tmp_path / "mine")
    argv = ["tsv", "--out", out, "--skip-teacher"]
    for lang, path in files:
        argv += ["--pairs", lang, path]
    data_cli.main(argv)
    printed = capsys.readouterr().out
    assert "| de |" in printed and "| sv |" in printed and "teacher store skipped" in printed
    with pytest.raises(SystemExit, match="error: .*nothing.tsv"):
        data_cli.main(["tsv", "--out", out, "--pairs", "de", str(tmp_path / "nothing.tsv")])
    with pytest.raises(SystemExit, match="error: no input"):
        data_cli.main(["tsv", "--out", out])


def test_a_missing_extra_folder_points_to_the_builder(tmp_path):
    from tinykd.config import TrainConfig
    from tinykd.trainingset import training_pairs
    with pytest.raises(FileNotFoundError, match="--extra_data .*python -m tinykd.data tsv --pairs LANG FILE"):
        training_pairs(TrainConfig(extra_data=str(tmp_path / "mine")))
