"""Use a trained model: sentences in, vectors, similarities or search results out.

    python -m tinykd.encode [INPUT] --out vectors.npy          # one vector a line of INPUT (default: stdin)
    python -m tinykd.encode [INPUT] --out vectors.npy --normalize   # the same, scaled to unit length
    python -m tinykd.encode --similarity A.txt B.txt           # cosine of line i of A with line i of B
    python -m tinykd.encode --similarity A.txt B.txt --matrix  # every line of A with every line of B
    python -m tinykd.encode [QUERIES] --search CORPUS.txt --top-k 5   # nearest corpus lines, TSV

Input is UTF-8 text, one sentence a line; an empty line is a sentence too (its row
stays, so row i of the output is line i of the input); a final newline does not add one.
``--model`` takes what ``tinykd.load`` takes: a run directory, any sentence-transformers
BERT folder (one with modules.json, e.g. the output of ``python -m tinykd.export``), or a
name (``pretrained``, the default: the student shipped in the package; ``teacher``).

The same as functions: :func:`read_lines`, :func:`paired_cosine`, :func:`cosine_matrix`
and :func:`search`.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tinykd import cli, parallel
from tinykd.inference import cosine_matrix, paired_cosine, unit
from tinykd.loading import ModelNotFound, load
from tinykd.modelfolder import ModelFolderError
from tinykd.paths import TeacherNotInstalled


def split_lines(text: str) -> list[str]:
    """One sentence a line: empty lines kept, a final newline ignored, "\\r\\n" accepted.

    Only "\\n" separates lines (not the other separators ``str.splitlines`` knows, such as
    U+2028), so the rows match what ``wc -l`` and editors count.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if text == "":
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_lines(source) -> list[str]:
    """Sentences of a file (a path; "-" or None: stdin), UTF-8, see :func:`split_lines`."""
    if source is None or str(source) == "-":
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        name = "standard input"
    else:
        data = Path(source).read_bytes()
        name = str(source)
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise ValueError(f"{name}:{line}: not UTF-8 text ({err.reason} at byte {err.start} of the input)") from None
    return split_lines(text)


def search(queries: np.ndarray, corpus: np.ndarray, top_k: int = 5,
           block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """For each query vector the ``top_k`` most similar corpus rows (cosine), best first.

    Returns (indices, scores), both (Q, min(top_k, len(corpus))); ties keep the corpus order.
    The cosines are computed ``block`` queries by ``block`` corpus rows at a time, and each
    query keeps a running top k: the memory is that of one block, not of the whole
    queries x corpus matrix (100k x 100k would be 40 GB). The result is the full matrix's:
    the k best so far (ordered by score, then corpus row) are followed by the next block's
    rows (all later in the corpus), so a stable sort of the two puts ties in corpus order.
    """
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    if block < 1:
        raise ValueError(f"block must be at least 1, got {block}")
    k = min(top_k, len(corpus))
    queries, corpus = unit(queries), unit(corpus)
    dtype = np.result_type(queries, corpus)
    indices, scores = np.empty((len(queries), k), dtype=np.int64), np.empty((len(queries), k), dtype=dtype)
    for q in range(0, len(queries), block):
        rows = queries[q:q + block]                                              # (b, D)
        best_index = np.empty((len(rows), 0), dtype=np.int64)                    # (b, <= k)
        best_score = np.empty((len(rows), 0), dtype=dtype)
        for c in range(0, len(corpus), block):
            sim = rows @ corpus[c:c + block].T                                   # (b, b')
            index = np.broadcast_to(np.arange(c, c + sim.shape[1]), sim.shape)
            candidates = np.concatenate([best_score, sim], axis=1)               # (b, k + b')
            order = np.argsort(-candidates, axis=1, kind="stable")[:, :k]
            best_score = np.take_along_axis(candidates, order, axis=1)
            best_index = np.take_along_axis(np.concatenate([best_index, index], axis=1), order, axis=1)
        indices[q:q + block], scores[q:q + block] = best_index, best_score
    return indices, scores


def _fmt(x: float) -> str:
    return f"{x:.6f}"


def _save_npy(array: np.ndarray, out: str, stdout) -> None:
    if out == "-":
        buffer = io.BytesIO()
        np.save(buffer, array)
        target = getattr(stdout, "buffer", None)
        if target is None:
            raise ValueError("--out - needs a binary standard output")
        target.write(buffer.getvalue())
        target.flush()
    else:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as f:           # np.save(str) would append .npy to another suffix
            np.save(f, array)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tinykd.encode",
        description="Encode sentences (one a line) with a tinykd or sentence-transformers model: vectors "
                    "to .npy, cosine similarities, or nearest-neighbour search.",
        epilog="examples:\n"
               "  python -m tinykd.encode sentences.txt --out vectors.npy\n"
               "  python -m tinykd.encode --similarity en.txt de.txt [--matrix]\n"
               "  python -m tinykd.encode --search corpus_de.txt --top-k 3 < queries_en.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", nargs="?", default=None,
                   help="sentences, one a line (default or '-': stdin); the queries with --search")
    p.add_argument("--model", default=None,
                   help="a run directory, a sentence-transformers BERT folder, or 'teacher' (default: the shipped "
                        "student)")
    p.add_argument("--out", default=None,
                   help="write the vectors (with --similarity: the scores) as .npy; '-' for stdout")
    p.add_argument("--similarity", nargs=2, metavar=("FILE_A", "FILE_B"), default=None,
                   help="print the cosine of line i of FILE_A with line i of FILE_B, one a line")
    p.add_argument("--matrix", action="store_true",
                   help="with --similarity: every line of FILE_A with every line of FILE_B (TSV rows)")
    p.add_argument("--search", metavar="CORPUS_FILE", default=None,
                   help="for each input line, the --top-k most similar lines of CORPUS_FILE, as TSV: "
                        "query_index, rank, score, corpus line (indices from 0, ranks from 1)")
    p.add_argument("--top-k", type=int, default=5, help="results per query with --search (default 5)")
    p.add_argument("--batch-size", type=int, default=64, help="sentences per forward pass (default 64)")
    p.add_argument("--threads", type=int, default=0,
                   help="batches encoded at once and BLAS threads (default 0: every core this process may use)")
    p.add_argument("--normalize", action="store_true",
                   help="--out: scale every vector to unit length (default: the model's own vectors, as "
                        "SentenceEncoder.encode and sentence-transformers give them; the shipped student's are "
                        "of free length); similarities and search are cosines either way")
    return p


def main(argv: Sequence[str] | None = None, stdout=None) -> int:
    parser = build_parser()
    args = cli.parse(parser, argv)
    stdout = stdout if stdout is not None else sys.stdout
    if args.similarity and args.search:
        parser.error("choose one of --similarity and --search")
    if args.similarity and args.input is not None:
        parser.error("--similarity reads its two files; do not give an input as well")
    if args.matrix and not args.similarity:
        parser.error("--matrix goes with --similarity")
    if not (args.similarity or args.search or args.out):
        parser.error("say what to produce: --out FILE.npy, --similarity FILE_A FILE_B, or --search CORPUS_FILE")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    if args.top_k < 1:
        parser.error("--top-k must be at least 1")
    if args.threads < 0:
        parser.error("--threads must be at least 0 (0: every core)")
    if args.search and args.out == "-":
        parser.error("--search prints its results: --out - would mix them with binary output")
    if args.out and args.out != "-" and Path(args.out).is_dir():
        parser.error(f"--out {args.out} is a folder: give the file to write, such as {Path(args.out) / 'vectors.npy'}")
    if args.out and args.out != "-" and any(p.exists() and not p.is_dir() for p in Path(args.out).parents):
        parser.error(f"--out {args.out}: a part of that path is a file, not a folder")

    try:
        # read the input before loading the model: a missing file fails fast
        if args.similarity:
            lines_a, lines_b = read_lines(args.similarity[0]), read_lines(args.similarity[1])
            if not args.matrix and len(lines_a) != len(lines_b):
                raise ValueError(f"{args.similarity[0]} has {len(lines_a)} lines and {args.similarity[1]} "
                                 f"{len(lines_b)}: paired scores need as many (or use --matrix)")
        else:
            lines = read_lines(args.input)
            corpus = read_lines(args.search) if args.search else None
        model = load(args.model)
        parallel.set_threads(args.threads)
        encode = lambda s: model.encode(s, batch_size=args.batch_size,   # noqa: E731  (a bar past 5 batches)
                                        normalize=args.normalize)

        if args.similarity:
            a, b = encode(lines_a), encode(lines_b)
            if args.matrix:
                scores = cosine_matrix(a, b)
                for row in scores:
                    print("\t".join(_fmt(x) for x in row), file=stdout)
            else:
                scores = paired_cosine(a, b)
                for x in scores:
                    print(_fmt(x), file=stdout)
            if args.out:
                _save_npy(scores.astype(np.float32), args.out, stdout)
            return 0

        vectors = encode(lines)
        if args.search:
            if not corpus:
                raise ValueError(f"the search corpus {args.search} is empty")
            corpus_vectors = encode(corpus)
            indices, scores = search(vectors, corpus_vectors, args.top_k)
            for q in range(len(lines)):
                for rank, (i, score) in enumerate(zip(indices[q], scores[q]), start=1):
                    print(f"{q}\t{rank}\t{_fmt(score)}\t{corpus[i]}", file=stdout)
        if args.out:
            _save_npy(vectors, args.out, stdout)
            if args.out != "-":
                print(f"{vectors.shape[0]} x {vectors.shape[1]} vectors -> {args.out}", file=sys.stderr)
        return 0
    except (ModelNotFound, ModelFolderError, TeacherNotInstalled, OSError, UnicodeDecodeError, ValueError,
            KeyError) as err:
        print(f"tinykd.encode: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
