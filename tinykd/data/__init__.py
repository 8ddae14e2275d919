"""tinykd.data: the parallel corpus, its builders, the student tokenizer, pairs and batches.

What the rest of tinykd calls:

    load_corpus(split, data_dir=None, langs=None) -> list[Pair(lang, english, translation, english_index)]
    english_sentences(data_dir=None) -> list[str]     # sorted; row i of the teacher embedding store
    load_tokenizer(path=None, max_length=256)       # data/tokenizer.json, pads to the batch's longest
    load_teacher_tokenizer(max_length=256)
    teacher_ids_for_init(student_tok) -> list[list[int]]  # teacher ids to average per student id
    pairs.tokenize_pairs / epoch_batches / stack_batch   # what the trainer does with the pairs
    batching.pad(sequences) -> (ids, mask)
    read_tsv(path) -> list[(english, translation)]   # raises CorpusFormatError

The builders (``libreoffice``, ``bible``, ``tsv``) write corpus folders; build them with
``python -m tinykd.data``; see data/README.md. Nothing here knows the teacher model: its
vectors of a corpus are filled in by ``tinykd.teacher``, which sits above this package.
"""

from .corpus import LANGS, Pair, corpus_folder, corpus_stats, english_sentences, load_corpus
from .split import SPLITS, page_bucket, split_of_page
from .tokenizer import MAX_SEQ_LENGTH, load_teacher_tokenizer, load_tokenizer, teacher_ids_for_init
from .tsv import CorpusFormatError, read_tsv

__all__ = [
    "LANGS", "Pair", "corpus_folder", "corpus_stats", "english_sentences", "load_corpus",
    "SPLITS", "page_bucket", "split_of_page", "CorpusFormatError", "read_tsv",
    "MAX_SEQ_LENGTH", "load_tokenizer", "load_teacher_tokenizer", "teacher_ids_for_init",
]
