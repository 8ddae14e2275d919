"""Where the start-up of a training run goes: from launch to the first training step, phase by phase.

    python benchmarks/profile_startup.py                      # cache off, first start, second start
    python benchmarks/profile_startup.py --before 64fbb55     # and the code before issue 25 first
    python benchmarks/profile_startup.py --starts off         # one start, no cache (the path before issue 25)
    python benchmarks/profile_startup.py --data /tmp/data5x   # a corpus five times today's (--make-5x builds one)
    python benchmarks/profile_startup.py -- --max_pairs 1000000   # options after -- go to tinykd.train

Each start is a fresh process (``python -m tinykd.train --steps 1 --eval_every 0 --test_eval false``
in a temporary run folder) that stops when its first step begins. The phases are the package's
own functions, each wrapped with a timer in that process only (nothing in tinykd is changed);
a phase's time includes the phases under it, and ``other`` is what the named ones leave out.
The first start finds an empty cache ($TINYKD_CACHE in a temporary folder), the second the
entries the first wrote; ``off`` runs with TINYKD_CACHE=off; ``--before REV`` first starts the code
of an older revision (64fbb55: before issue 25). The ratios are to the first column, measured in
the same run.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()          # the child's launch (the interpreter's own start, ~50 ms, is not in it)

# (module, function, label): a label's path in the tree is that of the phases it is called from.
PHASES = [
    ("tinykd.train", "load_tokenizer", "read the tokenizer"),
    ("tinykd.train", "extra_folders", "find the --extra_data folders"),
    ("tinykd.train", "training_vectors", "teacher vectors (int8 stores)"),
    ("tinykd.train", "training_pairs", "read the training pairs and teacher vectors"),    # before issue 25
    ("tinykd.train", "teacher_vectors_for", "teacher vectors (int8 store)"),
    ("tinykd.train", "english_sentences", "English sentences (row offsets)"),
    ("tinykd.train", "temperature_sample", "temperature sampling"),
    ("tinykd.train", "tokenize_pairs", "tokenising"),
    ("tinykd.train", "training_items", "training pairs (cache)"),                      # since issue 25
    ("tinykd.trainingset", "training_pairs", "read the training pairs and teacher vectors"),
    ("tinykd.trainingset", "draw_pairs", "temperature sampling"),
    ("tinykd.trainingset", "drawn_training_pairs", "read the drawn training pairs"),          # since issue 25's
    ("tinykd.trainingset", "split_lines", "read the lines of a split (train)"),               # start-up at 5x
    ("tinykd.trainingset", "line_languages", "each line's language"),
    ("tinykd.trainingset", "draw_rows", "temperature sampling"),
    ("tinykd.trainingset", "parse_pairs", "parse the drawn lines"),
    ("tinykd.trainingset", "tokenize_pairs", "tokenising"),
    ("tinykd.train", "build_student", "building the student"),
    ("tinykd.student", "load_teacher", "load the teacher"),
    ("tinykd.student", "teacher_ids_for_init", "teacher pieces of each new token"),
    ("tinykd.student", "student_from_teacher", "student from the teacher (vocabulary transfer)"),
    ("tinykd.student", "align_new_embeddings", "alignment fit"),
    ("tinykd.student", "cached_alignment", "alignment fit (cache)"),
    ("tinykd.align", "choose_free_tokens", "token counting"),
    ("tinykd.align", "normal_equations", "A^T A and A^T Y"),
    ("tinykd.align", "solve_ridge", "the dense solve"),
    ("numpy.linalg", "solve", "np.linalg.solve"),
    ("tinykd.student", "scale_output", "output scale (a forward pass)"),
    ("tinykd.cache", "file_digest", "hashing files"),
    ("tinykd.cache", "array_digest", "hashing arrays"),
    ("tinykd.cache", "read_entry", "reading a cache entry"),
    ("tinykd.cache", "write_entry", "writing a cache entry"),
    ("tinykd.runs", "start_run", "the run folder"),
]


class FirstStep(Exception):
    """Raised when the first training step begins: the start-up is over."""


def child(train_args: list[str]) -> dict:
    """Run the trainer in this process up to its first step; the phases' times in seconds."""
    import importlib

    totals: collections.Counter = collections.Counter()
    stack: list[str] = []

    def timed(label, fn):
        def wrapper(*args, **kwargs):
            name = label
            if fn.__name__ == "load_corpus":
                name = f"{label} ({args[0]})"
            path = "/".join([*stack, name])
            totals[path] += 0.0                               # the table lists phases in the order they began
            stack.append(name)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[path] += time.perf_counter() - t
                stack.pop()
        return wrapper

    imported = time.perf_counter()
    import tinykd.train
    totals["imports"] = time.perf_counter() - imported
    for module_name, function, label in PHASES + [(m, "load_corpus", "read a split")
                                                  for m in ("tinykd.train", "tinykd.trainingset")]:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, function):
            setattr(module, function, timed(label, getattr(module, function)))

    def first_step(self, step):
        raise FirstStep

    tinykd.train.Trainer.train_step = first_step
    with tempfile.TemporaryDirectory() as tmp:
        try:
            tinykd.train.main(["--steps", "1", "--eval_every", "0", "--test_eval", "false", "--out",
                               str(Path(tmp) / "run"), *train_args])
            raise SystemExit("the trainer ended without a training step")
        except FirstStep:
            totals["to the first step"] = time.perf_counter() - T0
    return dict(totals)


def run_child(train_args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", "--", *train_args], env=env, capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise SystemExit(f"the start-up failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(columns: dict[str, dict]) -> str:
    names = list(columns)
    paths = [p for p in _order(columns) if p != "to the first step"]
    lines = ["| phase | " + " | ".join(f"{n} (s)" for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    for p in paths:
        depth = p.count("/")
        label = "&nbsp;&nbsp;" * depth + p.rsplit("/", 1)[-1]
        lines.append(f"| {label} | " + " | ".join(f"{columns[n].get(p, 0):.1f}" if p in columns[n] else ""
                                                   for n in names) + " |")
    top = {n: sum(v for k, v in r.items() if "/" not in k and k != "to the first step") for n, r in columns.items()}
    lines.append("| other | " + " | ".join(f"{columns[n]['to the first step'] - top[n]:.1f}" for n in names) + " |")
    lines.append("| **launch to the first step** | " + " | ".join(f"**{columns[n]['to the first step']:.1f}**"
                                                                    for n in names) + " |")
    return "\n".join(lines)


def _order(columns: dict[str, dict]) -> list[str]:
    """Every phase path once, in the order of the first column that has it (a parent before its children)."""
    order: list[str] = []
    for result in columns.values():
        for p in result:
            if p not in order:
                parent = p.rsplit("/", 1)[0] if "/" in p else None
                at = len(order)
                if parent in order:                           # after the parent's last descendant
                    at = order.index(parent) + 1
                    while at < len(order) and order[at].startswith(parent + "/"):
                        at += 1
                order.insert(at, p)
    return order


def make_5x(out: Path) -> None:
    """A data folder with five times the shipped training pairs of every domain: each English sentence
    and each pair five times, the copies marked (" (2)" ... " (5)"), the teacher's vector of the
    original for each copy (an int8 store), dev and test as shipped. Takes a few minutes."""
    import shutil

    import numpy as np

    from tinykd.data.corpus import Pair, domain_folders, load_corpus, write_corpus
    from tinykd.paths import default_data_dir
    from tinykd.store import EmbeddingStore
    from tinykd.teacher import teacher_vectors_for

    source = default_data_dir()
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "tokenizer.json", out / "tokenizer.json")
    for name, folder in domain_folders(source).items():
        if name == "bible":
            continue
        target = out if folder == source else out / folder.name
        copies = {"train": [Pair(p.lang, p.english + (f" ({k})" if k else ""),
                                 p.translation + (f" ({k})" if k else ""))
                            for p in load_corpus("train", folder) for k in range(5)],
                  "dev": load_corpus("dev", folder), "test": load_corpus("test", folder)}
        write_corpus(copies, str(target))
        info = folder / "corpus" / "build_info.json"
        if info.is_file():
            shutil.copy(info, target / "corpus" / "build_info.json")
        vectors = teacher_vectors_for(folder)
        from tinykd.data.corpus import english_sentences
        originals = {s: i for i, s in enumerate(english_sentences(folder))}
        sentences = english_sentences(str(target))
        rows = np.array([originals[s.rsplit(" (", 1)[0] if s not in originals else s] for s in sentences])
        store = EmbeddingStore.create_or_resume(target / "teacher", sentences, "copies", "0", 384, dtype="int8")
        done = [0]                                          # rows filled so far: fill() goes in order

        def copies_of(batch, vectors=vectors, rows=rows, done=done):
            done[0] += len(batch)
            return vectors[rows[done[0] - len(batch):done[0]]]

        store.fill(sentences, copies_of, progress=False)
        print(f"{name}: {len(copies['train']):,} training pairs, {len(sentences):,} English sentences")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--starts", default="off,first,second",
                        help="which starts, in this order: off (no cache), first (empty cache), second")
    parser.add_argument("--data", help="the data folder (TINYKD_DATA); default: the shipped data/")
    parser.add_argument("--before", metavar="REV", help="first start the code of this git revision (no cache): "
                        "the start-up before issue 25 is 64fbb55")
    parser.add_argument("--make-5x", metavar="DIR", help="write a data folder of five times the shipped pairs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("train_args", nargs="*", help="options for tinykd.train (after --)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.train_args)))
        return
    if args.make_5x:
        make_5x(Path(args.make_5x))
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import machine_line, revision_tree

    print(machine_line())
    env = dict(os.environ)
    if args.data:
        env["TINYKD_DATA"] = args.data
    columns = {}
    with tempfile.TemporaryDirectory() as cache:
        if args.before:                                    # that revision's tinykd/, on this data
            tree = revision_tree(args.before, Path(cache) / "before")
            from tinykd.paths import default_data_dir
            before = env | {"PYTHONPATH": str(tree), "TINYKD_DATA": str(args.data or default_data_dir()),
                            "TINYKD_CACHE": "off"}
            columns["before"] = run_child(args.train_args, before)
            print(f"before ({args.before}): {columns['before']['to the first step']:.1f} s to the first step",
                  flush=True)
        for start in args.starts.split(","):
            env["TINYKD_CACHE"] = "off" if start == "off" else cache
            columns[start] = run_child(args.train_args, env)
            print(f"{start}: {columns[start]['to the first step']:.1f} s to the first step", flush=True)
    print()
    print(table(columns))
    base = "before" if "before" in columns else "off" if "off" in columns else None
    if base:
        seconds = columns[base]["to the first step"]
        print("\n" + ", ".join(f"{n} / {base} = {r['to the first step'] / seconds:.2f}x" for n, r in columns.items()
                               if n != base))


if __name__ == "__main__":
    main()
