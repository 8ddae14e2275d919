"""The shipped mix: a sample of every source's full build, small enough to live in git.

A full build (``python -m tinykd.data gimp`` and the like) writes every pair of a source into
``build/full/<source>`` (git-ignored). ``python -m tinykd.data mix`` samples each into
``data/<source>/``, the folders a fresh clone trains and evaluates on::

    test, dev     per language up to ``eval_per_lang`` pairs (default 1000, the size of one
                  retrieval set), one per English sentence, from the full build's test/dev split,
                  English sentence by English sentence as for train
    train         per language up to ``train_per_lang`` pairs from its train split, taken English
                  sentence by English sentence, so that a sentence translated into many languages
                  brings all its translations (one teacher vector serves them all)
    held out      a training pair is dropped if its English or its translation occurs in the dev or
                  test split of ANY source's full build, or of any corpus folder in data/ (the help
                  corpus, the shipped folders, a locally built data/bible): no held-out
                  text is trained on, whatever its source; and since the help corpus's training
                  split is not resampled, a dev or test pair whose text occurs in it is dropped, as
                  one whose text occurs in the training split of a shipped folder that is not
                  sampled again in this call (``--sources wesnoth`` adds a folder and leaves the
                  others as they are)

Choices are made in the order of a hash of the text, so the sample is the same on every machine
and a rebuild writes the same bytes. The teacher's vectors of each folder's English sentences
are added above this package (``python -m tinykd.data mix`` calls tinykd.teacher).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from . import corpus
from .corpus import Pair

EVAL_PER_LANG = 1000
TRAIN_PER_LANG = 2000

# The shipped mix, what `python -m tinykd.data mix` samples when given no options (data/README.md):
# the sources whose licences allow shipping them (FreeOrion, the CC-BY-SA and GPL-2-only dictionaries
# and the manual pages are built on demand only, and so are Tux Paint's captions, which measured a cost to the
# other domains, docs/experiments.md; the games' full build is `--parts widelands,warzone2100`),
# the 31 languages of the LibreOffice help, those that at least three of the eight first sources have,
# and the public-domain Bible's Persian and Tagalog.
SHIPPED_SOURCES = ("firefox", "gimp", "debref", "games", "freedict", "cldr", "wesnoth", "biblepd", "cataclysm",
                   "everyday", "freedroid")
# Shipped and scored, but not trained on by default (`--eval_data shipped`; docs/experiments.md): FreeDict's
# words cost the sentence domains about a point and the student learns little from them; Freeciv's prose,
# trained on, cost the other domains half a point and a minute of the run, so it serves as general prose
# that no default run has seen (it is mixed alone, `mix --sources freeciv`, and not among SHIPPED_SOURCES, so
# neither `mix` nor the tokenizer reads it). `--extra_data shipped,freedict` (or freeciv) trains on one again.
SHIPPED_EVAL_ONLY = ("freedict", "freeciv")
# The shipped folders the tokenizer learns from (`python -m tinykd.data tokenizer`): all but those that came
# after it (2026-12-05/06). Retrained with them, the 40,000-piece tokenizer split their English as the teacher
# does far more often and measured a point worse everywhere (docs/experiments.md, "FreedroidRPG's dialogue").
TOKENIZER_SOURCES = tuple(s for s in SHIPPED_SOURCES if s not in ("cataclysm", "everyday", "freedroid"))
SHIPPED_LANGS = (
    "af", "ar", "bg", "br", "ca", "cs", "cy", "da", "de", "dz", "el", "eo", "es", "et", "eu", "fi", "fr", "fy", "ga",
    "gd", "gl", "he", "hi", "hr", "hu", "id", "is", "it", "ja", "km", "ko", "lt", "mk", "ms", "nb", "nl", "nn", "om",
    "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sr", "sv", "tr", "uk", "vi", "zh-CN", "zh-TW", "fa", "tl",
)
SHIPPED_CAPS = {"freedict": 1500,                     # words: shorter than sentences, many more English texts
                "biblepd": 15000,                     # the only long prose: more of it (one verse, twelve languages)
                "cataclysm": 6000,                    # 31,000 pairs in each of five languages: 6.8% of the draws
                "freeciv": 5000,                      # at most 4,400 a language: every training pair kept
                "everyday": 10000,                    # German only, 8,600: every training pair kept
                "freedroid": 6000}                    # at most 5,000 a language: every training pair kept
SHIPPED_EVAL_CAPS = {"freedict": 500}
SHIPPED_SOURCE_LANGS = {"freedict": (                  # only the dictionaries under GPL-2+ or GPL-3+
    "af", "ar", "cs", "cy", "da", "de", "fr", "ga", "hi", "hr", "is", "it", "kha", "ku", "la", "lt", "nl", "pt-BR",
    "ro", "ru", "sk", "sl", "es", "sr", "sv", "sw", "tr",
)}


def rank(text: str) -> str:
    """The order samples are taken in: a hash of the text, the same on every machine."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def held_out_text(folders: Iterable) -> tuple[set, set]:
    """The English sentences and the translations of the dev and test splits of ``folders``."""
    english, translations = set(), set()
    for folder in folders:
        for name in ("dev", "test"):
            for p in corpus.load_corpus(name, folder):
                english.add(p.english)
                translations.add(p.translation)
    return english, translations


def sample_eval(pairs: Sequence[Pair], per_lang: int, trained_english: set = frozenset(),
                trained_translations: set = frozenset(), drops: Counter | None = None) -> list[Pair]:
    """Per language up to ``per_lang`` pairs, one per English sentence, none whose text occurs in
    ``trained_english`` / ``trained_translations`` (counted in ``drops``). English sentences are
    taken in hash order with their pair in every language, so that the languages' sets share their
    English (one teacher vector serves them all) where the source translates one text into many."""
    by_english = defaultdict(dict)                             # english -> lang -> its first pair
    for p in sorted(pairs, key=lambda p: (p.lang, rank(p.english + "\t" + p.translation))):
        if p.english in trained_english or p.translation in trained_translations:
            if drops is not None:
                drops[p.lang] += 1
        elif p.english.strip() and p.translation.strip():
            by_english[p.english].setdefault(p.lang, p)
    taken, out = Counter(), []
    for english in sorted(by_english, key=rank):
        for lang, p in sorted(by_english[english].items()):
            if taken[lang] < per_lang:
                taken[lang] += 1
                out.append(p)
    return out


def sample_train(pairs: Sequence[Pair], per_lang: int, held_english: set, held_translations: set,
                 drops: Counter) -> list[Pair]:
    """Per language up to ``per_lang`` training pairs, English sentence by English sentence in hash order;
    pairs with held-out text are dropped (counted in ``drops``)."""
    by_english = defaultdict(list)
    for p in pairs:
        if p.english in held_english or p.translation in held_translations:
            drops[p.lang] += 1
        else:
            by_english[p.english].append(p)
    taken, out = Counter(), []
    for english in sorted(by_english, key=rank):
        for p in sorted(by_english[english], key=lambda p: (p.lang, rank(p.translation))):
            if taken[p.lang] < per_lang:
                taken[p.lang] += 1
                out.append(p)
    return out


def mix_source(full: Path, out: Path, held_english: set, held_translations: set,
               train_per_lang: int = TRAIN_PER_LANG, eval_per_lang: int = EVAL_PER_LANG,
               trained: tuple[set, set] = (frozenset(), frozenset()), langs: Iterable[str] | None = None) -> dict:
    """Sample one full build into ``out/corpus``; returns its report (also in build_info.json).
    ``trained``: the English and translations of a training split that is not resampled;
    ``langs``: keep only these languages (None: all)."""
    info_path = corpus.corpus_dir(full) / corpus.BUILD_INFO_FILE
    source = corpus.read_json(info_path) if info_path.is_file() else {}
    drops, eval_drops = Counter(), Counter()
    wanted = None if langs is None else set(langs)

    def load(name):
        return [p for p in corpus.load_corpus(name, full) if wanted is None or p.lang in wanted]

    splits = {"test": sample_eval(load("test"), eval_per_lang, *trained, eval_drops),
              "dev": sample_eval(load("dev"), eval_per_lang, *trained, eval_drops),
              "train": sample_train(load("train"), train_per_lang, held_english, held_translations, drops)}
    files = corpus.write_corpus(splits, out)
    langs = sorted({p.lang for pairs in splits.values() for p in pairs})
    report = {
        "source": source.get("source", full.name),
        "kind": source.get("kind", ""),
        "info": source.get("info", {}),
        "mix": {"full_build": str(full), "train_per_lang": train_per_lang, "eval_per_lang": eval_per_lang,
                "languages_kept": None if wanted is None else sorted(wanted),
                "train_dropped_held_out_elsewhere": dict(sorted(drops.items())),
                "eval_dropped_trained_elsewhere": dict(sorted(eval_drops.items()))},
        "languages": langs,
        "files": files,
        "pairs": {lang: {s: sum(p.lang == lang for p in splits[s]) for s in ("train", "dev", "test")}
                  for lang in langs},
    }
    corpus.write_build_info(report, out)
    return report


def mix(full_root, data_dir=None, sources: Sequence[str] | None = None, train_per_lang: int = TRAIN_PER_LANG,
        eval_per_lang: int = EVAL_PER_LANG, log=print, caps: dict[str, int] | None = None,
        langs: Iterable[str] | None = None, source_langs: dict[str, Iterable[str]] | None = None,
        eval_caps: dict[str, int] | None = None) -> dict[str, dict]:
    """Every full build in ``full_root`` (or those named in ``sources``) sampled into ``data_dir/<source>``;
    ``caps`` / ``eval_caps`` give some sources another ``train_per_lang`` / ``eval_per_lang``; ``langs``:
    only these languages; ``source_langs``: only these for one source (e.g. those whose licence allows
    shipping them together)."""
    full_root, data_dir = Path(full_root), Path(data_dir or corpus.default_data_dir())
    builds = {p.name: p for p in sorted(full_root.iterdir()) if (corpus.corpus_dir(p) / corpus.ENGLISH_FILE).is_file()}
    held = list(builds.values())                                 # every source's held-out text, even when
    if sources:                                                  # only some are sampled again
        missing = [s for s in sources if s not in builds]
        if missing:
            raise FileNotFoundError(f"no full build of {missing} in {full_root} (build them first: "
                                    f"python -m tinykd.data SOURCE)")
        builds = {s: builds[s] for s in sources}
    trained: tuple[set, set] = (set(), set())                   # training text that stays as it is:
    kept_folders = []                                            # the help corpus's, and that of the shipped
    if (corpus.corpus_dir(data_dir) / corpus.ENGLISH_FILE).is_file():     # folders not sampled again now
        kept_folders.append(data_dir)
    # held out too: the dev and test of every corpus folder in data_dir not sampled again now (the help
    # pages; a shipped folder whose full build is not on this machine; data/bible's books, once built)
    held += [folder for name, folder in corpus.domain_folders(data_dir).items() if name not in builds]
    kept_folders += [data_dir / name for name in sorted(SHIPPED_SOURCES) if name not in builds
                     and (corpus.corpus_dir(data_dir / name) / corpus.ENGLISH_FILE).is_file()]
    for folder in kept_folders:
        for p in corpus.load_corpus("train", folder):
            trained[0].add(p.english)
            trained[1].add(p.translation)
    held_english, held_translations = held_out_text(held)
    reports = {}
    for name, full in builds.items():
        kept = None if langs is None else set(langs)
        if name in (source_langs or {}):
            kept = set(source_langs[name]) if kept is None else kept & set(source_langs[name])
        reports[name] = mix_source(full, data_dir / name, held_english, held_translations,
                                   (caps or {}).get(name, train_per_lang), (eval_caps or {}).get(name, eval_per_lang),
                                   trained, kept)
        n = {s: sum(c[s] for c in reports[name]["pairs"].values()) for s in ("train", "dev", "test")}
        log(f"{name}: {len(reports[name]['languages'])} languages, {n['train']} train / {n['dev']} dev / "
            f"{n['test']} test pairs, {reports[name]['files'][corpus.ENGLISH_FILE]} English sentences")
    return reports
