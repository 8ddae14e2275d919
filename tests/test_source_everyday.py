"""Tests of tinykd.data.everyday: the example sentences of FreeDict's German dictionaries.

No network and no Debian package: the dictionaries are written here in the dictd layout of the real
packages (test_source_freedict's ``write_dictionary``), the entries copied from them and shortened.
"""

from __future__ import annotations

import pytest
from test_source_freedict import write_dictionary

from tinykd import export
from tinykd.data import corpus, debian, everyday, split
from tinykd.data.__main__ import SOURCES

QUIET = dict(log=lambda *a: None)

GERMAN_FIRST = [
    "Haus /hˈaʊs/ <neut, n, sg>\nhouse <n>\n see: {Meine Schwester sucht derzeit ein Haus.}\n",
    "Meine Schwester sucht derzeit ein Haus. /mˌaɪnə ʃvˈɛstɜ/\nMy sister is house-hunting.\n see: {ein Haus suchen}\n",
    "Das führen wir nicht. /das fˈyːrən/\nWe don't carry that., We do not sell that.\n",
    "Was haben wir auf? /vˈas/\nWhat's for homework?\n",                      # three English words: too short
    "Wie geht's (Dir/Euch) mit der Haussuche? /viː/\nHow is the house-hunting going?\n",    # alternatives
    "Er eignet sich nicht zum Arzt. /ɛɾ/\n",                                 # no translation line
]
ENGLISH_FIRST = [
    "A happy outcome is worth waiting for. /ɐ hˈapi/\nWas lange währt, wird endlich gut. [Sprw.]\n see: {last}\n",
    "the original sins of sth. /ðɪ/\n [fig.] die Konzeptionsfehler einer Sache / bei etw.\n",   # no sentence
    "Fancy meeting you again! /fˈansi/\nSo sieht man sich wieder!\n see: {meet again}\n",
    "I'll make one more stab at it. /aɪl/\njdm. einen Versuch gönnen.\n",     # a placeholder, not a sentence
]


@pytest.mark.parametrize("text, clean", [
    ("My sister is house-hunting.", "My sister is house-hunting."),
    ("Was lange währt, wird endlich gut. [Sprw.]", "Was lange währt, wird endlich gut."),
    ("„Ich komme gleich“, sagte er.", "„Ich komme gleich“, sagte er."),
    ("5 Euro sind zu viel!", "5 Euro sind zu viel!"),
    ("the house is big.", None),                          # no capital: a phrase, not a sentence
    ("My sister is house-hunting", None),                 # no final stop
    ("What's for homework?", None),                       # fewer than MIN_WORDS words
    ("Insektenfallen sind aus(verkauft). Bald mehr.", None),
    ("Give sb. a piece of your mind.", None),
    ("Es ist so ... schön hier.", None),
])
def test_a_sentence_loses_its_labels_or_is_refused(text, clean):
    assert everyday.sentence(text) == clean


def test_both_directions_give_german_pairs_keyed_by_the_english_sentence(tmp_path):
    write_dictionary(tmp_path, "deu-eng", GERMAN_FIRST)
    write_dictionary(tmp_path, "eng-deu", ENGLISH_FIRST)
    stats: dict = {}
    pairs = list(everyday.read([tmp_path], stats))
    assert [(p.english, p.translation) for p in pairs] == [
        ("My sister is house-hunting.", "Meine Schwester sucht derzeit ein Haus."),
        ("We don't carry that.", "Das führen wir nicht."),                 # the first of two translations
        ("A happy outcome is worth waiting for.", "Was lange währt, wird endlich gut."),
        ("Fancy meeting you again!", "So sieht man sich wieder!"),
    ]
    assert all(p.lang == "de" and p.doc == f"everyday:{p.english.lower()}" for p in pairs)
    # headwords that are sentences: 4 German (not "Haus" nor the one with alternatives), 3 English
    assert stats == {"deu-eng": {"sentences": 4, "kept": 2, "refused": 2},
                     "eng-deu": {"sentences": 3, "kept": 2, "refused": 1}}


def test_build_writes_a_german_corpus_split_by_english_sentence(tmp_path, monkeypatch):
    write_dictionary(tmp_path / "deu-eng", "deu-eng", GERMAN_FIRST * 1 + [
        f"Ich habe heute {n} Äpfel gekauft. /x/\nI bought {n} apples today.\n" for n in range(40)])
    write_dictionary(tmp_path / "eng-deu", "eng-deu", ENGLISH_FIRST)
    got = {f"dict-freedict-{d}": debian.Package(f"dict-freedict-{d}", "2022.04.21-1", tmp_path / d)
           for d in ("deu-eng", "eng-deu")}
    monkeypatch.setattr(debian, "fetch", lambda names, work_dir, log=print: (got, {}))
    report = everyday.build(tmp_path / "out", tmp_path / "work", **QUIET)
    assert report["source"] == "everyday" and report["languages"] == ["de"]
    assert report["info"]["packages"]["dict-freedict-eng-deu"]["licence"] == "GPL-3+"
    assert sum(report["pairs"]["de"].values()) == 44
    for name in split.SPLITS:
        for p in corpus.load_corpus(name, tmp_path / "out"):
            assert split.split_of_document(f"everyday:{p.english.lower()}") == name
    with pytest.raises(ValueError, match="German sentences only"):
        everyday.build(tmp_path / "out", tmp_path / "work", langs=["fr"], **QUIET)
    monkeypatch.setattr(debian, "fetch", lambda names, work_dir, log=print: ({}, {n: "404" for n in names}))
    with pytest.raises(debian.PackageUnavailable, match="everyday: neither German dictionary"):
        everyday.build(tmp_path / "other", tmp_path / "work", **QUIET)
    assert corpus.load_corpus("train", tmp_path / "out")                   # the corpus built before is kept


def test_registered_as_a_source_and_described_in_model_cards():
    assert SOURCES["everyday"] is everyday and "everyday" in export.SOURCE_MODULES
    assert everyday.packages() == ["dict-freedict-deu-eng", "dict-freedict-eng-deu"]
