"""A run's training set: its corpus folders, its pairs drawn and tokenised, the teacher's vectors.

    extra_folders(config)                     the --extra_data folders
    eval_folders(config)                      the --eval_data folders: scored, not trained on
    training_pairs(config, extra)             every training pair of those folders
    drawn_training_pairs(config, extra)       those the run trains on (only they are parsed)
    training_vectors(config, extra)           the teacher vectors alone (rows: the pairs' english_index)
    training_items(config, extra, tokenizer)  the pairs the run trains on, tokenised: PairItems

Reading every line's language, drawing the run's ``max_pairs`` and tokenising those pairs is the
same work on every start with the same data and settings, so :func:`training_items` keeps its
result in the start-up cache (tinykd.cache), keyed by the settings that choose the pairs and the
sha256 of the tokenizer, of the corpus files and of the code below; a hit reads no corpus at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tokenizers

import tinykd.data.corpus
import tinykd.data.pairs
import tinykd.data.tokenizer
from tinykd.cache import cached, code_digest, file_digest, files_digest
from tinykd.config import TrainConfig, comma_list, sample_weight_factors
from tinykd.data.corpus import (
    ENGLISH_FILE,
    check_language_codes,
    corpus_dir,
    corpus_folder,
    default_data_dir,
    domain_folders,
    domain_name,
    english_sentences,
    line_languages,
    load_corpus,
    parse_pairs,
    split_lines,
)
from tinykd.data.mix import SHIPPED_EVAL_ONLY, SHIPPED_SOURCES
from tinykd.data.pairs import PairItems, draw_rows, tokenize_pairs
from tinykd.data.tokenizer import default_tokenizer_path
from tinykd.teacher import teacher_vectors_for


def folders_inside(data_dir) -> dict[str, Path]:
    """``{name: folder}`` of the corpus folders in the data directory (None: the shipped data/), not
    the data directory's own corpus (the help pages)."""
    root = Path(data_dir or default_data_dir())
    return {name: folder for name, folder in domain_folders(data_dir).items() if folder != root}


def evaluated_names(extra_data: str, eval_data: str, have=None) -> list[str]:
    """``--eval_data``'s folders (names or paths), ``shipped`` standing for the shipped folders that are
    scored and not trained on (SHIPPED_EVAL_ONLY: FreeDict's words, Freeciv's prose) but for one that ``--extra_data``
    names itself (``--extra_data shipped,freedict`` trains on it); given ``have``, only those of them
    in ``have`` (the folders a data directory holds)."""
    named = set(comma_list(extra_data))
    names = []
    for x in comma_list(eval_data):
        more = ([n for n in SHIPPED_EVAL_ONLY if n not in named and (have is None or n in have)]
                if x == "shipped" else [x])
        names += [n for n in more if n not in names]
    return names


def extra_folders(config: TrainConfig) -> list[Path]:
    """The ``--extra_data`` corpus folders: a bare name is a folder in the data directory;
    ``shipped`` names those of the shipped mix that the data directory has (data/firefox, ...),
    ``all`` every corpus folder in it (data/bible too, once built); either leaves out the folders
    of ``--eval_data``, which are evaluated and not trained on."""
    data_dir = config.data_dir or None
    inside = folders_inside(data_dir)
    evaluated = {Path(name).name for name in evaluated_names(config.extra_data, config.eval_data)}
    names = []
    for x in comma_list(config.extra_data):
        more = {"shipped": [n for n in SHIPPED_SOURCES if n in inside and n not in evaluated],
                "all": [n for n in inside if n not in evaluated]}.get(x, [x])
        names += [n for n in more if n not in names]
    try:
        return [corpus_folder(name, data_dir) for name in names]
    except FileNotFoundError as err:
        raise FileNotFoundError(f"--extra_data {err}") from None


def eval_folders(config: TrainConfig) -> list[Path]:
    """The ``--eval_data`` corpus folders (a bare name is a folder in the data directory; ``shipped``
    those of SHIPPED_EVAL_ONLY that it has): evaluated as domains of their own, never trained on
    (:func:`extra_folders` leaves them out of ``shipped`` and ``all``; tinykd.config refuses a folder
    named in both flags)."""
    data_dir = config.data_dir or None
    inside = folders_inside(data_dir)
    try:
        return [corpus_folder(name, data_dir) for name in evaluated_names(config.extra_data, config.eval_data, inside)]
    except FileNotFoundError as err:
        raise FileNotFoundError(f"--eval_data {err}") from None


def training_pairs(config: TrainConfig, extra: list[Path] | None = None):
    """The training pairs of the data folder and of every ``--extra_data`` folder (``extra``, when
    the caller has resolved them: :func:`extra_folders`), their ``english_index`` pointing into the rows
    of :func:`training_vectors` (each extra folder's rows follow), and the number of each pair's folder
    (0: the data folder)."""
    data_dir = config.data_dir or None
    extra = extra_folders(config) if extra is None else extra
    pairs, offset = load_corpus("train", data_dir), len(english_sentences(data_dir))
    folder_of = [0] * len(pairs)
    for k, folder in enumerate(extra, start=1):                      # their English rows follow ours
        more = [p._replace(english_index=p.english_index + offset) for p in load_corpus("train", folder)]
        pairs, folder_of = pairs + more, folder_of + [k] * len(more)
        offset += len(english_sentences(folder))
    return pairs, np.array(folder_of, dtype=np.int64)


def folder_factors(config: TrainConfig, folders: list) -> list[float]:
    """Each folder's factor on its share of the draw (``--sample_weights``; 1 where not named): the data
    directory is named by its domain (libreoffice), an --extra_data folder by its folder name. A name
    the run does not train on is refused (a typo), but for the default's, which a run without that
    folder (``--extra_data ""``) skips."""
    factors = sample_weight_factors(config.sample_weights)
    names = [domain_name(folders[0]), *(Path(folder).name for folder in folders[1:])]
    # the default's own factors name shipped folders (data/everyday) that a run of other folders lacks
    unknown = sorted(set(factors) - set(names) - set(sample_weight_factors(TrainConfig().sample_weights)))
    if unknown:
        raise ValueError(f"--sample_weights names {', '.join(unknown)}, which this run does not train on "
                         f"(its folders: {', '.join(names)})")
    return [factors.get(name, 1.0) for name in names]


def drawn_training_pairs(config: TrainConfig, extra: list[Path]) -> list:
    """The pairs the run trains on: :func:`draw_rows`' choice among :func:`training_pairs` (the same
    pairs, in the same order), but only the chosen lines are parsed into pairs; the draw needs every
    line's folder and language, not its sentences. Refused (ValueError) if ``--langs`` names a
    language that is neither one of the 12 nor one of the pairs'."""
    data_dir = config.data_dir or None
    folders = [data_dir, *extra]
    lines = [split_lines("train", folder) for folder in folders]                  # each folder's, unparsed
    langs_of = [lang for folder_lines in lines for lang in line_languages(folder_lines)]             # N
    folder_of = np.repeat(np.arange(len(folders)), [len(x) for x in lines])                           # (N,)
    langs = language_list(config)
    check_language_codes(langs or (), set(langs_of), "--langs: ")     # an --extra_data folder may bring its own
    rows = draw_rows(langs_of, folder_of, langs, config.sample_alpha, config.seed, config.max_pairs,   # (M,)
                     folder_factors(config, folders))

    first_line = np.cumsum([0] + [len(x) for x in lines])               # (folders + 1,) row of each one's first line
    first_english = np.cumsum([0] + [len(english_sentences(f)) for f in folders])   # its English rows follow ours
    pairs = [None] * len(rows)
    for k, folder in enumerate(folders):
        places = np.flatnonzero(folder_of[rows] == k)                    # where this folder's pairs are in the draw
        parsed = parse_pairs(lines[k], (rows[places] - first_line[k]).tolist(), "train", folder)
        for place, pair in zip(places.tolist(), parsed):
            pairs[place] = pair._replace(english_index=pair.english_index + int(first_english[k]))
    return pairs


def training_vectors(config: TrainConfig, extra: list[Path]) -> np.ndarray:
    """The teacher vectors the training pairs' ``english_index`` points into: (rows, D) float32, a
    folder's rows (row i: its ``english_sentences()[i]``) after the previous folder's."""
    return np.concatenate([teacher_vectors_for(config.data_dir or None)] + [teacher_vectors_for(f) for f in extra])


def language_list(config: TrainConfig) -> list[str] | None:
    """``--langs`` as a list; None: every language."""
    return comma_list(config.langs) or None


def check_batch_fits(config: TrainConfig, pairs: int) -> None:
    """Refuse a batch larger than the run's ``pairs`` training pairs."""
    if pairs < config.batch_size:
        of_langs = f" of --langs {config.langs}" if language_list(config) else ""
        raise ValueError(f"--batch_size {config.batch_size} is more than the {pairs} training pairs{of_langs}: "
                         "a batch must be at most that")


def training_items(config: TrainConfig, extra: list[Path], tokenizer,
                   say: Callable[[str], None] = lambda message: None) -> PairItems:
    """The pairs the run trains on (:func:`drawn_training_pairs`: its languages, ``max_pairs`` of
    them by temperature sampling), tokenised with ``tokenizer`` (the data folder's, as ``load_tokenizer`` read it) at
    ``max_length``; refused (ValueError) if a batch does not fit in them, before tokenising.

    From the start-up cache when it holds them (tinykd.cache), else built and cached: the key is
    the settings below and the sha256 of the tokenizer file, of each folder's English sentences and
    training pairs, and of the code that reads, draws and tokenises them."""
    data_dir = config.data_dir or None
    folders = [Path(data_dir or default_data_dir()), *extra]
    langs = language_list(config)
    settings = {"folders": [str(f.resolve()) for f in folders], "langs": langs, "max_pairs": config.max_pairs,
                "sample_alpha": config.sample_alpha, "sample_weights": config.sample_weights, "seed": config.seed,
                "max_length": config.max_length}
    inputs = {"tokenizer": file_digest(default_tokenizer_path(data_dir)),
              "corpus": files_digest(corpus_dir(f) / name for f in folders for name in (ENGLISH_FILE, "train.tsv.gz")),
              "code": code_digest(sys.modules[__name__], tinykd.data.corpus, tinykd.data.pairs, tinykd.data.tokenizer),
              "tokenizers": tokenizers.__version__}

    def build() -> dict[str, np.ndarray]:
        say("start-up: reading the training pairs")
        pairs = drawn_training_pairs(config, extra)
        check_batch_fits(config, len(pairs))
        say(f"start-up: tokenising {len(pairs):,} training pairs")
        return tokenize_pairs(pairs, tokenizer, config.max_length).to_arrays()

    items = PairItems.from_arrays(cached("pairs", settings, inputs, build))
    check_batch_fits(config, len(items.lang))                # a cached set, with another --batch_size
    return items
