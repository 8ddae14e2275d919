"""``python -m tinykd.encode``: vectors, similarities and search, from files or stdin."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinykd import Encoder, EncoderConfig, paths, runs
from tinykd.encode import cosine_matrix, main, paired_cosine, read_lines, search, split_lines
from tinykd.export import export
from tinykd.loading import ModelNotFound, load

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "data" / "tokenizer.json"

LINES = ["Save the document.", "", "Speichern Sie das Dokument.", "Сохраните документ.", "文書を保存します。"]
CORPUS = ["Insert a table.", "Enregistrer le document.", "Save the document.", "Drucken Sie die Seite.",
          "Выберите ячейку."]


def make_run(folder: Path) -> Path:
    """A fake run directory: a tiny random Encoder (projection to 12) and the student tokenizer."""
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(TOKENIZER))
    model = Encoder(EncoderConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=16, num_layers=2, num_heads=2,
                                  intermediate_size=32, max_position=64, output_size=12, init_std=0.5))
    folder.mkdir(parents=True)
    model.save(folder / "model.safetensors")
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "config.json").write_text(json.dumps({"seed": 0}), encoding="utf-8")
    return folder


@pytest.fixture
def run_dir(tmp_path):
    return make_run(tmp_path / "run")


@pytest.fixture
def model(run_dir):
    return load(run_dir)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def with_stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


# --- reading lines ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, lines", [
    ("", []),
    ("\n", [""]),
    ("a\n\nb\n", ["a", "", "b"]),
    ("a\n\nb", ["a", "", "b"]),
    ("a\r\nb\r\n", ["a", "b"]),
    ("\ufeffa\n", ["a"]),                          # a byte-order mark is not part of the first sentence
    ("a\u2028b\n\n", ["a\u2028b", ""]),            # only \n separates lines
])
def test_split_lines_keeps_empty_lines(text, lines):
    assert split_lines(text) == lines


def test_read_lines_from_a_file_and_stdin(tmp_path, monkeypatch):
    assert read_lines(write(tmp_path / "a.txt", LINES)) == LINES
    with_stdin(monkeypatch, "x\n\ny\n")
    assert read_lines("-") == ["x", "", "y"]


# --- choosing the model -------------------------------------------------------------------------

def test_load_tells_a_run_from_a_sentence_transformers_folder(run_dir, tmp_path):
    exported = export(run_dir, tmp_path / "st")
    from_run, from_st = load(run_dir), load(exported)
    # the exported model.safetensors has no tinykd metadata: only tinykd.modelfolder can load it
    with pytest.raises(ValueError, match="no tinykd config"):
        runs.load_run(exported)
    np.testing.assert_allclose(from_st.encode(LINES), from_run.encode(LINES), rtol=0, atol=2e-3)   # float16 weights


def test_load_errors_are_clear(tmp_path, run_dir, monkeypatch):
    with pytest.raises(ModelNotFound, match="no such folder"):
        load(tmp_path / "nowhere")
    with pytest.raises(ModelNotFound, match="not a folder"):
        load(run_dir / "model.safetensors")
    with pytest.raises(ModelNotFound, match="no modules.json"):
        load(tmp_path)                                   # neither a run nor a sentence-transformers folder
    monkeypatch.setattr(paths, "PRETRAINED", tmp_path / "pretrained")
    with pytest.raises(ModelNotFound, match=r"python -m tinykd.train.*--model"):
        load(None)
    monkeypatch.setattr(paths, "PRETRAINED", run_dir)          # once a student is shipped, it is the default
    assert load(None).embedding_size == 12


def test_main_reports_a_missing_default_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "PRETRAINED", tmp_path / "pretrained")
    with_stdin(monkeypatch, "hello\n")
    assert main(["--out", str(tmp_path / "v.npy")]) == 1
    assert "no shipped student" in capsys.readouterr().err


# --- encoding -----------------------------------------------------------------------------------

def test_an_empty_list_gives_an_empty_array_of_the_right_width(model):
    vectors = model.encode([])
    assert vectors.shape == (0, 12) and vectors.dtype == np.float32


def test_out_from_a_file_keeps_line_alignment(run_dir, model, tmp_path):
    out = tmp_path / "vectors.npy"
    assert main([str(write(tmp_path / "in.txt", LINES)), "--model", str(run_dir), "--out", str(out)]) == 0
    vectors = np.load(out)
    assert vectors.shape == (len(LINES), 12)
    np.testing.assert_allclose(vectors, model.encode(LINES), rtol=0, atol=1e-6)
    np.testing.assert_allclose(vectors[1], model.encode([""])[0], rtol=0, atol=1e-6)   # the empty line


def test_out_from_stdin_and_batch_size(run_dir, model, tmp_path, monkeypatch):
    with_stdin(monkeypatch, "\n".join(LINES) + "\n")
    assert main(["--model", str(run_dir), "--batch-size", "2", "--out", str(tmp_path / "v.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "v.npy"), model.encode(LINES), rtol=0, atol=1e-5)


def test_empty_input_gives_a_0_by_d_array(run_dir, tmp_path, monkeypatch):
    with_stdin(monkeypatch, "")
    assert main(["--model", str(run_dir), "--out", str(tmp_path / "v.npy")]) == 0
    assert np.load(tmp_path / "v.npy").shape == (0, 12)


def test_out_to_stdout(run_dir, model, monkeypatch):
    with_stdin(monkeypatch, "a\nb\n")
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert main(["--model", str(run_dir), "--out", "-"], stdout=stdout) == 0
    np.testing.assert_allclose(np.load(io.BytesIO(stdout.buffer.getvalue())), model.encode(["a", "b"]),
                               rtol=0, atol=1e-6)


# --- similarity ---------------------------------------------------------------------------------

def test_paired_similarity(run_dir, model, tmp_path, capsys):
    a = write(tmp_path / "a.txt", LINES)
    b = write(tmp_path / "b.txt", CORPUS)
    assert main(["--model", str(run_dir), "--similarity", str(a), str(b), "--out", str(tmp_path / "s.npy")]) == 0
    printed = np.array([float(x) for x in capsys.readouterr().out.split()])
    want = paired_cosine(model.encode(LINES), model.encode(CORPUS))
    assert printed.shape == (len(LINES),)
    np.testing.assert_allclose(printed, want, atol=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "s.npy"), want, atol=1e-6)


def test_similarity_matrix(run_dir, model, tmp_path, capsys):
    a = write(tmp_path / "a.txt", LINES)
    b = write(tmp_path / "b.txt", CORPUS[:3])
    assert main(["--model", str(run_dir), "--similarity", str(a), str(b), "--matrix"]) == 0
    rows = [[float(x) for x in line.split("\t")] for line in capsys.readouterr().out.splitlines()]
    np.testing.assert_allclose(np.array(rows), cosine_matrix(model.encode(LINES), model.encode(CORPUS[:3])),
                               atol=1e-6)


def test_paired_similarity_refuses_files_of_different_lengths(run_dir, tmp_path, capsys):
    a = write(tmp_path / "a.txt", LINES)
    b = write(tmp_path / "b.txt", CORPUS[:2])
    assert main(["--model", str(run_dir), "--similarity", str(a), str(b)]) == 1
    assert "--matrix" in capsys.readouterr().err


# --- search -------------------------------------------------------------------------------------

def test_search_function_on_known_vectors():
    corpus = np.array([[1, 0], [0, 1], [1, 1], [-1, 0]], dtype=np.float32)
    queries = np.array([[0, 2], [3, 0.1]], dtype=np.float32)
    idx, scores = search(queries, corpus, top_k=2)
    assert idx.tolist() == [[1, 2], [0, 2]]
    np.testing.assert_allclose(scores[0], [1.0, np.sqrt(0.5)], atol=1e-6)
    assert search(queries, corpus, top_k=10)[0].shape == (2, 4)            # top_k above the corpus size


def test_search_finds_the_identical_line(run_dir, tmp_path, capsys, monkeypatch):
    corpus = write(tmp_path / "corpus.txt", CORPUS)
    with_stdin(monkeypatch, "Save the document.\nВыберите ячейку.\n")
    assert main(["--model", str(run_dir), "--search", str(corpus), "--top-k", "3"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 6 and all(len(r) == 4 for r in rows)
    assert [(r[0], r[1]) for r in rows] == [(q, k) for q in "01" for k in "123"]
    assert rows[0][3] == "Save the document." and abs(float(rows[0][2]) - 1) < 1e-5
    assert rows[3][3] == "Выберите ячейку." and abs(float(rows[3][2]) - 1) < 1e-5
    assert [float(r[2]) for r in rows[:3]] == sorted((float(r[2]) for r in rows[:3]), reverse=True)


def test_search_refuses_an_empty_corpus(run_dir, tmp_path, monkeypatch, capsys):
    with_stdin(monkeypatch, "x\n")
    assert main(["--model", str(run_dir), "--search", str(write(tmp_path / "c.txt", []))]) == 1
    assert "empty" in capsys.readouterr().err


def test_search_in_a_subprocess_with_an_exported_model(run_dir, tmp_path):
    """The real command line: stdin in, TSV out, with a sentence-transformers folder as the model."""
    exported = export(run_dir, tmp_path / "st")
    corpus = write(tmp_path / "corpus.txt", CORPUS)
    result = subprocess.run(
        [sys.executable, "-m", "tinykd.encode", "--model", str(exported), "--search", str(corpus), "--top-k", "1"],
        input=b"Enregistrer le document.\n\nInsert a table.\n", capture_output=True, cwd=ROOT,
        timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    rows = [line.split("\t") for line in result.stdout.decode("utf-8").splitlines()]
    assert [r[0] for r in rows] == ["0", "1", "2"]            # the empty query keeps its place
    assert rows[0][3] == "Enregistrer le document." and rows[2][3] == "Insert a table."


# --- usage errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    [],                                                      # nothing to produce
    ["--matrix", "--out", "x.npy"],                          # --matrix without --similarity
    ["--similarity", "a", "b", "--search", "c"],
    ["in.txt", "--similarity", "a", "b"],
    ["--search", "c", "--top-k", "0"],
    ["--out", "x.npy", "--batch-size", "0"],
])
def test_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_a_missing_input_file_is_a_clear_error(run_dir, tmp_path, capsys):
    assert main([str(tmp_path / "missing.txt"), "--model", str(run_dir), "--out", str(tmp_path / "v.npy")]) == 1
    assert "missing.txt" in capsys.readouterr().err


def test_inference_batches_stay_within_rows_and_tokens_and_cover_every_sentence_once():
    from tinykd.data.batching import inference_batches
    lengths = np.random.default_rng(0).integers(1, 300, 500)
    batches = inference_batches(lengths, batch_size=64, max_tokens=4096)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(500))
    assert (np.diff(lengths[flat]) <= 0).all()                          # longest first
    for rows in batches:
        assert len(rows) <= 64 and len(rows) * lengths[rows].max() <= 4096
    assert [len(b) for b in inference_batches([9000, 5, 5], batch_size=64, max_tokens=4096)] == [1, 2]


def test_the_token_budget_changes_the_batches_not_the_vectors(model):
    sentences = ["word " * n for n in (1, 40, 3, 25, 7, 60, 2)] + ["", "one more sentence"]
    many = model.encode(sentences, batch_size=64, max_tokens=10_000)     # one batch
    few = model.encode(sentences, batch_size=64, max_tokens=64)          # up to 64 padded tokens a batch
    np.testing.assert_allclose(few, many, atol=2e-6)


def test_threads_change_the_speed_not_the_vectors(run_dir, tmp_path):
    from tinykd import parallel
    src = write(tmp_path / "s.txt", LINES * 30)
    try:
        for n in (1, 2):
            assert main([str(src), "--model", str(run_dir), "--out", str(tmp_path / f"{n}.npy"), "--threads", str(n),
                         "--batch-size", "4"]) == 0
            assert parallel.threads() == n
    finally:
        parallel.set_threads()                             # every core again, for the tests after this one
    np.testing.assert_allclose(np.load(tmp_path / "2.npy"), np.load(tmp_path / "1.npy"), rtol=1e-6, atol=1e-7)
