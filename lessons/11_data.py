"""Lesson 11: the data: a parallel corpus, its splits by page, and the leakage they prevent.

    python lessons/11_data.py

What you will see:
  1. The corpus: pairs (English sentence, translation) from LibreOffice's help pages, how many per
     language and split, and the other domains shipped beside it (data/README.md has every source).
  2. The split by page: a hash of the page's path decides train, dev or test, the same for every
     language.
  3. Leakage: help pages repeat sentences. How much of a sentence-level random split's dev set
     would be training text, and what the build does about it (tinykd.data.split).
  Exercise: hold the training text out of a dev set, graded against tinykd.data.split.

Needs the shipped data/ (no teacher). Under a minute: it reads the whole training split once.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import numpy as np
from _common import FAST, exercises, section, table

from tinykd.data import SPLITS, load_corpus, split_of_page
from tinykd.data.corpus import domain_folders
from tinykd.paths import default_data_dir

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)

# %% 1. the corpus
section("1. the corpus")
LANGS = ["de", "fr", "ja"] if FAST else None                     # None: every language of the help pages
start = time.perf_counter()
splits = {s: load_corpus(s, langs=LANGS) for s in SPLITS}
read_s = time.perf_counter() - start
counts = Counter((p.lang, s) for s, pairs in splits.items() for p in pairs)
langs = sorted({lang for lang, _ in counts}, key=lambda lang: -counts[lang, "train"])
print(f"""tinykd.data.load_corpus(split) reads data/corpus/{{train,dev,test}}.tsv.gz: one Pair(lang, english,
translation, english_index) per line ({read_s:.1f} s for all three). english_index is the English sentence's row
in data/corpus/english.txt.gz, and so in the teacher's vectors (data/teacher), computed once.""")
shown = langs if len(langs) <= 12 else langs[:8] + langs[-2:]
table(["lang", *SPLITS], [[lang, *[f"{counts[lang, s]:,}" for s in SPLITS]] for lang in shown])
if len(shown) < len(langs):
    print(f"  ... {len(langs) - len(shown)} more languages (the table shows the 8 largest and the 2 smallest)")
english = {s: {p.english for p in pairs} for s, pairs in splits.items()}
print(f"""
{sum(len(v) for v in splits.values()):,} pairs in {len(langs)} languages; {len(english['train']):,} distinct English sentences in train. One English sentence
has many translations (one per language), so the student sees each of its teacher vectors several
times. Beside the help pages, data/ holds other domains, each a folder with the same layout:""")
rows = []
for name, folder in domain_folders(default_data_dir()).items():
    info_path = folder / "corpus" / "build_info.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    rows.append([name, str(folder.relative_to(default_data_dir().parent)), len(info.get("languages", []))])
table(["domain", "folder", "languages"], rows)
print("""Help pages teach software vocabulary (menus, dialogs, spreadsheets); the other domains add interface
strings, manuals, game dialogue, dictionary words and names. A student learns the text it sees:
python -m tinykd.evaluate measures the shipped one on every domain's test split.""")

# %% 2. the split by page
section("2. the split by page")
candidates = [f"text/scalc/01/040601{n:02d}.html" for n in range(100)]   # pages named as the help names them
pages = [next(p for p in candidates if split_of_page(p) == s) for s in SPLITS]
pages += [p for p in candidates[:5] if p not in pages][:3]
table(["page (path in every language's help)", "split"], [[p, split_of_page(p)] for p in pages])
print("""h = sha1(page) mod 10: 0 -> test, 1 -> dev, else train (tinykd.data.split_of_page). The page decides,
not the sentence, and the page's path is the same in every language: a page is in the same split
in German and in Japanese, so no test sentence is trained on in another language either. A hash
rather than a random draw: the same split on every machine and every rebuild, with no file to keep.""")

# %% 3. leakage
section("3. leakage: what a random split of sentences would let through")
train = splits["train"]
rng = np.random.default_rng(0)
sample = [train[i] for i in rng.permutation(len(train))[:60_000 if FAST else 300_000]]
is_dev = rng.random(len(sample)) < 0.1                          # a random 10% of pairs as "dev"
random_train = {p.english for p, d in zip(sample, is_dev) if not d}
random_dev = [p for p, d in zip(sample, is_dev) if d]
leaked = np.mean([p.english in random_train for p in random_dev])
real_leak = np.mean([p.english in english["train"] for p in splits["dev"]]) if splits["dev"] else 0.0
print(f"""Split {len(sample):,} training pairs at random, 10% as "dev": {100 * leaked:.0f}% of those dev pairs have an English
sentence that also occurs in the random "train" part. Two reasons: one English sentence has a
translation in many languages (a random split puts its German in train and its French in dev), and
help pages repeat sentences ("Click OK.", "Choose Format - Cells.") across many pages. A model that
memorised them would score well on such a "dev" set and tell us nothing about new sentences.

The page split removes the first reason; the build then drops every dev or test pair whose English
or translation occurs on a training page (tinykd.data.split.drop_train_overlap, counted in
build_info.json) and repeated pairs within a split. In the shipped dev split, the share of English
sentences that occur in train: {100 * real_leak:.1f}%. Dev chooses settings; test is read once, at the end.""")

# %% Exercise
section("Exercise: hold the training text out, by you")
print("""hold_out at the end of this file waits for your code. Then run

    python lessons/11_data.py --check

It is compared with tinykd.data.split.drop_train_overlap on a handful of pairs that test each
rule (an English sentence seen in training; a translation seen in the same language; the same
text seen in another language, which is no leak).""")


def hold_out(train, dev):
    """Exercise 11.1. The dev pairs, in order, without those whose English occurs in train or whose
    translation occurs in train in the same language. train, dev: lists of Pair(lang, english,
    translation, english_index). Returns a list of Pairs."""
    seen = {p.english for p in train}
    return [p for p in dev if p.english not in seen]     # the English rule only: add the translations'
