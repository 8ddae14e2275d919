"""Evaluation as sentence-transformers reports it, per language.

For a split's pairs (English s, translation t) and the teacher's vectors T(s):

  * MSE x 100 of the student against the teacher, for the English side S(s)
    and the translated side S(t) (both against T(s));
  * translation accuracy in both directions: in a set of up to 1000 pairs, is
    t_i the nearest neighbour (cosine) of s_i among all translations (en->xx),
    and s_i the nearest of t_i among all English sentences (xx->en)? A hit is
    counted as sentence-transformers' TranslationEvaluator counts it: the nearest
    sentence's text equals the right one's, so where two pairs share a translation
    either copy is right (:func:`translation_accuracy`);
  * agreement with the teacher: Spearman correlation between the student's and
    the teacher's cosine similarities over random pairs of English sentences.

Next to any model we can put two references: the teacher itself (English-only)
and a character 3-gram TF-IDF bag of words, which needs no training at all.

Each corpus folder of the data directory is a domain (the help pages, the GIMP manual,
Firefox's strings, dictionary words, ...): ``evaluate_domains`` runs the same evaluation on
each, and ``format_domain_summary`` puts every model's mean per domain side by side.

``python -m tinykd.evaluate [MODEL]`` evaluates a model on the test split of every domain.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from tinykd import cli, parallel
from tinykd.data.corpus import domain_folders, load_corpus
from tinykd.files import atomic_write_text
from tinykd.inference import unit
from tinykd.loading import load
from tinykd.paths import default_data_dir
from tinykd.teacher import load_teacher, teacher_vectors_for

SET_SIZE = 1000
TRIGRAM_BUCKETS = 1 << 15          # the TF-IDF reference's hashed character 3-grams


def _text_ids(texts: Sequence[str] | None, n: int) -> np.ndarray:
    """(n,) one id per distinct text, equal for equal texts (without texts: each sentence its own)."""
    if texts is None:
        return np.arange(n)
    ids: dict[str, int] = {}
    return np.array([ids.setdefault(text, len(ids)) for text in texts], dtype=np.int64)


def translation_accuracy(english: np.ndarray, translation: np.ndarray, set_size: int = SET_SIZE,
                         english_texts: Sequence[str] | None = None,
                         translation_texts: Sequence[str] | None = None):
    """(en->xx, xx->en) accuracy in %, over consecutive sets of ``set_size`` pairs.

    Row i of ``english`` and of ``translation`` are a pair. With the texts, a hit is counted as
    sentence-transformers' ``TranslationEvaluator`` counts it: the nearest translation of
    English i (the first, on a tie of cosines) has the text of translation i, so where two pairs
    share a translation the copy of either is right (xx->en likewise). Without them, by position:
    only translation i itself is right. Within one set the two agree unless texts repeat; over
    several sets the result is the TranslationEvaluator's accuracy of each set, weighted by its size.
    """
    n = len(english)
    for name, texts in (("english_texts", english_texts), ("translation_texts", translation_texts)):
        if texts is not None and len(texts) != n:
            raise ValueError(f"{name}: {len(texts)} texts for {n} pairs")
    correct_src = correct_trg = 0
    for start in range(0, n, set_size):
        rows = slice(start, start + set_size)
        e, t = unit(english[rows]), unit(translation[rows])
        src, trg = hits(e @ t.T, None if english_texts is None else english_texts[rows],
                        None if translation_texts is None else translation_texts[rows])
        correct_src, correct_trg = correct_src + src, correct_trg + trg
    n = max(1, n)
    return 100.0 * correct_src / n, 100.0 * correct_trg / n


def hits(sim: np.ndarray, english_texts: Sequence[str] | None, translation_texts: Sequence[str] | None):
    """(en->xx, xx->en) hits in one set, from its (m, m) cosines of English i with translation j
    (:func:`translation_accuracy` says what counts as a hit)."""
    trg = _text_ids(translation_texts, len(sim))
    src = _text_ids(english_texts, len(sim))
    return (int((trg[sim.argmax(axis=1)] == trg).sum()),      # each English finds its translation('s text)
            int((src[sim.argmax(axis=0)] == src).sum()))      # each translation finds its English('s text)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (ties get their average rank)."""
    def ranks(x):
        order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
        sums = np.bincount(inverse, weights=r)
        return sums[inverse] / counts[inverse]
    ra, rb = ranks(np.asarray(a, float)), ranks(np.asarray(b, float))
    ra -= ra.mean()
    rb -= rb.mean()
    denominator = np.sqrt((ra @ ra) * (rb @ rb))
    return float((ra @ rb) / denominator) if denominator > 0 else float("nan")   # nan: one side is constant


def trigram_counts(text: str, dim: int = TRIGRAM_BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """The character 3-grams of ``text`` (lower-cased, two spaces either side), hashed into ``dim``
    buckets: (buckets (k,) int64, counts (k,) float64), each bucket once."""
    s = f"  {text.lower()}  "
    counts = defaultdict(float)
    for gram, n in Counter(s[i:i + 3] for i in range(len(s) - 2)).items():
        counts[zlib.crc32(gram.encode("utf-8")) % dim] += n
    return np.fromiter(counts, dtype=np.int64, count=len(counts)), np.fromiter(counts.values(), np.float64,
                                                                                 count=len(counts))


def trigram_bags(texts: Sequence[str], dim: int = TRIGRAM_BUCKETS) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`trigram_counts` of every text at once, each bag's buckets in increasing order.

    All texts (lower-cased, two spaces either side) are laid end to end as code points; a 3-gram
    is the 63-bit number of its three code points (21 bits each), kept where all three lie in one
    text. Each distinct 3-gram is hashed once, and the (text, bucket) counts come from one sort.
    """
    padded = [f"  {text.lower()}  " for text in texts]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))            # (N,) each >= 4
    chars = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)   # (L,)
    grams = (chars[:-2] << 42) | (chars[1:-1] << 21) | chars[2:]                         # (L-2,) 3-gram codes
    text_of = np.repeat(np.arange(len(padded)), lengths)[:-2]                            # (L-2,)
    ends = np.cumsum(lengths)                                                            # (N,)
    inside = np.arange(len(grams)) + 3 <= ends[text_of]              # the 3-gram ends inside its own text
    grams, text_of = grams[inside], text_of[inside]
    distinct, which = np.unique(grams, return_inverse=True)                              # (G,), (n,)
    bucket_of = np.fromiter((zlib.crc32((chr(g >> 42) + chr(g >> 21 & 0x1FFFFF) + chr(g & 0x1FFFFF))
                                        .encode("utf-8")) % dim for g in distinct.tolist()),
                            dtype=np.int64, count=len(distinct))                         # (G,)
    cells, counts = np.unique(text_of * dim + bucket_of[which.ravel()], return_counts=True)   # (text, bucket)
    starts = np.searchsorted(cells // dim, np.arange(len(padded) + 1))                   # (N+1,) each text's cells
    buckets, counts = cells % dim, counts.astype(np.float64)
    return [(buckets[a:b], counts[a:b]) for a, b in zip(starts[:-1], starts[1:])]


def tfidf_weights(bags: Sequence[tuple[np.ndarray, np.ndarray]], dim: int = TRIGRAM_BUCKETS) -> list[np.ndarray]:
    """Each bag's TF-IDF weights (float32, in the order of its buckets), the idf taken over these bags."""
    df = np.bincount(np.concatenate([keys for keys, _ in bags]), minlength=dim) if bags else np.zeros(dim)
    idf = np.log((1 + len(bags)) / (1 + df)) + 1.0                                # (dim,)
    return [(counts * idf[keys]).astype(np.float32) for keys, counts in bags]


def char_trigram_tfidf(texts: Sequence[str], dim: int = TRIGRAM_BUCKETS) -> np.ndarray:
    """A character 3-gram TF-IDF bag of words, hashed into ``dim`` buckets, L2-normalised: (N, dim).

    The reference "no model at all": shared spellings (names, numbers, cognates)
    are all it can match across languages.
    """
    bags = [trigram_counts(text, dim) for text in texts]
    out = np.zeros((len(bags), dim), dtype=np.float32)
    for i, ((keys, _), weights) in enumerate(zip(bags, tfidf_weights(bags, dim))):
        out[i, keys] = weights
    return unit(out)


def tfidf_hits(english_bags: Sequence[tuple], translation_bags: Sequence[tuple], english_texts: Sequence[str],
               translation_texts: Sequence[str], dim: int = TRIGRAM_BUCKETS) -> tuple[int, int]:
    """:func:`hits` of the TF-IDF bags of one set (bags: :func:`trigram_counts`; the idf from the set
    itself), the cosines of :func:`char_trigram_tfidf`'s vectors computed without their (N, dim) matrix.

    A cosine sums over the buckets two texts share, so only the products of shared buckets are
    formed (in float64); each row is normalised by its whole length first.
    """
    bags, m = list(english_bags) + list(translation_bags), len(english_bags)
    row = np.repeat(np.arange(len(bags)), [len(buckets) for buckets, _ in bags])   # (n,) each cell's text
    keys = np.concatenate([buckets for buckets, _ in bags] or [np.zeros(0, np.int64)])     # (n,) its bucket
    weights = np.concatenate(tfidf_weights(bags, dim) or [np.zeros(0)]).astype(np.float64)  # (n,) its weight
    weights /= np.maximum(np.sqrt(np.bincount(row, weights ** 2, minlength=len(bags))), 1e-12)[row]  # unit rows
    # The cosine of English i and translation j sums weight_i[b] * weight_j[b] over the buckets b
    # both have: join each English cell with every translation cell of its bucket (a few million
    # products, where the dense (m, K) @ (K, m) product would multiply billions of zeros).
    english_cells, translation_cells = np.flatnonzero(row < m), np.flatnonzero(row >= m)
    translation_cells = translation_cells[np.argsort(keys[translation_cells], kind="stable")]   # by bucket
    sorted_keys = keys[translation_cells]
    first = np.searchsorted(sorted_keys, keys[english_cells], side="left")      # (e,) the run of its bucket
    matches = np.searchsorted(sorted_keys, keys[english_cells], side="right") - first          # (e,)
    run_start = np.repeat(np.cumsum(matches) - matches, matches)                # (p,) p = matches.sum()
    left = np.repeat(english_cells, matches)                                    # (p,) English cell
    right = translation_cells[np.repeat(first, matches) + np.arange(len(left)) - run_start]   # (p,) its partner
    t = len(bags) - m
    sim = np.bincount(row[left] * t + row[right] - m, weights=weights[left] * weights[right],
                      minlength=m * t).reshape(m, t)                            # (m, t) cosines
    return hits(sim, english_texts, translation_texts)


def evaluation_pairs(pairs, max_per_lang: int | None = None, seed: int = 0) -> dict:
    """Group pairs by language, one pair per English sentence (a repeated English
    sentence would make the nearest neighbour ambiguous), in a seeded order."""
    by_lang = defaultdict(list)
    for p in pairs:
        by_lang[p.lang].append(p)
    rng = np.random.default_rng(seed)
    out = {}
    for lang in sorted(by_lang):
        seen, unique = set(), []
        for p in by_lang[lang]:
            if p.english not in seen and p.english.strip() and p.translation.strip():
                seen.add(p.english)
                unique.append(p)
        order = rng.permutation(len(unique))
        if max_per_lang:
            order = order[:max_per_lang]
        out[lang] = [unique[i] for i in order]
    return out


def model_output(encoder, progress: bool | None = None) -> Callable[[list[str]], np.ndarray]:
    """``encoder.encode`` returning the model's vectors as they are, not scaled to unit length:
    what :func:`evaluate` measures the MSE on (as sentence-transformers' MSEEvaluator does).
    ``progress=False``: no progress bars (the trainer's evaluations, beside its own bar)."""
    quiet = {} if progress is None else {"progress": progress}
    return functools.partial(encoder.encode, normalize=False, **quiet)


def evaluation_texts(groups: dict) -> list[str]:
    """Every English sentence and translation of grouped pairs (:func:`evaluation_pairs`), each text once.

    A domain's English side is mostly the same sentences in every language, and a translation
    may equal an English sentence ("OK"): encoded once, each gives the same vector everywhere."""
    return list(dict.fromkeys(t for ps in groups.values() for p in ps for t in (p.english, p.translation)))


def encode_once(encode: Callable[[list[str]], np.ndarray], texts: Sequence[str]) -> dict[str, np.ndarray]:
    """``{text: vector}`` for every distinct text, from one ``encode`` call: the encoder sorts
    all of them by length together, so its batches are full and little padded (called per
    language, each call's few sentences made a batch padded to its longest)."""
    distinct = list(dict.fromkeys(texts))
    return dict(zip(distinct, encode(distinct))) if distinct else {}


def evaluate(encode: Callable[[list[str]], np.ndarray], pairs, teacher_vectors: np.ndarray,
             max_per_lang: int | None = None, spearman_pairs: int = 2000, seed: int = 0,
             name: str = "model") -> dict:
    """Metrics per language for one model; ``encode(sentences) -> (N, D)``.

    The MSE is that of ``encode``'s vectors as they are: pass :func:`model_output`
    (a student without a final normalisation may answer with a shorter vector when
    unsure). The accuracies and the Spearman agreement use cosines, which lengths do not change.

    ``teacher_vectors[p.english_index]`` is the teacher's vector of pair p's English sentence.
    ``encode=None``-like models that are not in the teacher's space (TF-IDF) pass
    ``teacher_vectors=None`` and get accuracies only. Every distinct text is encoded once, in
    one call (:func:`evaluate_many` does several pair sets in one call).
    """
    return evaluate_many(encode, [(pairs, teacher_vectors)], max_per_lang, spearman_pairs, seed, name)[0]


def evaluate_many(encode: Callable[[list[str]], np.ndarray], sets: Sequence[tuple], max_per_lang: int | None = None,
                  spearman_pairs: int = 2000, seed: int = 0, name: str = "model") -> list[dict]:
    """:func:`evaluate` of each ``(pairs, teacher_vectors)`` of ``sets`` (several domains), the
    texts of all of them encoded in one ``encode`` call."""
    groups = [evaluation_pairs(pairs, max_per_lang, seed) for pairs, _ in sets]
    vectors = encode_once(encode, [text for g in groups for text in evaluation_texts(g)])
    return [metrics(g, vectors, teacher_vectors, spearman_pairs, seed, name)
            for g, (_, teacher_vectors) in zip(groups, sets)]


def metrics(groups: dict, vectors: dict[str, np.ndarray], teacher_vectors: np.ndarray | None,
            spearman_pairs: int = 2000, seed: int = 0, name: str = "model") -> dict:
    """:func:`evaluate`'s numbers for grouped pairs (:func:`evaluation_pairs`) whose texts are
    encoded: ``vectors[text]`` (:func:`encode_once`)."""
    english = sorted({p.english for ps in groups.values() for p in ps})
    result = {"name": name, "languages": {}}
    for lang, ps in groups.items():
        s_en = np.stack([vectors[p.english] for p in ps])
        s_xx = np.stack([vectors[p.translation] for p in ps])
        row = {"pairs": len(ps)}
        if teacher_vectors is not None:
            t = teacher_vectors[[p.english_index for p in ps]].astype(np.float32)
            row["mse_en"] = 100.0 * float(((s_en - t) ** 2).mean())
            row["mse_xx"] = 100.0 * float(((s_xx - t) ** 2).mean())
        row["acc_en_xx"], row["acc_xx_en"] = translation_accuracy(
            s_en, s_xx, english_texts=[p.english for p in ps], translation_texts=[p.translation for p in ps])
        row["acc"] = 0.5 * (row["acc_en_xx"] + row["acc_xx_en"])
        result["languages"][lang] = row
    langs = result["languages"]
    result["mean_acc"] = float(np.mean([r["acc"] for r in langs.values()])) if langs else 0.0
    if teacher_vectors is not None and langs:
        result["mean_mse_en"] = float(np.mean([r["mse_en"] for r in langs.values()]))
        result["mean_mse_xx"] = float(np.mean([r["mse_xx"] for r in langs.values()]))
    if teacher_vectors is not None and len(english) > 2 and spearman_pairs:
        index = {p.english: p.english_index for ps in groups.values() for p in ps}
        rng = np.random.default_rng(seed + 1)
        a, b = rng.integers(0, len(english), (2, spearman_pairs))
        keep = a != b
        a, b = a[keep], b[keep]
        S = unit(np.stack([vectors[s] for s in english]))
        T = unit(teacher_vectors[[index[s] for s in english]].astype(np.float32))
        result["spearman"] = 100.0 * spearman((S[a] * S[b]).sum(1), (T[a] * T[b]).sum(1))
    return result


def tfidf_reference(pairs, max_per_lang: int | None = None, seed: int = 0) -> dict:
    """The character 3-gram TF-IDF bag, evaluated like a model (accuracies only)."""
    groups = evaluation_pairs(pairs, max_per_lang, seed)
    result = {"name": "char-3gram TF-IDF", "languages": {}}
    texts = evaluation_texts(groups)       # each text once (the English side repeats in every language)
    bags = dict(zip(texts, trigram_bags(texts)))          # text -> its 3-gram counts
    for lang, ps in groups.items():
        correct = [0, 0]
        for start in range(0, len(ps), SET_SIZE):   # idf from each set itself
            english = [p.english for p in ps[start:start + SET_SIZE]]
            translations = [p.translation for p in ps[start:start + SET_SIZE]]
            found = tfidf_hits([bags[t] for t in english], [bags[t] for t in translations], english, translations)
            correct = [correct[0] + found[0], correct[1] + found[1]]
        row = {"pairs": len(ps), "acc_en_xx": 100.0 * correct[0] / len(ps), "acc_xx_en": 100.0 * correct[1] / len(ps)}
        row["acc"] = 0.5 * (row["acc_en_xx"] + row["acc_xx_en"])
        result["languages"][lang] = row
    result["mean_acc"] = float(np.mean([r["acc"] for r in result["languages"].values()]))
    return result


def format_table(results: Sequence[dict]) -> str:
    """One row per language; for each model: MSE x 100 (en / xx) and accuracy (en->xx / xx->en)."""
    langs = sorted({lang for r in results for lang in r["languages"]})
    head = ["lang", "pairs"]
    for r in results:
        head += [f"{r['name']}: mse en", "mse xx", "acc en>xx", "acc xx>en"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def cells(r, lang):
        row = r["languages"].get(lang)
        if row is None:
            return ["", "", "", ""]
        mse = [f"{row[k]:.3f}" if k in row else "-" for k in ("mse_en", "mse_xx")]
        return mse + [f"{row['acc_en_xx']:.1f}", f"{row['acc_xx_en']:.1f}"]

    for lang in langs:
        n = next((r["languages"][lang]["pairs"] for r in results if lang in r["languages"]), 0)
        row = [lang, str(n)]
        for r in results:
            row += cells(r, lang)
        lines.append("| " + " | ".join(row) + " |")
    mean = ["**mean**", ""]
    for r in results:
        mean += [f"{r['mean_mse_en']:.3f}" if "mean_mse_en" in r else "-",
                 f"{r['mean_mse_xx']:.3f}" if "mean_mse_xx" in r else "-",
                 f"{np.mean([x['acc_en_xx'] for x in r['languages'].values()]):.1f}",
                 f"{np.mean([x['acc_xx_en'] for x in r['languages'].values()]):.1f}"]
    lines.append("| " + " | ".join(mean) + " |")
    summary = [f"- {r['name']}: mean translation accuracy {r['mean_acc']:.1f}%"
               + (f", Spearman with the teacher's similarities {r['spearman']:.1f}" if "spearman" in r else "")
               for r in results]
    return "\n".join(lines + [""] + summary)


def save_results(path, results: Sequence[dict] | dict, table: str) -> None:
    """``results`` as JSON at ``path`` and ``table`` beside it as ``.md``, each written atomically."""
    path = Path(path)
    atomic_write_text(path, json.dumps(results, indent=2) + "\n")
    atomic_write_text(path.with_suffix(".md"), table + "\n")


def evaluate_domains(models: dict, folders: dict, split: str = "test", max_per_lang: int | None = None,
                     references: bool = True, log=print) -> dict[str, list[dict]]:
    """``{domain: [result of each model, then the references]}`` on each corpus folder's ``split``.

    ``models``: ``{name: encode}`` (pass :func:`model_output` of an encoder); ``folders``:
    ``{domain: corpus folder}`` (``tinykd.data.corpus.domain_folders``). The references are the
    English-only teacher (``{"teacher": encode}`` among ``models`` does the same) and the
    character-trigram TF-IDF bag. A domain without pairs in ``split`` is left out."""
    by_domain = {}
    for domain, folder in folders.items():
        pairs = load_corpus(split, folder)
        if not pairs:
            log(f"{domain}: no {split} pairs; left out")
            continue
        teacher_vectors = teacher_vectors_for(folder)
        results = [evaluate(encode, pairs, teacher_vectors, max_per_lang, name=name) for name, encode in models.items()]
        if references:
            results.append(tfidf_reference(pairs, max_per_lang))
        by_domain[domain] = results
        log(f"{domain}: " + ", ".join(f"{r['name']} {r['mean_acc']:.1f}" for r in results))
    return by_domain


def format_domain_summary(by_domain: dict[str, list[dict]], scored_only=()) -> str:
    """One row per domain: languages, and each model's mean accuracy (MSE x 100 en / xx where it has one).

    ``scored_only``: the domains the student was scored on and not trained on (the trainer's --eval_data);
    their rows say so, and the mean of the domains it was trained on gets a row of its own."""
    names = list(dict.fromkeys(r["name"] for results in by_domain.values() for r in results))
    lines = ["| domain | languages | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    means = {name: [] for name in names}                 # every domain
    trained_means = {name: [] for name in names}         # the domains trained on
    for domain, results in by_domain.items():
        cells = []
        for name in names:
            r = next((r for r in results if r["name"] == name), None)
            if r is None:
                cells.append("")
                continue
            means[name].append(r["mean_acc"])
            if domain not in scored_only:
                trained_means[name].append(r["mean_acc"])
            mse = f" ({r['mean_mse_en']:.3f} / {r['mean_mse_xx']:.3f})" if "mean_mse_en" in r else ""
            cells.append(f"{r['mean_acc']:.1f}{mse}")
        label = f"{domain} (scored, not trained on)" if domain in scored_only else domain
        lines.append(f"| {label} | {len(results[0]['languages'])} | " + " | ".join(cells) + " |")

    def mean_row(title: str, values: dict[str, list[float]]) -> str:
        return f"| **{title}** | | " + " | ".join(f"**{np.mean(v):.1f}**" if v else "" for v in values.values()) + " |"

    if any(domain in scored_only for domain in by_domain):
        lines.append(mean_row("mean of the domains trained on", trained_means))
    lines.append(mean_row("mean of domains", means))
    return "\n".join(lines + ["", "accuracy: translation retrieval among sets of up to 1000 pairs, mean of both "
                                   "directions and of the languages; in brackets: MSE x 100 to the teacher, "
                                   "English / translations"])


def format_domains(by_domain: dict[str, list[dict]], scored_only=()) -> str:
    """The summary row per domain, then each domain's per-language table (Markdown)."""
    return "\n\n".join([format_domain_summary(by_domain, scored_only)]
                       + [f"### {domain}\n\n{format_table(results)}" for domain, results in by_domain.items()])


def main(argv=None) -> int:
    """``python -m tinykd.evaluate [MODEL]``: every domain's test table, with references."""
    parser = argparse.ArgumentParser(prog="python -m tinykd.evaluate",
                                     description="Evaluate a model on each domain's test (or dev) split, next to "
                                                 "references.")
    parser.add_argument("model", nargs="?", default=None,
                        help="a run directory, a sentence-transformers folder, or 'teacher' (default: the student "
                             "shipped in the package)")
    parser.add_argument("--split", default="test", choices=["test", "dev"], help="which split of each domain")
    parser.add_argument("--data-dir", default=None, help="the data directory (default: data/); each corpus folder "
                                                         "in it is a domain")
    parser.add_argument("--domains", default=None,
                        help="comma-separated domains to evaluate (default: all of the data directory's)")
    parser.add_argument("--max-per-lang", type=int, default=None,
                        help="cap pairs per language (faster; default: every pair of the split)")
    parser.add_argument("--compare", nargs="*", default=[], metavar="MODEL",
                        help="more models to put in the same tables (e.g. the static student's run; default: none)")
    parser.add_argument("--no-references", action="store_true", help="skip the teacher and TF-IDF columns")
    parser.add_argument("--threads", type=int, default=0,
                        help="batches encoded at once and BLAS threads (default 0: every core this process may use)")
    parser.add_argument("--out", default=None,
                        help="write the JSON results here (default: RUN_DIR/evaluate_<split>.json for a run; "
                             "the run's own eval_test.json is left as training wrote it)")
    args = cli.parse(parser, argv)

    if args.threads < 0:
        parser.error("--threads must be at least 0 (0: every core)")
    parallel.set_threads(args.threads)
    folders = domain_folders(args.data_dir)
    if not folders:
        print(f"tinykd.evaluate: error: no corpus in {args.data_dir or default_data_dir()}: the test sets ship in "
              "the repository's data/ (run from a clone, or set TINYKD_DATA or --data-dir to a data folder)",
              file=sys.stderr)
        return 2
    if args.domains:
        wanted = [d.strip() for d in args.domains.split(",") if d.strip()]
        unknown = [d for d in wanted if d not in folders]
        if unknown:
            parser.error(f"--domains: {unknown} not in {args.data_dir or 'data/'} (it has {sorted(folders)})")
        folders = {d: folders[d] for d in wanted}
    models = {Path(args.model).name if args.model else "shipped student": model_output(load(args.model))}
    for other in args.compare:
        models[Path(other).name] = model_output(load(other))
    if not args.no_references:
        models["teacher"] = model_output(load_teacher())
    by_domain = evaluate_domains(models, folders, args.split, args.max_per_lang, not args.no_references)
    table = format_domains(by_domain)
    print(table)
    if args.out or (args.model and (Path(args.model) / "config.json").is_file()):
        out = Path(args.out) if args.out else Path(args.model) / f"evaluate_{args.split}.json"   # never the
        # trainer's eval_test.json, which `tinykd.ship` copies: a table of some domains would replace it
        save_results(out, by_domain, table)
        print(f"written to {out} and {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
