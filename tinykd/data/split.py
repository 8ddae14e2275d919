"""Split the help corpus by page, and keep test and dev free of training text.

The rule (data/README.md, step 4 of the build): a page is the HTML path relative to the language folder,
for example ``text/scalc/01/04060101.html``, and

    h = int(hashlib.sha1(page.encode("utf-8")).hexdigest(), 16) % 10
    h == 0 -> test,  h == 1 -> dev,  otherwise -> train.

Because the page decides, every language puts the same page in the same split, and the
English side of test never overlaps the English side of train page-wise.  Help pages
repeat sentences across pages, though, so after the page split any test or dev pair
whose English or whose translation occurs on a training page is dropped
(``drop_train_overlap``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable

from .clean import dedupe

SPLITS = ("train", "dev", "test")


def page_bucket(page: str) -> int:
    """The page's bucket 0..9 from the SHA-1 of its relative path (or of any document's key)."""
    return int(hashlib.sha1(page.encode("utf-8")).hexdigest(), 16) % 10


def split_of_page(page: str) -> str:
    """``"test"`` for bucket 0, ``"dev"`` for bucket 1, ``"train"`` otherwise."""
    h = page_bucket(page)
    return "test" if h == 0 else "dev" if h == 1 else "train"


# Every source splits by document with the same rule: a help page, a manual page, a file of
# strings, a dictionary entry. The key names the document within its source.
split_of_document = split_of_page


def split_by_page(pairs: Iterable) -> dict[str, list]:
    """Group pairs (anything with a ``page`` field) into train/dev/test by their page."""
    out: dict[str, list] = {s: [] for s in SPLITS}
    for p in pairs:
        out[split_of_page(p.page)].append(p)
    return out


def training_text(train_pairs: Iterable) -> tuple[set, set]:
    """The English strings and the (lang, translation) strings that occur on training pages."""
    english, translations = set(), set()
    for p in train_pairs:
        english.add(p.english)
        translations.add((p.lang, p.translation))
    return english, translations


def drop_train_overlap(pairs: Iterable, train_english: set, train_translations: set) -> tuple[list, Counter]:
    """Drop the pairs whose English or translation occurs on a training page.

    Returns ``(kept, dropped_per_language)``.
    """
    kept, dropped = [], Counter()
    for p in pairs:
        if p.english in train_english or (p.lang, p.translation) in train_translations:
            dropped[p.lang] += 1
        else:
            kept.append(p)
    return kept, dropped


def split_and_hold_out(pairs: Iterable, split_of, train_english: set, train_translations: set,
                       drops: dict[str, Counter]) -> dict[str, list]:
    """The split every builder makes: pairs to train/dev/test by ``split_of(pair)`` (their
    document's split), then dev and test without the text of training documents
    (:func:`drop_train_overlap`, counted as ``overlap_dev`` / ``overlap_test``), then each split
    without repeats (``clean.dedupe``, counted as ``duplicate``) in ``drops[lang]``."""
    by_split: dict[str, list] = {s: [] for s in SPLITS}
    for p in pairs:
        by_split[split_of(p)].append(p)
    for name in ("dev", "test"):
        by_split[name], overlap = drop_train_overlap(by_split[name], train_english, train_translations)
        for lang, n in overlap.items():
            drops[lang][f"overlap_{name}"] += n
    for name in SPLITS:
        by_split[name], duplicates = dedupe(by_split[name])
        for lang, n in duplicates.items():
            drops[lang]["duplicate"] += n
    return by_split
