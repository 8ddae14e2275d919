"""Tests of tinykd.data.freedict on tiny dictd dictionaries laid out as the Debian packages are.

No network and no Debian package: each dictionary is written here as
``usr/share/dictd/freedict-<pair>.index`` and ``.dict.dz``, the entries in the text form the real
packages use (copied from them, shortened).
"""

from __future__ import annotations

import gzip

import pytest

from tinykd.data import corpus, debian, freedict, split
from tinykd.data.assemble import SourcePair

QUIET = dict(log=lambda *a: None)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: FreeDict

Files: deu-eng/*
Copyright: 1995-2022 Frank Richter
License: GPL-3+

Files: eng-deu/*
Copyright: 1995-2022 Frank Richter
License: GPL-3+

Files: eng-nld/*
Copyright: 2000-2022 FreeDict contributors
License: GPL-2+

Files: nld-eng/*
Copyright: 2000-2022 FreeDict contributors
License: GPL-2+
"""


def encode_number(n: int) -> str:
    digits = ""
    while True:
        digits = _B64[n % 64] + digits
        n //= 64
        if n == 0:
            return digits


def write_dictionary(root, pair: str, entries: list[str]) -> None:
    """A dictd dictionary of ``entries`` (their text; the index headword is the first word)
    under ``root/usr/share/dictd``, with its description entry, as dictfmt writes it."""
    folder = root / "usr" / "share" / "dictd"
    folder.mkdir(parents=True, exist_ok=True)
    data, index = b"", []
    for text in ["00-database-info\nThis dictionary is free software.\n", *entries]:
        raw = text.encode("utf-8")
        headword = text.split("\n")[0].split(" /")[0].lower()
        for key in {headword, headword.replace(" ", "")}:      # dictfmt indexes an entry under several keys
            index.append(f"{key}\t{encode_number(len(data))}\t{encode_number(len(raw))}")
        data += raw
    (folder / f"freedict-{pair}.dict.dz").write_bytes(gzip.compress(data))
    (folder / f"freedict-{pair}.index").write_text("\n".join(sorted(index)) + "\n", encoding="utf-8")
    doc = root / "usr" / "share" / "doc" / f"dict-freedict-{pair}"
    doc.mkdir(parents=True, exist_ok=True)
    (doc / "copyright").write_text(COPYRIGHT, encoding="utf-8")


# --- the dictd format -------------------------------------------------------------------------------------

def test_index_numbers_are_base_64():
    assert freedict.decode_number("A") == 0
    assert freedict.decode_number("B0") == 1 * 64 + 52
    assert all(freedict.decode_number(encode_number(n)) == n for n in (0, 63, 64, 4095, 123456789))


def test_entries_are_read_once_in_file_order_without_the_description(tmp_path):
    write_dictionary(tmp_path, "eng-deu", ["house /haʊs/ <n>\nHaus <n, neut>\n", "tree /tɹiː/ <n>\nBaum <n, masc>\n"])
    index = tmp_path / "usr/share/dictd/freedict-eng-deu.index"
    assert list(freedict.dictd_entries(index)) == ["house /haʊs/ <n>\nHaus <n, neut>\n",
                                                  "tree /tɹiː/ <n>\nBaum <n, masc>\n"]


# --- one entry ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, headword, senses", [
    # eng-fra: numbered senses, one line each
    ("thus /θʌs/\n1. ensuite\n2. ainsi, comme, comme cela\n", "thus /θʌs/", ["ensuite", "ainsi, comme, comme cela"]),
    # eng-fin (Wiktionary): each translation line is followed by an English definition
    ("smoky //ˈsmoʊki// <adj>\n1. savuinen\nfilled with smoke\n2. savuinen, savunmakuinen\nhaving a smoke flavor\n",
     "smoky //ˈsmoʊki// <adj>", ["savuinen", "savuinen, savunmakuinen"]),
    # eng-jpn: the number of sense 2 ends sense 1's line; senses 2 and 3 have only a definition
    ("Xena //ˈziː.nə// <pn>\nジーナ 2.\na female given name\n 3.\nanother name for the dwarf planet Eris\n",
     "Xena //ˈziː.nə// <pn>", ["ジーナ", None, None]),
    # eng-bul: a stray number after the translation is no part of it
    ("reef //ɹiːf// <n>\n1. златоносна жила\nlarge vein\n2. риф 2.\nrocks near the surface\n",
     "reef //ɹiːf// <n>", ["златоносна жила", "риф"]),
    # jpn-eng (JMdict): lines of grammar labels come before the translations
    ("堅苦しい /ka/, かたくるしい /ka/\n(adjective (keiyoushi))\n (noun (common))\nformal, strict, stiff\n",
     "堅苦しい /ka/, かたくるしい /ka/", ["formal, strict, stiff"]),
    # eng-pol: Roman numerals for parts of speech, grammar between the markers, sub-senses a./b.
    ("wish /wɪʃ/\nI.  <N>  życzenie, pragnienie\nII.  <V> 1.  [form]  pragnąć (for sth - czegoś)\n"
     " 2.  a. chcieć, żałować\n b.\n      \"I wish I were rich\"\n", "wish /wɪʃ/",
     ["życzenie, pragnienie", "[form]  pragnąć (for sth - czegoś)", "chcieć, żałować", None]),
    # fin-eng: "30." inside a definition is a date, not a sense number
    ("talvisota /tˈalvɪsˌota/ <n>\nWinter War\n30. marraskuuta 1939 – 13. maaliskuuta 1940\n",
     "talvisota /tˈalvɪsˌota/ <n>", ["Winter War"]),
    # eng-ell: a blank line before the translation; deu-eng: notes and references after it
    ("iris /ˈaɪɹɪs/\n\nίρις\n", "iris /ˈaɪɹɪs/", ["ίρις"]),
    ("Kernel /k/ <masc, n, sg>\nkernel <n>\n   Synonyms: {Kern}\n\n see: {Kerne}\n", "Kernel /k/ <masc, n, sg>",
     ["kernel <n>"]),
])
def test_an_entry_gives_the_translation_line_of_each_sense(text, headword, senses):
    entry = freedict.parse_entry(text)
    assert entry.headword == headword
    assert entry.senses == senses


def test_a_sense_that_is_only_a_note_has_no_translation():
    entry = freedict.parse_entry("m.\nI.\n   See also: {male}\n  męski\nII.\n   See also: {married}\n")
    assert entry.senses == [None, None]


@pytest.mark.parametrize("line, items", [
    ("reaction force <n>, response force <n>; reacting force", ["reaction force <n>", "response force <n>",
                                                                 "reacting force"]),
    ("pragnąć (for sth, czegoś) , życzyć sobie", ["pragnąć (for sth, czegoś)", "życzyć sobie"]),
])
def test_items_are_split_at_commas_outside_brackets(line, items):
    assert freedict.split_items(line) == items


@pytest.mark.parametrize("text, lang, clean", [
    ("[Am.] etw. aufrahmen <v, trans>", "de", "aufrahmen"),
    ("tenter sth.", "en", "tenter"),
    ("to set no great store by sg", "en", "to set no great store by"),
    ("nem becsül vmit", "hu", "nem becsül"),
    ("kürtôkalap", "hu", "kürtőkalap"),                   # ő stored as ô
    ("erbĳ horend", "nl", "erbij horend"),                # the ij ligature
    ("емо́ция", "bg", "емоция"),                           # stress mark
    ("лёд", "ru", "лёд"),                                  # ё is a letter, not a stress mark
    ("liverpool ki boli", "hi", None),                     # Latin letters where Devanagari is due
    ("लीवरपूल~की~बोली", "hi", "लीवरपूल की बोली"),
    ("arm\u2010rest", "en", "arm-rest"),
    ("faizci, tefeci.", "tr", "faizci, tefeci"),
    ("(piece of) rope", "en", "rope"),
    ("a piece of jewellery hung from a chain worn around the neck", "en", None),   # a definition
    ("Plural of {mtazamaji}: observer", "en", None),      # a cross-reference
    ("-kuvioinen", "fi", None),                            # an affix
    ("entry/immigration", "en", None),
    ("emeroit. hemorrhoidal basura ait", "tr", None),      # a sentence and its explanation
    ("a female given name", "ja", None),                   # English where Japanese is due
    ("東京", "ja", "東京"),
    ("Tokio", "en", "Tokio"),
    ("Токио", "en", None),                                 # Cyrillic where English is due
    ("Sporazum Svjetske trgovinske organizacije o određi", "hr", None),   # cut at 50 characters
    ("(noun (common) (futsuumeishi))", "en", None),
])
def test_an_item_is_cleaned_or_refused(text, lang, clean):
    assert freedict.clean_item(text, lang) == clean


def test_translations_come_from_the_first_senses_at_most_three():
    entry = freedict.parse_entry("make /mˈeɪk/\n1. afstewen\n2. bedryf, bedrywe, begaan, doen\n3. maak\n")
    assert freedict.translations(entry, "af") == ["afstewen", "bedryf", "bedrywe"]
    entry = freedict.parse_entry("a /a/\n1. eins\n2. eins\n3. zwei\n4. drei\n")
    assert freedict.translations(entry, "de") == ["eins", "zwei"]          # distinct, from senses 1-3 only


@pytest.mark.parametrize("line, headword", [
    ("Salvadori's fig parrot /sˌalvɐdˈɔːɹi/", "Salvadori's fig parrot"),
    (" [news2]  [nf31]  一筋縄 /(en)tʃ/, 一筋繩 /(en)tʃ/,  [news2] ひとすじなわ /çˌito/", "一筋縄"),
    ("kopog (jégeső) /kˈopoɡ/", "kopog (jégeső)"),
    ("clear as a bell <adj>", "clear as a bell"),
])
def test_the_headword_is_the_first_form(line, headword):
    assert freedict.headword_text(line) == headword


# --- languages and packages ---------------------------------------------------------------------------------

def test_codes_map_to_the_project_spelling_and_packages_follow_the_languages():
    assert freedict.dictionary_language("deu-eng") == "de" and freedict.dictionary_language("eng-deu") == "de"
    assert freedict.dictionary_language("eng-rom") == "ro"             # English-Romanian, not Romany
    assert freedict.dictionary_language("eng-por") == "pt-BR"
    assert freedict.dictionary_language("deu-fra") is None
    assert freedict.packages(["de", "ja"]) == ["dict-freedict-deu-eng", "dict-freedict-jpn-eng",
                                               "dict-freedict-eng-deu", "dict-freedict-eng-jpn"]
    assert len(freedict.packages()) == len(freedict.DICTIONARIES)
    assert {freedict.dictionary_language(d) for d in freedict.DICTIONARIES} <= set(freedict.LANGUAGES.values())


def test_the_licence_of_each_dictionary_is_read_from_the_shared_copyright_file():
    assert freedict.copyright_licence(COPYRIGHT, "deu-eng") == "GPL-3+"
    assert freedict.copyright_licence(COPYRIGHT, "nld-eng") == "GPL-2+"
    assert freedict.copyright_licence(COPYRIGHT, "fra-eng") == "unknown"


# --- from files to pairs --------------------------------------------------------------------------------------

def test_both_directions_give_english_translation_pairs_keyed_by_the_english_word(tmp_path):
    write_dictionary(tmp_path / "a", "eng-deu", ["house /haʊs/ <n>\nHaus <n, neut>, Gebäude\n"])
    write_dictionary(tmp_path / "b", "deu-eng", ["Baum /baʊm/ <masc, n, sg>\ntree <n>, Tree\n"])
    write_dictionary(tmp_path / "c", "eng-fra", ["chair /tʃɛə/\nchaise\n"])
    pairs = list(freedict.read([tmp_path / "a", tmp_path / "b", tmp_path / "c"], langs=["de"]))
    assert pairs == [SourcePair("de", "freedict:tree", "tree", "Baum"),
                     SourcePair("de", "freedict:tree", "Tree", "Baum"),
                     SourcePair("de", "freedict:house", "house", "Haus"),
                     SourcePair("de", "freedict:house", "house", "Gebäude")]


def test_glued_phrases_get_their_spaces_back_from_another_dictionary(tmp_path):
    write_dictionary(tmp_path / "a", "nld-eng", ["bioscoop /b/\ngotothecinema, cinema\n", "huis /h/\nhouse\n"])
    write_dictionary(tmp_path / "b", "eng-nld", ["go to the cinema /ɡ/\nnaar de bioscoop gaan\n"])
    stats = {}
    pairs = list(freedict.read([tmp_path / "a", tmp_path / "b"], stats=stats))
    assert SourcePair("nl", "freedict:go to the cinema", "go to the cinema", "bioscoop") in pairs
    assert SourcePair("nl", "freedict:cinema", "cinema", "bioscoop") in pairs
    assert stats == {"unglued": {"nld-eng": 1}, "copies": {}}


def test_copies_of_the_english_are_left_out_and_counted(tmp_path):
    write_dictionary(tmp_path, "eng-deu", ["Tokyo /t/\nTokio, Tokyo\n", "geisha /g/\nGeisha\n"])
    stats = {}
    assert list(freedict.read([tmp_path], stats=stats)) == [SourcePair("de", "freedict:tokyo", "Tokyo", "Tokio")]
    assert stats["copies"] == {"de": 2}


# --- the build ------------------------------------------------------------------------------------------------

WORDS = [("house", "Haus"), ("tree", "Baum"), ("water", "Wasser"), ("fire", "Feuer"), ("earth", "Erde"),
         ("air", "Luft"), ("bread", "Brot"), ("milk", "Milch"), ("cheese", "Käse"), ("apple", "Apfel")]


def synthetic_entries(n: int = 120) -> tuple[list[str], list[str]]:
    """Entries of an eng-deu and a deu-eng dictionary: n English words, some of two words."""
    english_first, german_first = [], []
    for i in range(n):
        english, german = WORDS[i % len(WORDS)]
        english, german = f"{english}{i}", f"{german}{i}"
        if i % 3 == 0:
            english = f"big {english}"
        english_first.append(f"{english} /x/ <n>\n{german} <n>\n")
        german_first.append(f"{german} /x/ <n>\n{english} <n>\n")
    return english_first, german_first


def test_build_writes_a_corpus_with_licences_and_multi_word_shares(tmp_path, monkeypatch):
    english_first, german_first = synthetic_entries()
    write_dictionary(tmp_path / "eng-deu", "eng-deu", english_first)
    write_dictionary(tmp_path / "deu-eng", "deu-eng", german_first)
    packages = {f"dict-freedict-{d}": debian.Package(f"dict-freedict-{d}", "2022.04.21-1", tmp_path / d)
                for d in ("eng-deu", "deu-eng")}

    def fake_fetch(names, work_dir, log=print):
        assert names == freedict.packages(["de"])
        return {n: packages[n] for n in names if n in packages}, {"dict-freedict-jpn-eng": "not in this test"}

    monkeypatch.setattr(debian, "fetch", fake_fetch)
    out = tmp_path / "out"
    report = freedict.build(out, tmp_path / "work", langs=["de"], **QUIET)
    assert report["source"] == "freedict" and report["kind"] == "dictionary" and report["languages"] == ["de"]
    assert report["info"]["packages"]["dict-freedict-deu-eng"] == {"version": "2022.04.21-1", "licence": "GPL-3+"}
    assert report["info"]["unavailable"] == {"dict-freedict-jpn-eng": "not in this test"}
    assert report["multi_word_share"] == {"de": pytest.approx(40 / 120, abs=0.01)}
    info = corpus.read_json(corpus.corpus_dir(out) / corpus.BUILD_INFO_FILE)
    assert info["multi_word_share"] == report["multi_word_share"]
    for name in split.SPLITS:                                # each English word sits in its document's split
        for p in corpus.load_corpus(name, out):
            assert split.split_of_document(freedict.document(p.english)) == name
    assert sum(n for n in report["pairs"]["de"].values()) == 120     # both directions give the same pairs
    assert "multi-word English" in freedict.format_report(report)
