"""Hardening: what a hostile but fair user tries, each case of docs/hardening.md.

Two trainings in one run folder, a torn log, a resume without a checkpoint, search over large
files, settings out of range, checks that must come before the slow start-up, damaged files,
malformed TSV input, shipping, leftovers of killed processes and file modes, and modules.json
paths that lead out of the model folder. The trainer runs on a tiny synthetic corpus (the one of
tests/test_train.py) with a fake teacher store.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from tiny_corpus import make_tiny_data
from tokenizers import Tokenizer

from tinykd import Encoder, EncoderConfig, runs
from tinykd.config import ConfigError, make_config
from tinykd.data.corpus import load_english
from tinykd.data.tsv import CorpusFormatError, build_tsv_corpus
from tinykd.encode import main as encode_main
from tinykd.encode import search
from tinykd.export import export
from tinykd.files import atomic_save_safetensors, remove_stale_temporaries
from tinykd.loading import load
from tinykd.modelfolder import ModelFolderError, load_folder

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizer.json"

# The tiny run of tests/test_train.py: a random 1-layer student of width 16, 12 steps of 8 pairs.
TINY = dict(init="random", hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32, max_length=16,
            batch_size=8, steps=12, eval_every=6, eval_pairs=10, checkpoint_every=4, log_every=2,
            test_eval=False, lr=3e-3, seed=3)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return make_tiny_data(tmp_path_factory.mktemp("data"))


def tiny_args(data_dir, **changes) -> list[str]:
    """The tiny run as ``python -m tinykd.train`` options."""
    values = {**TINY, "data_dir": str(data_dir), **changes}
    return [x for key, value in values.items() for x in (f"--{key}", str(value).lower()
                                                          if isinstance(value, bool) else str(value))]


def tiny_config(data_dir, **changes):
    return make_config([], **{**TINY, "data_dir": str(data_dir), **changes})


@pytest.fixture
def no_start_up(monkeypatch):
    """The trainer's slow start-up must not begin: constructing a Trainer fails the test."""
    import tinykd.train

    def refuse(*args, **kwargs):
        raise AssertionError("the start-up began before the bad input was refused")
    monkeypatch.setattr(tinykd.train, "Trainer", refuse)


def weights(path: Path) -> dict:
    return Encoder.load(path).state_dict()


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def make_model_run(folder: Path, nan: bool = False) -> Path:
    """A run folder with a tiny random student (projection to 12) and the student tokenizer."""
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    model = Encoder(EncoderConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=16, num_layers=1, num_heads=2,
                                  intermediate_size=32, max_position=64, output_size=12, init_std=0.5))
    if nan:
        model.parameters()["encoder.layer.0.output.dense.weight"][0, 0] = np.nan
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.safetensors")
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


# --- 1. one training at a time in a run folder ----------------------------------------------------

def test_a_second_training_of_a_held_run_folder_is_refused(tiny_data, tmp_path, capsys, no_start_up):
    from tinykd.train import main
    run = tmp_path / "run"
    with runs.locked(run):
        assert main(["--out", str(run), *tiny_args(tiny_data)]) == 2
        assert "in use" in capsys.readouterr().err
        (run / "config.json").write_text(json.dumps(tiny_config(tiny_data).to_dict()), encoding="utf-8")
        assert main(["--resume", str(run)]) == 2                  # two --resume of one run
        assert f"process {os.getpid()}" in capsys.readouterr().err
    assert not (run / ".lock").read_text()                        # let go: the lock names nobody


def test_a_lock_left_by_a_killed_training_is_taken_over_with_a_message(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    pid = dead_pid()
    (run / ".lock").write_text(f"{pid}\n")
    said = []
    with runs.locked(run, log=said.append):
        assert (run / ".lock").read_text().strip() == str(os.getpid())
    assert any(f"process {pid}" in s and "taken over" in s for s in said)


def test_a_start_that_fails_leaves_no_empty_run_folder(tmp_path, capsys):
    from tinykd.train import main
    run = tmp_path / "runs" / "new"
    assert main(["--preset", "tiny", "--data_dir", str(tmp_path / "nothing"), "--out", str(run)]) == 2
    assert not run.exists()


@pytest.mark.slow
def test_two_real_trainings_of_one_folder(tiny_data, tmp_path):
    """The tester's case: python -m tinykd.train --out runs/x twice, a second apart; and two --resume."""
    run = tmp_path / "x"
    command = [sys.executable, "-m", "tinykd.train", "--out", str(run)]
    first = subprocess.Popen([*command, *tiny_args(tiny_data, steps=100000, checkpoint_every=50, eval_every=0)],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not (run / "config.json").exists() or not (run / "log.jsonl").exists():
            assert first.poll() is None and time.time() < deadline, first.stderr.read().decode()[-2000:]
            time.sleep(0.1)
        second = subprocess.run([*command, *tiny_args(tiny_data, seed=4)], cwd=ROOT, capture_output=True,
                                text=True, timeout=120)
        assert second.returncode == 2 and f"another training (process {first.pid})" in second.stderr
        resumed = subprocess.run([sys.executable, "-m", "tinykd.train", "--resume", str(run)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 2 and "in use" in resumed.stderr
        assert json.loads((run / "config.json").read_text())["seed"] == 3          # the first run's
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=120)
    assert first.returncode == 143
    records = runs.read_log(run)
    assert not [r for r in records if r["kind"] == "resume"]
    steps = [r["step"] for r in records if r["kind"] == "train"]
    assert steps == sorted(set(steps))


# --- 2. a torn log -------------------------------------------------------------------------------

def test_a_torn_last_line_and_blank_lines_do_not_block_the_resume(tiny_data, tmp_path, capsys):
    from tinykd.train import Trainer, main
    straight, torn = tmp_path / "straight", tmp_path / "torn"
    assert main(["--out", str(straight), *tiny_args(tiny_data)]) == 0
    stopped = Trainer(tiny_config(tiny_data), torn, progress=False)
    original = stopped.train_step
    stopped.train_step = lambda step: original(step) if step < 9 else sys.exit("killed in step 10")
    with pytest.raises(SystemExit):
        stopped.run()                                            # checkpoint at step 8, log up to 8
    log = torn / "log.jsonl"
    log.write_bytes(log.read_bytes() + b"\n\n" + b'{"kind": "train", "step": 10, "ti')   # blank, then cut short
    assert main(["--resume", str(torn)]) == 0
    assert "left out" in capsys.readouterr().err
    lines = log.read_text().splitlines()
    assert all(line.strip() for line in lines)
    records = [json.loads(line) for line in lines]
    steps = [r["step"] for r in records if r["kind"] == "train"]
    assert steps == sorted(set(steps)) and steps[-1] == 12
    assert_same_weights(straight / "model.safetensors", torn / "model.safetensors")


def test_the_log_reader_names_a_broken_line_that_is_not_the_last(tmp_path):
    (tmp_path / "log.jsonl").write_text('{"step": 1}\n\n{"step": 2\n{"step": 3}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"log.jsonl:3: not a log record"):
        runs.read_log(tmp_path)
    (tmp_path / "log.jsonl").write_text('{"step": 1}\n\n  \n{"step": 2}', encoding="utf-8")   # no final newline
    assert runs.read_log(tmp_path) == [{"step": 1}, {"step": 2}]
    assert runs.trim_log(tmp_path, 5) == 0
    assert (tmp_path / "log.jsonl").read_text() == '{"step": 1}\n{"step": 2}\n'


# --- 3. a resume with no checkpoint ------------------------------------------------------------

def test_a_resume_without_a_checkpoint_is_refused_unless_restarted(tiny_data, tmp_path, capsys):
    from tinykd.train import Trainer, main
    straight, run = tmp_path / "straight", tmp_path / "run"
    assert main(["--out", str(straight), *tiny_args(tiny_data)]) == 0
    Trainer(tiny_config(tiny_data), run, progress=False)      # started (config.json), stopped before a checkpoint
    runs.append_log(run, {"kind": "dev", "step": 0})
    assert main(["--resume", str(run)]) == 2
    err = capsys.readouterr().err
    assert "has no checkpoint" in err and "--restart" in err
    assert not (run / "model.safetensors").exists()
    assert main(["--resume", str(run), "--restart"]) == 0
    assert_same_weights(straight / "model.safetensors", run / "model.safetensors")
    steps = lambda folder: [(r["kind"], r["step"]) for r in runs.read_log(folder)]
    assert steps(run) == steps(straight)                     # the log starts again: one run
    assert main(["--resume", str(run), "--restart"]) == 2     # it has a checkpoint now: --restart would lose it
    assert "has a checkpoint" in capsys.readouterr().err


# --- 4. search in blocks -------------------------------------------------------------------------

def full_matrix_search(queries, corpus, top_k):
    """The search as it was: the whole queries x corpus matrix, one stable sort per row."""
    unit = lambda v: v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    sim = unit(queries) @ unit(corpus).T
    order = np.argsort(-sim, axis=1, kind="stable")[:, :min(top_k, len(corpus))]
    return order, np.take_along_axis(sim, order, axis=1)


def exact_vectors(rng, n: int, dim: int = 16) -> np.ndarray:
    """Unit vectors of four entries +-0.5: every cosine is a multiple of 0.25, computed exactly in any
    order, so many ties, and the same bits in a block as in the full matrix."""
    v = np.zeros((n, dim), dtype=np.float32)
    for row in v:
        row[rng.choice(dim, 4, replace=False)] = rng.choice([-0.5, 0.5], 4)
    return v


@pytest.mark.parametrize("block", [1, 3, 7, 64, 1024])
@pytest.mark.parametrize("top_k", [1, 5, 40, 500])
def test_search_in_blocks_gives_the_full_matrix_result_ties_included(block, top_k):
    rng = np.random.default_rng(block * 1000 + top_k)
    queries, corpus = exact_vectors(rng, 37), exact_vectors(rng, 300)
    corpus[150:160] = corpus[10]                                   # exact copies, in several blocks
    want_index, want_score = full_matrix_search(queries, corpus, top_k)
    index, score = search(queries, corpus, top_k, block=block)
    np.testing.assert_array_equal(index, want_index)
    np.testing.assert_array_equal(score, want_score)


def test_search_in_blocks_on_real_valued_vectors():
    rng = np.random.default_rng(1)
    queries, corpus = (rng.standard_normal(shape).astype(np.float32) for shape in ((50, 24), (700, 24)))
    want_index, want_score = full_matrix_search(queries, corpus, 10)
    index, score = search(queries, corpus, 10, block=64)
    np.testing.assert_allclose(score, want_score, atol=1e-6)
    np.testing.assert_array_equal(index, want_index)
    assert search(queries[:0], corpus, 3)[0].shape == (0, 3) and search(queries, corpus[:0], 3)[0].shape == (50, 0)


def test_search_memory_is_bounded_by_the_block_not_by_queries_times_corpus():
    rng = np.random.default_rng(2)
    queries, corpus = (rng.standard_normal((3000, 8)).astype(np.float32) for _ in range(2))
    full_matrix = 3000 * 3000 * 4                                  # bytes of the float32 cosines alone
    tracemalloc.start()
    try:
        search(queries, corpus, 5, block=256)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < full_matrix / 8, f"peak {peak / 1e6:.1f} MB"


# --- 5. settings checked before anything starts --------------------------------------------------

@pytest.mark.parametrize("argv, named", [
    (["--lr", "0"], "--lr must be positive"),
    (["--lr", "-1e-3"], "--lr must be positive"),
    (["--lr", "nan"], "--lr must be positive"),
    (["--checkpoint_every", "0"], "--checkpoint_every must be at least 1"),
    (["--eval_every", "-1"], "--eval_every must be at least 0"),
    (["--max_length", "300"], "--max_length must be 3..256"),
    (["--translation_weight", "nan"], "--translation_weight must be positive"),
    (["--retrieval_weight", "nan"], "--retrieval_weight must be a finite number >= 0"),
    (["--retrieval_scale", "inf"], "--retrieval_scale must be positive"),
    (["--weight_decay", "-0.1"], "--weight_decay must be a finite number >= 0"),
    (["--clip", "nan"], "--clip must be a finite number >= 0"),
    (["--adam_beta2", "1"], r"--adam_beta2 must be in \(0, 1\)"),
    (["--adam_beta2", "nan"], r"--adam_beta2 must be in \(0, 1\)"),
    (["--dropout", "nan"], r"--dropout must be in \[0, 1\)"),
    (["--teacher_layers", "a,b"], "--teacher_layers must be a comma list of distinct integers 0..5"),
    (["--teacher_layers", "0,0"], "--teacher_layers must be a comma list"),
    (["--seed", "-1"], "--seed must be at least 0"),
    (["--init", "random", "--num_heads", "7"], "--hidden_size .384. must be divisible by --num_heads .7."),
    (["--eval_pairs", "0"], "--eval_pairs must be at least 1"),
    (["--retrieval_negatives", "-5"], "--retrieval_negatives must be at least 0"),
])
def test_bad_settings_are_refused_naming_the_setting_and_range(argv, named, tmp_path, capsys, no_start_up):
    from tinykd.train import main
    with pytest.raises(ConfigError, match=named):
        make_config(argv)
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_resume_refuses_out_and_a_config_json_out_of_range(tiny_data, tmp_path, capsys, no_start_up):
    from tinykd.train import main
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(tiny_config(tiny_data).to_dict()), encoding="utf-8")
    (run / "checkpoint.safetensors").write_bytes(b"")
    assert main(["--resume", str(run), "--out", str(tmp_path / "elsewhere")]) == 2
    assert "--out" in capsys.readouterr().err
    for change, named in (({"max_length": 300}, "--max_length"), ({"colour": "red"}, "colour"),
                          ({"lr": "fast"}, "--lr expects float")):
        (run / "config.json").write_text(json.dumps({**tiny_config(tiny_data).to_dict(), **change}), encoding="utf-8")
        assert main(["--resume", str(run)]) == 2
        err = capsys.readouterr().err
        assert str(run / "config.json") in err and named in err
    (run / "config.json").write_text("{not json", encoding="utf-8")
    assert main(["--resume", str(run)]) == 2
    assert str(run / "config.json") in capsys.readouterr().err


def test_a_config_json_from_before_a_setting_existed_resumes_without_it(tmp_path):
    """A run saved before --retrieval_in_domain or lazy Adam existed trained without them: resumed, it
    goes on as it was trained, not with today's defaults; a setting it has is kept as written."""
    from tinykd.config import BEFORE_IT_EXISTED, TrainConfig
    from tinykd.runs import load_config
    saved = TrainConfig().to_dict()
    for name in ("retrieval_in_domain", "lazy_embeddings", "separate_length"):
        del saved[name]
    (tmp_path / "config.json").write_text(json.dumps(saved), encoding="utf-8")
    config = load_config(tmp_path)
    assert not config.retrieval_in_domain and not config.lazy_embeddings and not config.separate_length
    assert config.retrieval_weight == TrainConfig().retrieval_weight        # present in the file: as written
    assert set(BEFORE_IT_EXISTED) <= set(saved) | {"retrieval_in_domain", "lazy_embeddings", "separate_length"}


@pytest.mark.parametrize("option", ["--chunk", "--batch-size"])
def test_teacher_chunk_and_batch_size_must_be_at_least_one(option, tmp_path, monkeypatch, capsys):
    import tinykd.teacher
    monkeypatch.setattr(tinykd.teacher, "build_store", lambda *a, **k: pytest.fail("it started (and would hang)"))
    sentences = tmp_path / "s.txt"
    sentences.write_text("a\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        tinykd.teacher.main([option, "0", "--sentences", str(sentences), "--out", str(tmp_path / "store")])
    assert exit_info.value.code == 2 and f"{option} must be at least 1" in capsys.readouterr().err


# --- 6. checks before the slow start-up ------------------------------------------------------------

def test_an_out_that_is_a_file_is_refused_before_start_up(tmp_path, capsys, no_start_up):
    from tinykd.train import main
    (tmp_path / "file").write_text("x")
    assert main(["--preset", "tiny", "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["--preset", "tiny", "--out", str(tmp_path / "file" / "run")]) == 2      # nowhere to write
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_run_folder_is_refused_before_start_up(tiny_data, tmp_path, capsys, no_start_up):
    from tinykd.train import main
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(tiny_config(tiny_data).to_dict()), encoding="utf-8")
    (run / "checkpoint.safetensors").write_bytes(b"")
    run.chmod(0o555)
    try:
        assert main(["--resume", str(run)]) == 2
    finally:
        run.chmod(0o755)
    assert "cannot write" in capsys.readouterr().err


def test_a_batch_larger_than_the_training_pairs_is_refused_before_tokenising(tiny_data, tmp_path, monkeypatch):
    import tinykd.train
    import tinykd.trainingset
    monkeypatch.setattr(tinykd.trainingset, "tokenize_pairs", lambda *a, **k: pytest.fail("it began tokenising"))
    with pytest.raises(ValueError, match="--batch_size 500 is more than the 120 training pairs"):
        tinykd.train.Trainer(tiny_config(tiny_data, batch_size=500), tmp_path / "run", progress=False)
    with pytest.raises(ValueError, match="--batch_size 100 is more than the 60 training pairs of --langs de"):
        tinykd.train.Trainer(tiny_config(tiny_data, batch_size=100, langs="de"), tmp_path / "run", progress=False)


def test_encode_refuses_an_out_that_is_a_folder_before_loading_the_model(tmp_path, monkeypatch, capsys):
    import tinykd.encode
    monkeypatch.setattr(tinykd.encode, "load", lambda *a: pytest.fail("the model was loaded"))
    (tmp_path / "in.txt").write_text("a\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        encode_main([str(tmp_path / "in.txt"), "--out", str(tmp_path)])
    assert exit_info.value.code == 2 and "is a folder" in capsys.readouterr().err


# --- 7. damaged files are named -----------------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_safetensors_file_is_named(damage, tmp_path, capsys):
    run = make_model_run(tmp_path / "run")
    path = run / "model.safetensors"
    data = path.read_bytes()
    path.write_bytes({"truncated": data[:len(data) // 2], "garbage": os.urandom(4096), "empty": b""}[damage])
    with pytest.raises(ValueError, match="model.safetensors is not a readable safetensors file"):
        load(run)
    (tmp_path / "in.txt").write_text("a\n", encoding="utf-8")
    assert encode_main([str(tmp_path / "in.txt"), "--model", str(run), "--out", str(tmp_path / "v.npy")]) == 1
    assert str(path) in capsys.readouterr().err


def test_a_damaged_tokenizer_json_is_named(tmp_path, capsys):
    run = make_model_run(tmp_path / "run")
    exported = export(run, tmp_path / "st")
    for folder in (run, exported):
        (folder / "tokenizer.json").write_text('{"version": "1.0", "trunc', encoding="utf-8")
        with pytest.raises(ValueError, match=f"{folder / 'tokenizer.json'} is not a readable tokenizer file"):
            load(folder)


def test_a_model_with_nan_weights_is_refused_at_load(tmp_path, capsys):
    run = make_model_run(tmp_path / "run", nan=True)
    with pytest.raises(ValueError, match=r"model.safetensors: the weights \['encoder.layer.0.output.dense.weight'\] "
                                         "hold NaN"):
        load(run)
    (tmp_path / "in.txt").write_text("a\n", encoding="utf-8")
    assert encode_main([str(tmp_path / "in.txt"), "--model", str(run), "--out", str(tmp_path / "v.npy")]) == 1
    assert "NaN" in capsys.readouterr().err and not (tmp_path / "v.npy").exists()
    exported = export(make_model_run(tmp_path / "good"), tmp_path / "st")          # the same in an exported folder
    weights_file = exported / "model.safetensors"
    from safetensors.numpy import load_file, save_file
    state = load_file(str(weights_file))
    state["embeddings.word_embeddings.weight"][3, 1] = np.inf
    save_file(state, str(weights_file), metadata={"format": "pt"})
    with pytest.raises(ModelFolderError, match="hold NaN or infinite values"):
        load_folder(exported)


def _damage_gzip(path: Path, how: str) -> None:
    data = path.read_bytes()
    path.write_bytes({"truncated": data[:len(data) // 2], "garbage": b"\x1f\x8b" + os.urandom(200),
                      "not gzip": b"plain text\n"}[how])


@pytest.mark.parametrize("name", ["english.txt.gz", "train.tsv.gz", "dev.tsv.gz"])
@pytest.mark.parametrize("how", ["truncated", "garbage", "not gzip"])
def test_a_damaged_corpus_file_is_named(name, how, tmp_path, capsys):
    from tinykd.train import main
    data = make_tiny_data(tmp_path / "data")
    _damage_gzip(data / "corpus" / name, how)
    load_english.cache_clear()                    # this process read the file whole while building the store
    assert main(["--out", str(tmp_path / "run"), *tiny_args(data)]) == 2
    assert f"{data / 'corpus' / name} cannot be read" in capsys.readouterr().err


def test_a_bad_line_in_a_corpus_file_is_named(tmp_path, capsys):
    from tinykd.train import main
    data = make_tiny_data(tmp_path / "data")
    with gzip.open(data / "corpus" / "train.tsv.gz", "wt", encoding="utf-8") as f:
        f.write("de\t0\tDatei\nde\t99999\tzu weit\n")                      # an index past the English sentences
    assert main(["--out", str(tmp_path / "run"), *tiny_args(data)]) == 2
    assert f"{data / 'corpus' / 'train.tsv.gz'}:2: not lang<TAB>english index" in capsys.readouterr().err


def test_a_damaged_checkpoint_is_named_on_resume(tiny_data, tmp_path, capsys):
    from tinykd.train import main
    run = tmp_path / "run"
    assert main(["--out", str(run), *tiny_args(tiny_data, steps=4)]) == 0
    checkpoint = run / "checkpoint.safetensors"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    assert main(["--resume", str(run)]) == 2
    assert f"{checkpoint} is not a readable checkpoint" in capsys.readouterr().err


# --- 8. TSV input ------------------------------------------------------------------------------

def test_a_lone_carriage_return_is_refused_with_file_and_line_before_anything_is_written(tmp_path):
    bad = tmp_path / "en-de.tsv"
    bad.write_bytes(b"One.\tEins.\r\nTwo.\tZw\rei.\r\nThree.\tDrei.\n")
    out = tmp_path / "mine"
    with pytest.raises(CorpusFormatError, match=rf"{bad}:2: a carriage return"):
        build_tsv_corpus([("de", str(bad))], str(out), shipped_dir=str(tmp_path / "none"))
    assert not (out / "corpus").exists()
    bad.write_bytes(b"One.\tEins.\r\nTwo.\tZwei.\r\nThree.\tDrei.\n")              # fixed: the same folder builds
    report = build_tsv_corpus([("de", str(bad))], str(out), dev_fraction=0.0, shipped_dir=str(tmp_path / "none"))
    assert report["pairs"]["de"]["train"] == 3
    assert [p.name for p in out.iterdir()] == ["corpus"]                            # no temporary left


def test_a_byte_order_mark_is_not_part_of_the_first_sentence(tmp_path):
    from tinykd.data.corpus import english_sentences
    path = tmp_path / "en-de.tsv"
    path.write_bytes("\ufeffFirst.\tErste.\nSecond.\tZweite.\n".encode())
    build_tsv_corpus([("de", str(path))], str(tmp_path / "mine"), dev_fraction=0.0, shipped_dir=str(tmp_path))
    assert english_sentences(str(tmp_path / "mine")) == ["First.", "Second."]


@pytest.mark.parametrize("lang", ["EN", "en-US", "en_GB", "En"])
def test_english_in_any_spelling_is_refused_as_a_translated_language(lang, tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"'{lang}' .for .*x.tsv. is English"):
        build_tsv_corpus([(lang, str(path))], str(tmp_path / "mine"))


@pytest.mark.parametrize("lang", ["d", "de-", "12", "de DE", "zh-Hant-TW-x"])
def test_a_malformed_language_code_is_refused(lang, tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a language code"):
        build_tsv_corpus([(lang, str(path))], str(tmp_path / "mine"))


def test_language_codes_get_their_one_spelling(tmp_path):
    from tinykd.data.corpus import load_corpus
    path = tmp_path / "x.tsv"
    path.write_text("A sentence.\tUma frase.\n", encoding="utf-8")
    report = build_tsv_corpus([("pt_BR", str(path)), ("DE", str(path))], str(tmp_path / "mine"), dev_fraction=0.0,
                              shipped_dir=str(tmp_path))
    assert list(report["pairs"]) == ["pt-BR", "de"]
    assert {p.lang for p in load_corpus("train", str(tmp_path / "mine"))} == {"pt-BR", "de"}


# --- 9. ship -----------------------------------------------------------------------------------

def test_ship_leaves_nothing_of_the_previous_student(tmp_path):
    first, second, out = make_model_run(tmp_path / "first"), make_model_run(tmp_path / "second"), tmp_path / "out"
    (first / "eval_test.md").write_text("| the first student's table |\n", encoding="utf-8")
    (first / "config.json").write_text("{}\n", encoding="utf-8")
    runs.ship(first, out, log=lambda *a: None)
    assert (out / "eval_test.md").exists() and (out / "config.json").exists()
    said = []
    runs.ship(second, out, log=said.append)
    assert sorted(p.name for p in out.iterdir()) == ["model.safetensors", "tokenizer.json"]
    assert any("eval_test.md" in s for s in said)
    np.testing.assert_allclose(load(out).encode(["a test"]), load(second).encode(["a test"]), atol=2e-3)


def test_the_ship_command_runs_without_runpy_s_warning(tmp_path):
    """python -m tinykd.ship: a module the package does not import, so Python does not warn that it runs
    twice (python -m tinykd.runs did: 'found in sys.modules after import of package'); a run folder that
    is not there is an error with a message, a wrong call a usage line."""
    import subprocess
    import sys

    from tinykd.ship import main
    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "tinykd.ship", str(tmp_path / "none")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "error:" in done.stderr and "RuntimeWarning" not in done.stderr
    for wrong in ([], ["a", "b"], ["--help"]):
        with pytest.raises(SystemExit, match="usage: python -m tinykd.ship RUN_DIR"):
            main(wrong)


# --- 10. leftovers of killed processes, file modes ---------------------------------------------

def test_temporary_files_of_dead_processes_are_removed_at_the_next_start(tiny_data, tmp_path, capsys):
    from tinykd.train import main
    run = tmp_path / "run"
    assert main(["--out", str(run), *tiny_args(tiny_data, steps=4)]) == 0
    dead, alive = dead_pid(), os.getppid()
    orphans = [run / f".checkpoint.safetensors.tmp{dead}", run / f".log.jsonl.tmp{dead}"]
    for orphan in orphans:
        orphan.write_bytes(b"x" * 1000)
    kept = run / f".checkpoint.safetensors.tmp{alive}"                      # a process that still runs
    kept.write_bytes(b"x")
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "steps": 6}), encoding="utf-8")
    assert main(["--resume", str(run)]) == 0
    assert not any(p.exists() for p in orphans) and kept.exists()
    assert f"left by process {dead}" in capsys.readouterr().err


def test_export_folders_of_a_killed_export_are_removed_at_the_next_export(tmp_path):
    run = make_model_run(tmp_path / "run")
    dead = dead_pid()
    leftovers = [tmp_path / f".st.tmp{dead}", tmp_path / f".st.old{dead}"]
    for folder in leftovers:
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"x" * 1000)
    other = tmp_path / f".other.tmp{dead}"                                     # not this export's: kept
    other.mkdir()
    export(run, tmp_path / "st", log=lambda *a: None)
    assert not any(p.exists() for p in leftovers) and other.exists()
    assert remove_stale_temporaries(tmp_path, log=lambda *a: None) == [other]


def test_safetensors_files_get_the_mode_of_any_new_file(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_save_safetensors({"a": np.zeros(3, np.float32)}, tmp_path / "a.safetensors")
        run = make_model_run(tmp_path / "run")
        export(run, tmp_path / "st", log=lambda *a: None)
        os.umask(0o077)
        atomic_save_safetensors({"a": np.zeros(3, np.float32)}, tmp_path / "private.safetensors")
    finally:
        os.umask(old)
    for path in (tmp_path / "a.safetensors", run / "model.safetensors", tmp_path / "st" / "model.safetensors",
                 tmp_path / "st" / "2_Dense" / "model.safetensors", tmp_path / "st" / "config.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert stat.S_IMODE((tmp_path / "private.safetensors").stat().st_mode) == 0o600


# --- 11. modules.json stays inside the model folder -------------------------------------------------

@pytest.mark.parametrize("escape", ["../outside/1_Pooling", "/ABSOLUTE/1_Pooling", "1_Pooling/../../outside/1_Pooling"])
def test_module_paths_that_leave_the_model_folder_are_refused(escape, tmp_path):
    exported = export(make_model_run(tmp_path / "run"), tmp_path / "st", log=lambda *a: None)
    shutil.copytree(exported / "1_Pooling", tmp_path / "outside" / "1_Pooling")   # what the path would reach
    escape = escape.replace("/ABSOLUTE", str(tmp_path / "outside"))
    modules = json.loads((exported / "modules.json").read_text())
    modules[1]["path"] = escape
    (exported / "modules.json").write_text(json.dumps(modules), encoding="utf-8")
    with pytest.raises(ModelFolderError, match="leads outside the model folder"):
        load_folder(exported)
