"""What every new source shares: tinykd.data.assemble (clean, check, split, write) and tinykd.data.debian."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tinykd.data import assemble, cataclysm, corpus, debian, freeciv, split, tuxpaint, wesnoth
from tinykd.data.assemble import SourcePair

QUIET = dict(log=lambda *a: None)


def _pairs(lang="de", docs=60, per_doc=3, translate=lambda i: f"Satz Nummer {i} ist hier."):
    return [SourcePair(lang, f"src:doc{d}", f"Sentence number {d * per_doc + k} is here.",
                       translate(d * per_doc + k)) for d in range(docs) for k in range(per_doc)]


def test_assemble_splits_by_document_and_writes_a_corpus(tmp_path):
    raw = _pairs("de") + _pairs("fr", translate=lambda i: f"Phrase numéro {i} est ici.")
    report = assemble.assemble(raw, tmp_path, "src", "test text", {"version": "1"}, **QUIET)
    assert report["languages"] == ["de", "fr"]
    for name in split.SPLITS:
        pairs = corpus.load_corpus(name, tmp_path)
        assert len(pairs) == sum(n[name] for n in report["pairs"].values())
    docs = {split.split_of_document(f"src:doc{d}") for d in range(60)}
    assert docs == {"train", "dev", "test"}                       # 60 documents reach every split
    by_english = {p.english: p for p in raw}
    for name in split.SPLITS:                                      # each pair sits in its document's split
        for p in corpus.load_corpus(name, tmp_path):
            assert split.split_of_document(by_english[p.english].doc) == name
    info = corpus.read_json(corpus.corpus_dir(tmp_path) / corpus.BUILD_INFO_FILE)
    assert info["source"] == "src" and info["kind"] == "test text" and len(info["samples"]["de"]) == 3


def test_held_out_text_seen_in_a_training_document_is_dropped(tmp_path):
    raw = _pairs("de")
    train_doc = next(f"src:doc{d}" for d in range(60) if split.split_of_document(f"src:doc{d}") == "train")
    test_doc = next(f"src:doc{d}" for d in range(60) if split.split_of_document(f"src:doc{d}") == "test")
    raw.append(SourcePair("de", train_doc, "A repeated sentence.", "Ein wiederholter Satz."))
    raw.append(SourcePair("de", test_doc, "A repeated sentence.", "Ein wiederholter Satz, anders."))
    report = assemble.assemble(raw, tmp_path, "src", "test text", **QUIET)
    assert "A repeated sentence." not in {p.english for p in corpus.load_corpus("test", tmp_path)}
    assert report["drops"]["de"]["overlap_test"] == 1


def test_a_misaligned_or_untranslated_language_is_left_out_and_reported(tmp_path):
    raw = (_pairs("de")
           + _pairs("fr", translate=lambda i: f"Sentence number {i} is here.")        # untranslated
           + _pairs("nl", translate=lambda i: "x" * 400 + str(i)))                    # nothing like the English
    report = assemble.assemble(raw, tmp_path, "src", "test text", filters=("empty",), **QUIET)
    assert report["languages"] == ["de"]
    assert "untranslated" in report["left_out"]["fr"] and "length ratio" in report["left_out"]["nl"]
    assert {p.lang for p in corpus.load_corpus("train", tmp_path)} == {"de"}
    assert "left out" in assemble.format_report(report)


def test_nothing_is_written_when_no_language_passes(tmp_path):
    assemble.assemble(_pairs("de"), tmp_path, "src", "test text", **QUIET)
    before = (corpus.corpus_dir(tmp_path) / "train.tsv.gz").read_bytes()
    with pytest.raises(ValueError, match="no language passed"):
        assemble.assemble(_pairs("de", docs=2), tmp_path, "src", "test text", **QUIET)
    assert (corpus.corpus_dir(tmp_path) / "train.tsv.gz").read_bytes() == before     # the old corpus stays
    assert [p.name for p in tmp_path.iterdir()] == ["corpus"]                          # no staging left


def test_a_rebuild_writes_the_same_bytes(tmp_path):
    raw = _pairs("de") + _pairs("ja", translate=lambda i: f"文番号{i}はここです。")
    assemble.assemble(raw, tmp_path / "a", "src", "test text", **QUIET)
    assemble.assemble(raw[::-1], tmp_path / "b", "src", "test text", **QUIET)
    for name in ("english.txt.gz", "train.tsv.gz", "dev.tsv.gz", "test.tsv.gz", "build_info.json"):
        assert (tmp_path / "a" / "corpus" / name).read_bytes() == (tmp_path / "b" / "corpus" / name).read_bytes()


@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="dpkg-deb is not installed")
def test_a_downloaded_package_is_unpacked_once(tmp_path):
    tree = tmp_path / "pkg"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text("Package: tinykd-probe\nVersion: 1:2.0-1\nArchitecture: all\n"
                                             "Maintainer: t <t@t>\nDescription: probe\n")
    (tree / "usr" / "share" / "doc" / "tinykd-probe").mkdir(parents=True)
    (tree / "usr" / "share" / "doc" / "tinykd-probe" / "copyright").write_text("License: MIT\n")
    (tmp_path / "work" / "debs").mkdir(parents=True)
    subprocess.run(["dpkg-deb", "--build", str(tree), str(tmp_path / "work" / "debs" / "tinykd-probe_2.0-1_all.deb")],
                   check=True, capture_output=True)
    package = debian.fetch_one("tinykd-probe", tmp_path / "work", **QUIET)
    assert package.version == "1:2.0-1" and "MIT" in package.copyright()
    (package.root / "usr" / "share" / "doc" / "tinykd-probe" / "copyright").write_text("changed\n")
    assert "changed" in debian.fetch_one("tinykd-probe", tmp_path / "work", **QUIET).copyright()   # not unpacked again


@pytest.mark.skipif(not shutil.which("apt-get"), reason="apt-get is not installed")
def test_a_package_that_cannot_be_had_is_named_and_left_out(tmp_path):
    got, failed = debian.fetch(["tinykd-no-such-package-xyz"], tmp_path, **QUIET)
    assert got == {} and "tinykd-no-such-package-xyz" in failed["tinykd-no-such-package-xyz"]


def test_language_codes_get_one_spelling():
    from tinykd.data.languages import canonical, is_english
    assert [canonical(c) for c in ("pt_BR", "pt-br", "zh-cn", "zh_TW", "sv-SE", "nb-NO", "hi-IN", "de", "es-AR",
                                   "ca-valencia", "pt-PT")] == \
        ["pt-BR", "pt-BR", "zh-CN", "zh-TW", "sv", "nb", "hi", "de", "es-AR", "ca-valencia", "pt"]
    assert is_english("en-GB") and is_english("en_US") and not is_english("eo")
    with pytest.raises(ValueError):
        canonical("../x")


def test_the_mix_samples_each_full_build_and_keeps_held_out_text_out_of_training(tmp_path):
    from tinykd.data import mix
    from tinykd.data.corpus import Pair, write_corpus
    full = tmp_path / "full"
    a = [Pair(lang, f"Sentence {i}.", f"{lang} sentence {i}.") for i in range(40) for lang in ("de", "fr")]
    write_corpus({"train": a[:60], "dev": a[60:70], "test": a[70:]}, full / "one")
    b = [Pair("de", f"Other {i}.", f"Anderer {i}.") for i in range(30)]
    b.append(Pair("de", a[75].english, "Ganz anders übersetzt."))        # test text of "one", trained in "two"
    write_corpus({"train": b[20:], "test": b[:20]}, full / "two")
    help_corpus = tmp_path / "data"
    write_corpus({"train": [Pair("de", "Other 3.", "Anderer 3.")], "test": [Pair("de", "Help.", "Hilfe.")]},
                 help_corpus)
    reports = mix.mix(full, help_corpus, train_per_lang=25, eval_per_lang=4, log=lambda *x: None)
    assert set(reports) == {"one", "two"}
    one_train = corpus.load_corpus("train", help_corpus / "one")
    assert {lang: sum(p.lang == lang for p in one_train) for lang in ("de", "fr")} == {"de": 25, "fr": 25}
    assert len(corpus.load_corpus("test", help_corpus / "one")) == 8             # 4 per language
    two_train = {p.english for p in corpus.load_corpus("train", help_corpus / "two")}
    assert a[75].english not in two_train                                         # held out in "one"
    assert "Other 3." not in {p.english for p in corpus.load_corpus("test", help_corpus / "two")}   # trained in data/
    assert reports["two"]["mix"]["train_dropped_held_out_elsewhere"] == {"de": 1}
    again = tmp_path / "again"
    write_corpus({"train": [Pair("de", "Other 3.", "Anderer 3.")], "test": [Pair("de", "Help.", "Hilfe.")]}, again)
    mix.mix(full, again, train_per_lang=25, eval_per_lang=4, log=lambda *x: None)
    for name in ("train.tsv.gz", "test.tsv.gz", "english.txt.gz", "build_info.json"):
        assert ((help_corpus / "one" / "corpus" / name).read_bytes()
                == (again / "one" / "corpus" / name).read_bytes()) or name == "build_info.json"


def test_a_source_mixed_alone_leaves_the_other_folders_and_holds_out_nothing_they_train_on(tmp_path, monkeypatch):
    from tinykd.data import mix
    from tinykd.data.corpus import Pair, write_corpus
    monkeypatch.setattr(mix, "SHIPPED_SOURCES", ("kept", "new"))
    full, data = tmp_path / "full", tmp_path / "data"
    new = [Pair("de", f"New {i}.", f"Neu {i}.") for i in range(20)]
    new.append(Pair("de", "Trained elsewhere.", "Anderswo trainiert."))
    write_corpus({"train": new[:10], "test": new[10:]}, full / "new")
    write_corpus({"train": [Pair("de", "Help.", "Hilfe.")]}, data)
    write_corpus({"train": [Pair("de", "Trained elsewhere.", "Woanders gelernt.")]}, data / "kept")
    before = (data / "kept" / "corpus" / "train.tsv.gz").read_bytes()
    reports = mix.mix(full, data, sources=["new"], train_per_lang=25, eval_per_lang=20, log=lambda *x: None)
    assert "Trained elsewhere." not in {p.english for p in corpus.load_corpus("test", data / "new")}
    assert reports["new"]["mix"]["eval_dropped_trained_elsewhere"] == {"de": 1}
    assert (data / "kept" / "corpus" / "train.tsv.gz").read_bytes() == before        # not sampled again


def test_the_held_out_text_of_the_data_dir_s_folders_counts_without_their_full_builds(tmp_path):
    """A machine with one full build (mix --sources NEW) still keeps the dev and test text of the folders
    already in data/ (data/bible's held-out books among them) out of what it samples for training."""
    from tinykd.data import mix
    from tinykd.data.corpus import Pair, write_corpus
    full, data = tmp_path / "full", tmp_path / "data"
    write_corpus({"train": [Pair("en", s, s) for s in ("In the beginning.", "Any sentence.", "Help.")]}, full / "new")
    write_corpus({"train": [Pair("de", "Other.", "Andere.")], "test": [Pair("de", "Help.", "Hilfe.")]}, data)
    write_corpus({"dev": [Pair("de", "In the beginning.", "Im Anfang.")]}, data / "bible")     # built locally
    reports = mix.mix(full, data, sources=["new"], log=lambda *x: None)
    assert [p.english for p in corpus.load_corpus("train", data / "new")] == ["Any sentence."]
    assert reports["new"]["mix"]["train_dropped_held_out_elsewhere"] == {"en": 2}


def test_the_tokenizer_learns_from_the_shipped_folders_only(tmp_path):
    from tinykd.data import mix
    from tinykd.data.__main__ import tokenizer_texts
    from tinykd.data.corpus import Pair, write_corpus
    write_corpus({"train": [Pair("de", "Help.", "Hilfe.")]}, tmp_path)
    write_corpus({"train": [Pair("de", "A manual.", "Ein Handbuch."), Pair("de", "A page.", "Eine Seite.")]},
                 tmp_path / "gimp")
    write_corpus({"train": [Pair("de", "In the beginning.", "Am Anfang.")]}, tmp_path / "bible")   # built locally
    write_corpus({"train": [Pair("de", "Mine.", "Meins.")]}, tmp_path / "mine")                     # a user's own
    write_corpus({"train": [Pair("de", "A zombie.", "Ein Zombie.")]}, tmp_path / "cataclysm")       # came after it
    english, translations = tokenizer_texts(tmp_path, per_lang=1)
    assert english == ["A manual.", "A page.", "Help."]
    assert sorted(translations) == sorted(["Hilfe.", min(["Ein Handbuch.", "Eine Seite."], key=mix.rank)])


@pytest.mark.parametrize("source, package", [(cataclysm, "cataclysm-dda-data"), (freeciv, "freeciv-data"),
                                             (tuxpaint, "tuxpaint-stamps-default"), (wesnoth, "wesnoth-1.16-data")])
def test_a_debian_source_refuses_to_build_without_its_package(source, package, tmp_path, monkeypatch):
    """The sources built by debian.build_source stop, naming the package, when it cannot be fetched."""
    monkeypatch.setattr(debian, "fetch", lambda names, work_dir, log=print: ({}, {n: "gone" for n in names}))
    with pytest.raises(debian.PackageUnavailable, match=package):
        source.build(tmp_path / "out", tmp_path / "work", **QUIET)
