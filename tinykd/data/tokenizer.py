"""The student's multilingual WordPiece tokenizer, built so English starts where the teacher is.

The teacher (all-MiniLM-L6-v2) uses BERT's uncased WordPiece vocabulary of 30522 pieces.
The student's vocabulary is

    [PAD] [UNK] [CLS] [SEP] [MASK]
    + the teacher's pieces that the English training sentences actually use, most frequent first
    + new pieces learned by a WordPiece trainer on the training translations (12 languages),
      in the trainer's order (its alphabet first, then its merges), up to ``vocab_size``.

Because WordPiece encodes greedily (longest piece first), an English sentence is split
the teacher's way unless a new piece happens to be a longer match; ``measure`` counts
how often that happens.  An English piece's embedding can be copied from the teacher,
and a new piece can start from the mean of the teacher vectors of the pieces the
teacher's tokenizer splits it into (``teacher_ids_for_init``).

The one deliberate difference from the teacher is the normaliser: BERT-uncased lowercases
*and strips accents* (NFD, then drops combining marks), which turns Japanese が into か
and German "schön" into "schon".  The student keeps accents: NFC, then lowercase.
CJK ideographs are split into single characters as BERT does (``handle_chinese_chars``);
kana and hangul runs stay words (``measure`` compares this with not splitting them).
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from tinykd.files import read_tokenizer
from tinykd.paths import default_data_dir, teacher_dir

# The special tokens by their role (the names transformers gives them), in the order of their ids.
SPECIAL_TOKENS = {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                  "mask_token": "[MASK]"}
SPECIAL_PIECES = list(SPECIAL_TOKENS.values())
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL_PIECES))
MAX_SEQ_LENGTH = 256          # the longest input any tinykd model reads, [CLS] and [SEP] included
DEFAULT_VOCAB_SIZE = 49000     # the shipped tokenizer: 54 languages, near the most 22.7M parameters allow
HELP_VOCAB_SIZE = 15000        # one trained on the help pages alone (python -m tinykd.data build --tokenizer)
TOKENIZER_FILE = "tokenizer.json"


# --- the teacher's tokenizer -------------------------------------------------------------

def teacher_tokenizer_path() -> Path:
    return teacher_dir() / TOKENIZER_FILE


def load_teacher_tokenizer(max_length: int | None = MAX_SEQ_LENGTH, pad: bool = True) -> Tokenizer:
    """The teacher's tokenizer with its baked-in settings (truncate and pad to 128) replaced:
    truncation at ``max_length`` (None: off) and padding to the batch's longest."""
    return configure(Tokenizer.from_file(str(teacher_tokenizer_path())), max_length, pad)


def configure(tok: Tokenizer, max_length: int | None = MAX_SEQ_LENGTH, pad: bool = True) -> Tokenizer:
    """Truncate at ``max_length`` tokens (special tokens included; None: no truncation) and,
    with ``pad``, pad to the longest in the batch; without, no padding at all (for callers
    that pad each batch themselves, ``tinykd.data.batching.pad``).

    A ``tokenizer.json`` may carry its own settings baked in (all-MiniLM-L6-v2's truncates
    at 128 and pads every input to 128): both are replaced.
    """
    tok.no_truncation()
    tok.no_padding()
    if max_length:
        tok.enable_truncation(max_length=max_length)
    if pad:
        tok.enable_padding(pad_id=tok.token_to_id("[PAD]"), pad_token="[PAD]")  # length=None: batch's longest
    return tok


# --- the student's pipeline --------------------------------------------------------------

def token_ids(tok: Tokenizer, texts: Sequence[str], chunk: int = 10_000) -> Iterator[list[int]]:
    """The token ids of each text, in order, tokenised ``chunk`` texts at a time.

    The tokenizer's Encoding objects weigh far more than their ids (for the 274k training
    pairs at once, 1.6 GB; 10k at a time keeps the peak near 0.35 GB), so only the ids of
    one chunk's Encodings outlive it.
    """
    texts = list(texts)
    for start in range(0, len(texts), chunk):
        for encoding in tok.encode_batch(texts[start:start + chunk]):
            yield encoding.ids


def student_normalizer(split_cjk: bool = True) -> normalizers.Normalizer:
    """NFC, BERT's text cleaning, lowercase, no accent stripping; CJK ideographs set apart."""
    return normalizers.Sequence([
        normalizers.NFC(),
        normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=split_cjk,
                                   strip_accents=False, lowercase=True),
    ])


def _empty_student(vocab: dict[str, int], split_cjk: bool = True) -> Tokenizer:
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = student_normalizer(split_cjk)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", CLS_ID), ("[SEP]", SEP_ID)])
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def teacher_piece_counts(english: Iterable[str], teacher: Tokenizer | None = None) -> Counter:
    """How often each teacher piece occurs when the teacher tokenizes ``english``."""
    teacher = configure(teacher or Tokenizer.from_file(str(teacher_tokenizer_path())), None, False)
    counts: Counter = Counter()
    for enc in teacher.encode_batch(list(english), add_special_tokens=False):
        counts.update(enc.tokens)
    return counts


def train_new_pieces(translations: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE, split_cjk: bool = True,
                     min_frequency: int = 2, limit_alphabet: int | None = 6000) -> list[str]:
    """Pieces a WordPiece trainer learns on the translations, in the trainer's order
    (special tokens, then the alphabet, then merges by frequency)."""
    tok = _empty_student({"[UNK]": 0}, split_cjk)
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=SPECIAL_PIECES, limit_alphabet=limit_alphabet,
                                        continuing_subword_prefix="##", show_progress=False)
    tok.train_from_iterator(translations, trainer=trainer)
    vocab = tok.get_vocab()
    return [p for p in sorted(vocab, key=vocab.get) if p not in SPECIAL_PIECES]


def assemble_vocab(teacher_counts: Counter, new_pieces: Sequence[str], vocab_size: int,
                   min_teacher_count: int = 1, banned: Iterable[str] = ()) -> dict[str, int]:
    """Specials, then teacher pieces by frequency, then new pieces (except ``banned``),
    capped at ``vocab_size``."""
    ordered = list(SPECIAL_PIECES)
    teacher_pieces = [p for p, c in sorted(teacher_counts.items(), key=lambda kv: (-kv[1], kv[0]))
                      if c >= min_teacher_count and p not in SPECIAL_PIECES]
    seen = set(ordered) | set(banned)
    chosen_new = []
    for p in [*teacher_pieces, *new_pieces]:
        if len(ordered) + len(chosen_new) >= vocab_size:
            break
        if p not in seen:
            seen.add(p)
            (chosen_new if p not in teacher_counts else ordered).append(p)
    # The trainer breaks ties between equally frequent merges in hash order, which changes
    # from run to run; sorting the new pieces by string makes the ids reproducible.
    ordered += sorted(chosen_new)
    return {p: i for i, p in enumerate(ordered)}


def piece_counts(student: Tokenizer, texts: Sequence[str], keep=lambda piece: True) -> Counter:
    """How often the student uses each piece (those ``keep`` accepts) on ``texts``."""
    student = configure(Tokenizer.from_str(student.to_str()), None, False)
    used = Counter()
    for enc in student.encode_batch(list(texts), add_special_tokens=False):
        used.update(t for t in enc.tokens if keep(t))
    return used


def english_conflicts(student: Tokenizer, english: Sequence[str], teacher_vocab: dict[str, int]) -> Counter:
    """New (non-teacher) pieces that the student uses on ``english``, with how often: each one is a
    longer greedy match that splits an English word differently from the teacher."""
    return piece_counts(student, english,
                        lambda p: p not in teacher_vocab and strip_accents(p) not in teacher_vocab)


def build_tokenizer(train_english: Sequence[str], train_translations: Sequence[str],
                    vocab_size: int = DEFAULT_VOCAB_SIZE, split_cjk: bool = True,
                    teacher_counts: Counter | None = None,
                    new_pieces: Sequence[str] | None = None,
                    protect_english: bool = True, rounds: int = 4, english_ratio: float = 0.0) -> Tokenizer:
    """The student tokenizer from the training split (see the module docstring).

    With ``protect_english`` the new pieces that would split a training English word
    differently from the teacher are left out (and the next new pieces fill their
    places), repeated for a few ``rounds`` since a removal can expose another match.
    ``english_ratio`` > 0 leaves out only those that the translations use fewer than
    ``english_ratio`` times as often as they would re-split English words: German "sie"
    (19,225 uses in the translations) would otherwise go for the 4 English words it
    re-splits, and be split as si ##e.
    """
    if teacher_counts is None:
        teacher_counts = teacher_piece_counts(train_english)
    if new_pieces is None:
        new_pieces = train_new_pieces(train_translations, split_cjk=split_cjk)
    banned: set = set()
    tok = _empty_student(assemble_vocab(teacher_counts, new_pieces, vocab_size), split_cjk)
    if protect_english:
        teacher_vocab = Tokenizer.from_file(str(teacher_tokenizer_path())).get_vocab()
        for _ in range(rounds):
            conflicts = english_conflicts(tok, train_english, teacher_vocab)
            if english_ratio > 0:
                uses = piece_counts(tok, train_translations, conflicts.__contains__)
                conflicts = {p for p, n in conflicts.items() if uses[p] < english_ratio * n}
            conflicts = set(conflicts) - banned
            if not conflicts:
                break
            banned |= conflicts
            tok = _empty_student(assemble_vocab(teacher_counts, new_pieces, vocab_size, banned=banned), split_cjk)
    tok.banned_pieces = len(banned)  # informational only, not saved
    return tok


def save_tokenizer(tok: Tokenizer, path) -> None:
    """Save without truncation or padding (those are chosen at load time), pretty-printed."""
    tok = configure(tok, None, False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(tok.to_str())
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")


def default_tokenizer_path(data_dir=None) -> Path:
    return Path(data_dir or default_data_dir()) / TOKENIZER_FILE


def load_tokenizer(path=None, max_length: int | None = MAX_SEQ_LENGTH, pad: bool = True) -> Tokenizer:
    """The shipped student tokenizer (``data/tokenizer.json``), truncating at ``max_length``
    tokens ([CLS] and [SEP] included; use 128 for training) and padding to the batch's longest.
    A damaged file is named (a ValueError, ``tinykd.files.read_tokenizer``)."""
    path = Path(path or default_tokenizer_path())
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: the shipped data is the data/ folder of the tinykd repository "
                                f"(clone it, or point TINYKD_DATA at a copy); rebuild the tokenizer with "
                                f"`python -m tinykd.data tokenizer`")
    return configure(read_tokenizer(path), max_length, pad)


# --- helping the student start from the teacher --------------------------------------------

def teacher_ids_for_init(student: Tokenizer, teacher: Tokenizer | None = None) -> list[list[int]]:
    """For each student id, the teacher ids whose embeddings initialise it.

    A piece the teacher has (same string) maps to that one id; another piece maps to the
    teacher's split of its text (``##`` removed), whose vectors the caller averages; a
    piece the teacher only knows as [UNK] maps to the teacher's [UNK].  Special tokens map
    to the teacher's special tokens of the same name.
    """
    teacher = configure(teacher or Tokenizer.from_file(str(teacher_tokenizer_path())), None, False)
    tvocab = teacher.get_vocab()
    svocab = student.get_vocab()
    out: list[list[int]] = [[] for _ in range(len(svocab))]
    todo = []
    for piece, i in svocab.items():
        if piece in tvocab:
            out[i] = [tvocab[piece]]
        else:
            todo.append((i, piece[2:] if piece.startswith("##") else piece, piece.startswith("##")))
    encs = teacher.encode_batch([t for _, t, _ in todo], add_special_tokens=False)
    unk = tvocab["[UNK]"]
    for (i, _, cont), enc in zip(todo, encs):
        ids = list(enc.ids)
        if cont and enc.tokens:  # prefer the teacher's continuation piece for the first part
            first = "##" + enc.tokens[0]
            if first in tvocab:
                ids[0] = tvocab[first]
        out[i] = ids or [unk]
    return out


# --- measuring a tokenizer -----------------------------------------------------------------

def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def measure(student: Tokenizer, pairs: Sequence, teacher: Tokenizer | None = None) -> dict[str, dict[str, float]]:
    """Per language: tokens per sentence and the share of [UNK] tokens (no special tokens),
    for the translations and (as ``"en"``) for the unique English sentences; for English
    also ``teacher_agreement``, the fraction of sentences split exactly as the teacher splits
    them once case and accents are ignored."""
    student = configure(Tokenizer.from_str(student.to_str()), None, False)
    unk = student.token_to_id("[UNK]")
    by_lang: dict[str, list[str]] = defaultdict(list)
    english = sorted({p.english for p in pairs})
    for p in pairs:
        by_lang[p.lang].append(p.translation)
    by_lang["en"] = english
    out: dict[str, dict[str, float]] = {}
    for lang, texts in by_lang.items():
        encs = student.encode_batch(texts, add_special_tokens=False)
        n_tok = sum(len(e.ids) for e in encs)
        n_unk = sum(e.ids.count(unk) for e in encs)
        out[lang] = {"sentences": len(texts), "tokens_per_sentence": n_tok / max(1, len(texts)),
                     "unk_rate": n_unk / max(1, n_tok)}
    teacher = configure(teacher or Tokenizer.from_file(str(teacher_tokenizer_path())), None, False)
    s_encs = student.encode_batch(english, add_special_tokens=False)
    t_encs = teacher.encode_batch(english, add_special_tokens=False)
    same = sum([strip_accents(t) for t in s.tokens] == t.tokens for s, t in zip(s_encs, t_encs))
    out["en"]["teacher_agreement"] = same / max(1, len(english))
    return out
