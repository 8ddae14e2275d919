"""WordNet's usage examples: everyday English sentences for the student's English side alone.

    package          read here
    wordnet-base     usr/share/wordnet/data.noun, data.verb, data.adj, data.adv

The distillation loss has two halves (tinykd.loss): ``student(en) ~ teacher(en)`` keeps the
English side where the teacher has it, ``student(xx) ~ teacher(en)`` maps a translation onto it.
The first needs no translation at all, so any English sentence can teach it. The student's English
is weakest on the everyday sentences that the parallel sources (software, games, the Bible) have
least of: "The stock market fell sharply." is at cosine 0.65 from the teacher's vector, a help-page
sentence at about 0.85. Measured (docs/experiments.md): at a tenth of the draw these examples bring
the English side closer in every domain and cost the translations' retrieval 0.9 points on the mean
of the domains, so the default does not train on them.

WordNet (Princeton University, the WordNet 3.0 licence: use, copying and distribution with its
notice) is a dictionary of English: each synset, a set of words with one meaning, has a gloss, its
definition and often usage examples in double quotes:

    00406612 04 n 02 fold 0 folding 0 ... | the act of folding; "he gave the napkins a double fold"

An example ("he gave the napkins a double fold", "the sky was leaden and thick", "opinions are
divided") is one sentence of ordinary English, 48,000 of them over 117,000 synsets. A *pair* here
is an example and itself, language ``en``: the trainer then encodes it on both sides of the loss,
``student(en) ~ teacher(en)`` on each, so no part of it needs to know about English-only text
(each such pair costs two encodings of one sentence instead of one).

**Split.** By synset (its offset and part of speech, hashed as every source's documents are): test
and dev synsets' examples are left out of the build altogether, since retrieving a sentence by itself
measures nothing; the English side is measured on every domain's English MSE. Examples of fewer than three
words ("a precocious child" stays, "quickly!" goes) are dropped, and so is an example that occurs
in more than one synset's gloss (it is kept once, in the first).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from . import debian, split
from .assemble import write_atomically
from .corpus import Pair

SOURCE = "wordnet"
KIND = "English only: WordNet's usage examples, everyday English sentences"
LICENCE = "WordNet 3.0 licence (Princeton University): use, copy and distribute with its notice"
PACKAGE = "wordnet-base"
DATA_FILES = {"noun": "data.noun", "verb": "data.verb", "adj": "data.adj", "adv": "data.adv"}
MIN_WORDS = 3
_QUOTED = re.compile(r'"([^"]+)"')


def packages(langs: list[str] | None = None) -> list[str]:
    """The one Debian package the build reads (English is its only language)."""
    return [PACKAGE]


def examples_of(line: str) -> tuple[str, list[str]] | None:
    """A line of a ``data.<pos>`` file -> (its synset offset, the usage examples of its gloss); None for
    the licence lines that open each file (they start with two spaces) or a line without a gloss."""
    if line.startswith("  ") or " | " not in line:
        return None
    offset, _, rest = line.partition(" ")
    gloss = rest.split(" | ", 1)[1]
    return offset, [" ".join(q.split()) for q in _QUOTED.findall(gloss)]


def read(root: Path, stats: Counter | None = None) -> dict[str, list[Pair]]:
    """Every example of the unpacked package under ``root`` as an English-only pair, by split of its
    synset: ``{"train": [...], "dev": [...], "test": [...]}``."""
    stats = Counter() if stats is None else stats
    by_split: dict[str, list[Pair]] = {s: [] for s in split.SPLITS}
    seen: set[str] = set()
    for pos, name in DATA_FILES.items():
        with open(root / "usr/share/wordnet" / name, encoding="utf-8", errors="replace") as f:
            for line in f:
                found = examples_of(line)
                if found is None:
                    continue
                offset, examples = found
                stats["synsets"] += 1
                for example in examples:
                    if len(example.split()) < MIN_WORDS:
                        stats["short"] += 1
                    elif example in seen:
                        stats["duplicate"] += 1
                    else:
                        seen.add(example)
                        by_split[split.split_of_document(f"{pos}/{offset}")].append(Pair("en", example, example))
    return by_split


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch wordnet-base and write its training examples into ``out_dir/corpus`` (the dev and test
    synsets' examples are left out: see the module's docstring). ``langs``: English is its only one."""
    if langs is not None and "en" not in langs:
        raise ValueError(f"wordnet has English sentences only (language en), not {' '.join(langs)}")
    start = time.time()
    package = debian.fetch_one(PACKAGE, work_dir, log)
    stats: Counter = Counter()
    by_split = read(package.root, stats)
    held = {s: len(by_split[s]) for s in ("dev", "test")}
    kept = {"train": by_split["train"], "dev": [], "test": []}
    report = {"source": SOURCE, "kind": KIND, "licence": LICENCE,
              "packages": {PACKAGE: debian.licence_report(package, "WordNet3.0", "WordNet 3.0 Copyright")},
              "stats": dict(stats), "held_out_left_out": held,
              "languages": {"en": {"train": len(kept["train"]), "dev": 0, "test": 0}}}
    report["files"] = write_atomically(kept, report, out_dir)
    log(f"{SOURCE}: {len(kept['train'])} training examples ({held['dev']} dev and {held['test']} test left out) "
        f"in {time.time() - start:.0f}s")
    return report


def format_report(report: dict) -> str:
    """Markdown: the examples kept and left out."""
    stats, held = report["stats"], report["held_out_left_out"]
    return "\n".join([
        f"{report['source']} ({report['kind']})", "",
        "| synsets | training examples | dev / test synsets' examples (left out) | short | duplicate |",
        "|---|---|---|---|---|",
        f"| {stats.get('synsets', 0)} | {report['languages']['en']['train']} | {held['dev']} / {held['test']} "
        f"| {stats.get('short', 0)} | {stats.get('duplicate', 0)} |"])
