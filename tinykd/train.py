"""Multilingual distillation: ``python -m tinykd.train``.

One step, for a batch of P pairs (English s, translation t) with teacher vectors T(s),
in which the U distinct English sentences are encoded once each (up to
``pairs_per_english`` pairs share one)::

    vectors = student([s_1..s_U; t_1..t_P])               one forward pass, (U + P, D)
    L = MSE(S(s), T(s)) + w MSE(S(t), T(s))                tinykd.loss, per pair (w: --translation_weight)
        + lambda L_r(S(t); T(s) among K drawn T's)         the retrieval term (lambda: --retrieval_weight)
      (each MSE split into a direction and a length part: --separate_length, the default)
    student.backward(dL/dvectors)                          every gradient, by hand
    clip the global gradient norm; AdamW step with a warm-up/decay schedule

Around it: a run directory (config.json, log.jsonl, checkpoints, the final
model), dev evaluations, a progress bar, ``--resume RUN_DIR`` (on NumPy the
resumed run ends with exactly the weights of an uninterrupted one, even after
``kill -9``, and its log reads as one run), Ctrl-C or SIGTERM that saves a checkpoint,
and a stop with a message when the loss is NaN or inf.

Before the slow start-up (tokenising, fitting the student) every setting is checked
(tinykd.config.validate), the run folder is locked for this process (a second training of
it is refused: tinykd.runs.locked) and must be writable, and a batch larger than the
training pairs is refused; a damaged corpus file, teacher store, tokenizer, config.json or
checkpoint is named in the message. ``--resume`` of a run that stopped before its first
checkpoint is refused; ``--resume RUN_DIR --restart`` starts it again from step 0.

    python -m tinykd.train                    # the default student, 25-36 min on 2 cores
    python -m tinykd.train --preset tiny      # a minute
    python -m tinykd.train --resume runs/20261129-221500
    python -m tinykd.train --help             # every option
"""

from __future__ import annotations

import math
import signal
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tokenizers import Tokenizer
from tqdm.auto import tqdm

from tinykd import backend, parallel, runs
from tinykd.config import ConfigError, TrainConfig, help_text
from tinykd.data.corpus import domain_name, english_sentences, load_corpus
from tinykd.data.pairs import epoch_batches, in_languages, stack_batch
from tinykd.data.tokenizer import MAX_SEQ_LENGTH, default_tokenizer_path, load_tokenizer
from tinykd.evaluate import evaluate, evaluate_many, format_domains, model_output, save_results, tfidf_reference
from tinykd.inference import SentenceEncoder, unit
from tinykd.loss import distillation_loss_direction_length, distillation_loss_grouped, retrieval_loss
from tinykd.optim import AdamW, clip_grad_norm, learning_rate
from tinykd.plot import save_pictures
from tinykd.student import build_student
from tinykd.teacher import teacher_vectors_for
from tinykd.trainingset import eval_folders, extra_folders, language_list, training_items, training_vectors


def warn(message: str) -> None:
    """A message beside the progress bar: on stderr."""
    print(message, file=sys.stderr)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Domain(NamedTuple):
    """A corpus folder evaluated on its own: its dev and test pairs, and its teacher vectors."""

    name: str
    dev: list
    test: list
    vectors: np.ndarray            # (its English sentences, D): row p.english_index of its pairs


class Trainer:
    def __init__(self, config: TrainConfig, run_dir: Path, progress: bool = True, resuming: bool = False):
        """``resuming``: a checkpoint will replace the weights, so the student's start is not fitted.

        What can be refused is checked first (a damaged file, a batch larger than the training
        pairs), before the slow part: tokenising the pairs and building the student."""
        self.config, self.run_dir, self.progress = config, Path(run_dir), progress
        data_dir = config.data_dir or None
        langs = language_list(config)
        self.tokenizer = load_tokenizer(default_tokenizer_path(data_dir), config.max_length, pad=False)
        extra, evaluated = extra_folders(config), eval_folders(config)
        self.say(f"start-up: reading the teacher's vectors and the dev pairs of {domain_name(data_dir)}"
                 + "".join(f", {folder.name}" for folder in extra + evaluated))
        self.teacher_vectors = training_vectors(config, extra)
        self.dev_pairs = in_languages(load_corpus("dev", data_dir), langs)
        self.test_pairs = in_languages(load_corpus("test", data_dir), langs) if config.test_eval else []
        self.domains = [Domain(domain_name(data_dir), self.dev_pairs, self.test_pairs, self.teacher_vectors)]
        sizes = [len(english_sentences(folder)) for folder in [data_dir, *extra]]     # training_vectors' rows,
        self.folder_bounds = np.cumsum([0, *sizes])   # (F + 1,) folder f's: bounds[f] .. bounds[f + 1] - 1
        for folder, start, stop in zip(extra, self.folder_bounds[1:], self.folder_bounds[2:]):
            self._add_domain(folder, self.teacher_vectors[start:stop])   # each --extra_data folder a domain too
        self.scored_only = {folder.name for folder in evaluated}
        for folder in evaluated:                      # evaluated only: their vectors stay out of the training set's
            self._add_domain(folder, teacher_vectors_for(folder))
        if not self.dev_pairs:
            print(f"--langs {config.langs}: the dev and test splits have none of these languages; "
                  f"no evaluation (python -m tinykd.evaluate RUN_DIR --split dev --data-dir FOLDER "
                  f"evaluates on a folder's own dev split)", file=sys.stderr)
        self.unit_teacher = (unit(self.teacher_vectors).astype(np.float32, copy=False)   # the retrieval term's
                             if config.retrieval_weight > 0 else None)                  # candidates
        self.train_items = training_items(config, extra, self.tokenizer, self.say)    # read, drawn, tokenised; cached
        self.batches_per_epoch = len(epoch_batches(self.train_items, config.batch_size, config.seed, 0,
                                                   config.pairs_per_english))
        if self.batches_per_epoch == 0:
            raise ValueError(f"{len(self.train_items.lang)} training pairs do not make one batch of "
                             f"{config.batch_size}")
        self.say("start-up: building the student from the teacher" + (", fitting its new tokens by least squares"
                                                                      if config.embed_init == "aligned" and not resuming
                                                                      and config.init == "teacher" else ""))
        self.model = build_student(config, self.tokenizer, None if resuming else self.train_items)
        self.optimizer = AdamW(self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                               betas=(0.9, config.adam_beta2),
                               step_scales={"embeddings.word_embeddings.weight": config.embedding_lr_scale})
        self.step = 0
        self.elapsed_before = 0.0                          # training seconds of the segments before a resume
        self._segment_start = None                         # time.time() when this process's run() began
        self.stop_requested = False
        self.exit_code = 0                                 # 130 after Ctrl-C, 143 after SIGTERM
        self._epoch_cache = (None, None)
        if not runs.is_run(self.run_dir):                   # a new run: what load_run and --resume read
            runs.start_run(self.run_dir, config.to_dict(), self.tokenizer)

    def say(self, message: str) -> None:
        """What the start-up is doing, so that its first minute is not silent (with a progress bar only)."""
        if self.progress:
            warn(message)

    # -- files (tinykd.runs) --------------------------------------------------------------
    def log(self, **record) -> None:
        runs.append_log(self.run_dir, record)

    def save_checkpoint(self) -> None:
        runs.save_checkpoint(self.run_dir, self.model, self.optimizer, self.step, self.elapsed())

    def resume(self) -> None:
        """Load the checkpoint and make the log that of the run it continues: the records of
        steps after the checkpoint (work that was lost) are dropped, and so is a line cut short
        by the crash; a ``resume`` record marks the seam. Times in the log count training
        seconds, not the pause between."""
        self.step, self.elapsed_before = runs.load_checkpoint(self.run_dir, self.model, self.optimizer)
        finishing = self.step >= self.config.steps       # stopped in finish(), which logs its evaluations again
        dropped = runs.trim_log(self.run_dir, self.step, log=warn, redone=("dev", "test") if finishing else ())
        self.log(kind="resume", step=self.step, time=self.elapsed(), dropped_records=dropped)

    def _add_domain(self, folder: Path, vectors: np.ndarray) -> None:
        """``folder``'s dev and test pairs (in ``--langs``) as a domain of its own, if it has any;
        ``vectors``: the teacher's vectors of its English sentences."""
        langs = language_list(self.config)
        dev = in_languages(load_corpus("dev", folder), langs)
        test = in_languages(load_corpus("test", folder), langs) if self.config.test_eval else []
        if dev or test:
            self.domains.append(Domain(folder.name, dev, test, vectors))

    def elapsed(self) -> float:
        """Seconds of training so far, over every segment of a resumed run."""
        running = time.time() - self._segment_start if self._segment_start is not None else 0.0
        return self.elapsed_before + running

    # -- one step --------------------------------------------------------------------------
    def batch_for_step(self, step: int) -> np.ndarray:
        epoch, position = divmod(step, self.batches_per_epoch)
        if self._epoch_cache[0] != epoch:
            self._epoch_cache = (epoch, epoch_batches(self.train_items, self.config.batch_size,
                                                      self.config.seed, epoch, self.config.pairs_per_english))
        return self._epoch_cache[1][position]

    def train_step(self, step: int) -> dict:
        c = self.config
        ids, mask, english_index, english_of = stack_batch(self.train_items, self.batch_for_step(step))
        target = backend.asarray(self.teacher_vectors[english_index])                # (U, D)
        self.model.train()
        vectors = self.model(backend.asarray(ids), backend.asarray(mask))            # (U + P, D)
        objective = (distillation_loss_direction_length if c.separate_length and not c.normalize
                     else distillation_loss_grouped)
        loss, loss_en, loss_xx, dvectors = objective(vectors, target, backend.asarray(english_of), c.translation_weight)
        loss_retrieval = 0.0
        if c.retrieval_weight > 0:
            loss_retrieval, d_translations = self.retrieval_term(step, vectors[len(english_index):],
                                                                 english_index, english_of)
            loss += c.retrieval_weight * loss_retrieval
            dvectors[len(english_index):] += c.retrieval_weight * d_translations
        if not math.isfinite(loss):
            raise TrainingDiverged(f"the loss is {loss} at step {step}; stopping. The last good checkpoint "
                                   f"(step {self._last_checkpoint}) is kept in {self.run_dir}. Try a lower --lr.")
        self.model.zero_grad()
        self.model.backward(dvectors)
        grads = self.model.gradients()
        rows = self.model.embedding_rows()                  # the embedding rows with a gradient: the others are 0
        grad_norm = clip_grad_norm(grads, c.clip, rows)
        if not math.isfinite(grad_norm):
            raise TrainingDiverged(f"the gradient norm is {grad_norm} at step {step}; stopping. The last good "
                                   f"checkpoint (step {self._last_checkpoint}) is kept in {self.run_dir}.")
        lr = learning_rate(step, c.steps, c.lr, max(1, int(c.warmup * c.steps)))
        self.optimizer.step(grads, lr, rows=rows if c.lazy_embeddings else None)
        return {"loss": loss, "mse_en": loss_en, "mse_xx": loss_xx, "retrieval": loss_retrieval, "lr": lr,
                "grad_norm": grad_norm, "tokens": int(mask.sum()), "pairs": len(english_of)}

    def retrieval_term(self, step: int, translations, english_index: np.ndarray, english_of: np.ndarray):
        """``tinykd.loss.retrieval_loss`` for the P translations of a batch: candidates are the
        batch's U teacher vectors and K drawn from the whole training set (from a generator seeded
        by (seed, step), so a resumed run draws the same); a drawn copy of a row's own
        sentence is left out of its softmax.

        ``--retrieval_in_domain``: each translation's K are drawn from its own folder's English
        instead. A test set asks a sentence to beat its neighbours of the same kind of text (a Bible
        verse among Bible verses); drawn from the whole training set, a Bible verse's negatives are
        mostly help pages and interface strings, and easy (its own folder's: 557 of 4096). The
        translations of one folder share their K; the term is the mean over all P rows as before."""
        c = self.config
        generator = np.random.default_rng((c.seed, step))
        if not c.retrieval_in_domain:
            drawn = generator.integers(0, len(self.unit_teacher), c.retrieval_negatives)
            return self._retrieval(translations, english_index, english_of, drawn)
        folder = self.folder_of(english_index[english_of])                             # (P,)
        loss, d_translations = 0.0, backend.xp.zeros_like(translations)
        for f in np.unique(folder):
            rows = np.flatnonzero(folder == f)                                         # (R,) of the P
            drawn = generator.integers(self.folder_bounds[f], self.folder_bounds[f + 1], c.retrieval_negatives)
            part, d_rows = self._retrieval(translations[backend.asarray(rows)], english_index, english_of[rows],
                                           drawn)
            loss += part * len(rows) / len(folder)                                     # the mean over the P
            d_translations[backend.asarray(rows)] = d_rows * (len(rows) / len(folder))
        return loss, d_translations

    def _retrieval(self, translations, english_index: np.ndarray, english_of: np.ndarray, drawn: np.ndarray):
        """retrieval_loss of R translations among the batch's U teacher vectors and the K ``drawn`` rows."""
        candidate_index = np.concatenate([english_index, drawn])                       # (U + K,)
        candidates = backend.asarray(self.unit_teacher[candidate_index])               # (U + K, D)
        own = english_index[english_of]                                                # (R,)
        exclude = np.zeros((len(own), len(candidate_index)), dtype=bool)
        exclude[:, len(english_index):] = drawn[None, :] == own[:, None]
        return retrieval_loss(translations, candidates, backend.asarray(english_of),
                              self.config.retrieval_scale, backend.asarray(exclude))

    def folder_of(self, rows: np.ndarray) -> np.ndarray:
        """The trained folder (0: the data dir's own, then --extra_data's) of teacher rows.  (n,) -> (n,)"""
        return np.searchsorted(self.folder_bounds, rows, side="right") - 1

    # -- evaluation ------------------------------------------------------------------------
    def encoder(self) -> SentenceEncoder:
        tok = Tokenizer.from_str(self.tokenizer.to_str())
        return SentenceEncoder(self.model, tok, min(MAX_SEQ_LENGTH, self.model.config.max_position), name="student")

    def _evaluate_dev(self, domains: list[Domain], encode) -> list[dict]:
        """The dev evaluation of each of ``domains``, the texts of all of them encoded in one call
        (each distinct text once; one call sorts them all by length, so the batches are full)."""
        return evaluate_many(encode, [(domain.dev, domain.vectors) for domain in domains],
                             max_per_lang=self.config.eval_pairs, spearman_pairs=1000, name="student")

    def evaluate_dev(self) -> dict:
        """The dev evaluation of the data folder's domain; the model goes back to training."""
        result = self._evaluate_dev(self.domains[:1], model_output(self.encoder(), progress=False))[0]
        self.model.train()
        return result

    # -- the loop --------------------------------------------------------------------------
    def _on_sigint(self, signum, frame):
        if self.stop_requested:                    # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.stop_requested, self.exit_code = True, 130
        print("\nCtrl-C: finishing this step, saving a checkpoint, then stopping "
              "(press again to stop at once)", file=sys.stderr)

    def _on_sigterm(self, signum, frame):
        """A polite kill (a session or a job scheduler ending, ``kill PID``): stop as after Ctrl-C."""
        self.stop_requested, self.exit_code = True, 143
        print("\nSIGTERM: finishing this step, saving a checkpoint, then stopping", file=sys.stderr)

    def run(self) -> int:
        c = self.config
        self._last_checkpoint = self.step
        bar = None
        if self.progress:
            bar = tqdm(total=c.steps, initial=self.step, desc="distilling", unit="step", dynamic_ncols=True)
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        previous_term = signal.signal(signal.SIGTERM, self._on_sigterm)
        self._segment_start = tokens_since = time.time()
        tokens = 0
        if self.step == 0 and c.eval_every:           # where the learning curve starts
            self._dev(bar)
        try:
            while self.step < c.steps:
                stats = self.train_step(self.step)
                self.step += 1
                tokens += stats["tokens"]
                if self.step % c.log_every == 0 or self.step == c.steps:
                    now = time.time()
                    tok_s = tokens / max(1e-9, now - tokens_since)
                    tokens, tokens_since = 0, now
                    self.log(kind="train", step=self.step, time=self.elapsed(), tokens_per_s=tok_s,
                             **{k: v for k, v in stats.items() if k != "tokens"})
                    if bar is not None:
                        bar.set_postfix(loss=f"{stats['loss']:.5f}", lr=f"{stats['lr']:.1e}",
                                        tok_s=f"{tok_s:.0f}")
                if bar is not None:
                    bar.update(1)
                if c.eval_every and self.step % c.eval_every == 0 and self.step < c.steps:
                    self._dev(bar)
                if self.step % c.checkpoint_every == 0 or self.stop_requested:
                    self.save_checkpoint()
                    self._last_checkpoint = self.step
                if self.stop_requested:
                    print(f"stopped at step {self.step}; checkpoint saved. Resume with: "
                          f"python -m tinykd.train --resume {self.run_dir}", file=sys.stderr)
                    return self.exit_code
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, previous_term)
            if bar is not None:
                bar.close()
        self.save_checkpoint()
        self.finish()
        return 0

    def _dev(self, bar) -> None:
        """A dev evaluation of every domain: one log record and one line each (the learning curves)."""
        domains = [domain for domain in self.domains if domain.dev]
        results = self._evaluate_dev(domains, model_output(self.encoder(), progress=False)) if domains else []
        for domain, result in zip(domains, results):
            self.log(kind="dev", domain=domain.name, step=self.step, time=self.elapsed(),
                     mean_acc=result["mean_acc"], mean_mse_en=result["mean_mse_en"],
                     mean_mse_xx=result["mean_mse_xx"], spearman=result.get("spearman"),
                     languages=result["languages"])
            message = (f"step {self.step}: {domain.name} dev accuracy {result['mean_acc']:.1f}%, MSE x100 en "
                       f"{result['mean_mse_en']:.3f} xx {result['mean_mse_xx']:.3f}")
            (bar.write if bar is not None else print)(message)
        self.model.train()

    def _test(self) -> dict[str, list[dict]]:
        """The test evaluation of every domain, next to the TF-IDF reference: ``{domain: [student, TF-IDF]}``,
        one log record each. A domain's texts are encoded in one call, each distinct text once (its
        English side is mostly the same sentences in every language)."""
        self.model.eval()
        encode, by_domain = model_output(self.encoder(), progress=False), {}
        for domain in self.domains:
            if domain.test:
                print(f"test split: {domain.name}, {len(domain.test):,} pairs", flush=True)
                by_domain[domain.name] = [evaluate(encode, domain.test, domain.vectors, name="student"),
                                          tfidf_reference(domain.test)]
                self.log(kind="test", domain=domain.name, step=self.step, time=self.elapsed(),
                         mean_acc=by_domain[domain.name][0]["mean_acc"],
                         mean_mse_en=by_domain[domain.name][0]["mean_mse_en"],
                         mean_mse_xx=by_domain[domain.name][0]["mean_mse_xx"])
        return by_domain

    def finish(self) -> None:
        """The final model, a dev evaluation, and the test table of every domain."""
        self.model.eval()
        self.model.save(self.run_dir / "model.safetensors")
        self._dev(None)
        by_domain = self._test()
        if by_domain:
            table = format_domains(by_domain, self.scored_only)
            save_results(self.run_dir / "eval_test.json", by_domain, table)
            print(table)
        try:
            pictures = save_pictures(self.run_dir)
            print("learning curves: " + ", ".join(str(p) for p in pictures))
        except ImportError:
            print(f"learning curves: pip install -e '.[plot]' for pictures; as text: python -m tinykd.plot "
                  f"{self.run_dir} --terminal")
        print(f"done: {self.run_dir}/model.safetensors ({self.model.num_parameters() / 1e6:.2f}M parameters)")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "-h" in argv or "--help" in argv:
        print(__doc__.strip() + "\n\n" + help_text())
        print("  --out DIR             the run directory (default: runs/<date-time>)\n"
              "  --resume RUN_DIR      continue an interrupted run with its own config\n"
              "  --restart             with --resume: start a run that has no checkpoint again from step 0")
        return 0
    try:
        config, run_dir, action = runs.choose_run(argv)
    except ConfigError as err:
        print(f"error: {err}\n(python -m tinykd.train --help lists the options)", file=sys.stderr)
        return 2
    try:
        with runs.locked(run_dir, log=warn):
            return run_training(config, run_dir, action)
    except (ConfigError, runs.RunFolderError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def run_training(config: TrainConfig, run_dir: Path, action: str) -> int:
    """Start (or continue) the run in ``run_dir``, whose lock the caller holds, and train it."""
    runs.check_start(run_dir, action)
    if action == "restart":
        runs.clear_log(run_dir)
    backend.keep_freed_memory()
    parallel.set_threads(config.threads)
    resuming = action == "resume"
    try:
        trainer = Trainer(config, run_dir, resuming=resuming)
        if resuming:
            trainer.resume()
    except (OSError, ValueError) as err:        # data, extra data or the teacher missing or damaged, a bad batch
        print(f"error: {err}", file=sys.stderr)
        return 2
    if resuming:
        print(f"resuming {run_dir} at step {trainer.step}")
    print(f"run {run_dir}: {trainer.model.num_parameters() / 1e6:.2f}M parameters, "
          f"{len(trainer.train_items.lang)} training pairs, {trainer.batches_per_epoch} batches an epoch, "
          f"backend {backend.name()}")
    try:
        return trainer.run()
    except TrainingDiverged as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
