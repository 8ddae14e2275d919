"""tinykd.data: the parallel corpus, its split, the student tokenizer and batching.

What the rest of tinykd calls:

    load_corpus(split, data_dir=None, langs=None) -> list[Pair(lang, english, translation, english_index)]
    english_sentences(data_dir=None) -> list[str]     # sorted; row i of the teacher embedding store
    load_tokenizer(path=None, max_length=256)       # data/tokenizer.json, pads to the batch's longest
    load_teacher_tokenizer(max_length=256)
    teacher_ids_for_init(student_tok) -> list[list[int]]  # teacher ids to average per student id
    batching.batch_order / grouped_batch_order(...) -> list of pair indices per batch
    batching.pad(sequences) -> (ids, mask)
    read_tsv(path) -> list[(english, translation)]   # raises CorpusFormatError

Build everything with ``python -m tinykd.data build``; see data/README.md.
"""

from .corpus import LANGS, Pair, corpus_stats, default_data_dir, english_sentences, load_corpus
from .split import SPLITS, page_bucket, split_of_page
from .tsv import CorpusFormatError, read_tsv

__all__ = [
    "LANGS", "Pair", "corpus_stats", "default_data_dir", "english_sentences", "load_corpus",
    "SPLITS", "page_bucket", "split_of_page", "CorpusFormatError", "read_tsv",
    "load_tokenizer", "load_teacher_tokenizer", "teacher_ids_for_init",
]


def __getattr__(name):  # the tokenizer helpers import `tokenizers` only when asked for
    if name in ("load_tokenizer", "load_teacher_tokenizer", "teacher_ids_for_init"):
        from . import tokenizer
        return getattr(tokenizer, name)
    raise AttributeError(name)
