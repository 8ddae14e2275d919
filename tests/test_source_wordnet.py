"""Tests of tinykd.data.wordnet on a tiny tree with the layout of Debian's wordnet-base.

No network and no Debian package: the ``data.<pos>`` files (licence lines that start with two
spaces, then one synset a line: offset, ..., `` | `` gloss with its quoted examples) are made in tmp_path.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tinykd import export
from tinykd.data import corpus, debian, split, wordnet
from tinykd.data.__main__ import SOURCES, main

QUIET = dict(log=lambda *a: None)

# Each line of the real files ends in two spaces, as these do.
NOUNS = "".join(line + "  \n" for line in (
    "  1 This software and database is being provided to you, the LICENSEE, by",
    '  2 Princeton University under the following license.  "quoted" in the licence is not an example',
    '00406612 04 n 02 fold 0 folding 0 001 @ 00404403 n 0000 | the act of folding; "he gave the napkins a double fold"',
    "00406800 04 n 02 plication 0 pleating 0 000 | the act of folding in parallel folds",
    '05000001 04 n 01 weather 0 000 | the atmospheric conditions; "the weather is nice today"; "rain again"; '
    '"he gave the napkins a double fold"'))
VERBS = "".join(line + "  \n" for line in (
    "  1 WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.",
    '01277992 35 v 01 fold 0 000 | bend or lay so that one part covers the other; "fold up the newspaper";   '
    '"She folded her hands  in prayer"'))


def package_tree(root):
    data = root / "usr/share/wordnet"
    data.mkdir(parents=True)
    (data / "data.noun").write_text(NOUNS, encoding="utf-8")
    (data / "data.verb").write_text(VERBS, encoding="utf-8")
    (data / "data.adj").write_text("  1 licence\n", encoding="utf-8")
    (data / "data.adv").write_text("", encoding="utf-8")
    doc = root / "usr/share/doc/wordnet-base"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("License: WordNet3.0\n WordNet 3.0 Copyright 2006 by Princeton University.\n")
    return root


def test_examples_are_the_quoted_sentences_of_a_gloss_and_not_the_licence_lines():
    assert wordnet.examples_of(NOUNS.splitlines()[1]) is None                      # a licence line
    offset, examples = wordnet.examples_of(VERBS.splitlines()[1])
    assert offset == "01277992" and examples == ["fold up the newspaper", "She folded her hands in prayer"]
    assert wordnet.examples_of(NOUNS.splitlines()[3]) == ("00406800", [])        # a gloss without examples


def test_read_gives_english_only_pairs_split_by_synset(tmp_path):
    stats = Counter()
    by_split = wordnet.read(package_tree(tmp_path), stats)
    pairs = [p for s in split.SPLITS for p in by_split[s]]
    assert all(p.lang == "en" and p.translation == p.english for p in pairs)   # the English on both sides
    assert sorted(p.english for p in pairs) == ["She folded her hands in prayer", "fold up the newspaper",
                                                "he gave the napkins a double fold", "the weather is nice today"]
    assert stats["short"] == 1 and stats["duplicate"] == 1 and stats["synsets"] == 4    # "rain again"; a repeat
    weather = split.split_of_document("noun/05000001")                          # its synset's split
    assert [p.english for p in by_split[weather] if "weather" in p.english] == ["the weather is nice today"]


def test_build_writes_the_training_examples_only(tmp_path, monkeypatch):
    root = package_tree(tmp_path / "tree")
    monkeypatch.setattr(wordnet.debian, "fetch_one",
                        lambda name, work_dir, log=print: debian.Package(name, "1:3.0-37", root))
    report = wordnet.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["packages"]["wordnet-base"]["licence_in_copyright_file"]
    train = corpus.load_corpus("train", tmp_path / "out")
    assert corpus.load_corpus("dev", tmp_path / "out") == [] and corpus.load_corpus("test", tmp_path / "out") == []
    assert len(train) == report["languages"]["en"]["train"] and {p.lang for p in train} <= {"en"}
    assert len(train) + sum(report["held_out_left_out"].values()) == 4
    assert "| synsets | training examples |" in wordnet.format_report(report)
    with pytest.raises(ValueError, match="English sentences only"):
        wordnet.build(tmp_path / "out", tmp_path / "work", langs=["de"], **QUIET)


def test_registered_as_a_source_of_the_data_command(tmp_path, monkeypatch, capsys):
    assert SOURCES["wordnet"] is wordnet and "wordnet" in export.SOURCE_MODULES
    assert wordnet.packages() == ["wordnet-base"]
    root = package_tree(tmp_path / "tree")
    monkeypatch.setattr(wordnet.debian, "fetch_one",
                        lambda name, work_dir, log=print: debian.Package(name, "1:3.0-37", root))
    main(["wordnet", "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work")])
    assert f"wordnet ({wordnet.KIND})" in capsys.readouterr().out
