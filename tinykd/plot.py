"""Pictures of a run: its learning curves and its final table, from the files it wrote.

    python -m tinykd.plot RUN_DIR            # RUN_DIR/curves.png and RUN_DIR/test_by_language.png
    python -m tinykd.plot RUN_DIR --terminal # the same numbers as text, without matplotlib

``curves.png``: the training loss (log.jsonl's train records) and the dev accuracy of every domain
against the step. ``test_by_language.png``: the test accuracy per language of every domain, beside
the TF-IDF bag (eval_test.json). matplotlib is an optional extra (``pip install -e ".[plot]"``);
without it the command prints the curves as text and says how to get the pictures.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from tinykd import cli
from tinykd.files import read_json
from tinykd.runs import read_log

SPARKS = " ▁▂▃▄▅▆▇█"


def curves(records: list[dict]) -> tuple[list[tuple[int, float]], dict[str, list[tuple[int, float]]]]:
    """(loss by step, {domain: dev accuracy by step}) from a run's log records."""
    loss = [(r["step"], r["loss"]) for r in records if r.get("kind") == "train"]
    dev = defaultdict(list)
    for r in records:
        if r.get("kind") == "dev":
            dev[r.get("domain", "dev")].append((r["step"], r["mean_acc"]))
    return loss, dict(dev)


def spark(values: list[float]) -> str:
    """A row of block characters, one a value, scaled to the row's own range."""
    if not values:
        return ""
    low, high = min(values), max(values)
    return "".join(SPARKS[round((v - low) / (high - low) * (len(SPARKS) - 1)) if high > low else 4] for v in values)


def terminal(run_dir: Path) -> str:
    """The curves and the final table as text."""
    loss, dev = curves(read_log(run_dir, log=lambda *a: None))
    lines = [f"{run_dir}: training loss {loss[0][1]:.4f} -> {loss[-1][1]:.4f} over {loss[-1][0]} steps"
             if loss else f"{run_dir}: no training steps logged",
             f"  loss        {spark([v for _, v in loss][:: max(1, len(loss) // 60)])}"]
    for domain, points in dev.items():
        accs = [v for _, v in points]
        lines.append(f"  {domain:<11} {spark(accs)}  dev accuracy {accs[0]:.1f} -> {accs[-1]:.1f} "
                     f"(steps {points[0][0]}..{points[-1][0]})")
    table = run_dir / "eval_test.json"
    if table.is_file():
        for domain, results in _by_domain(read_json(table)).items():
            langs = results[0]["languages"]
            lines.append(f"  test {domain}: " + " ".join(f"{lang} {row['acc']:.0f}" for lang, row in langs.items()))
    return "\n".join(lines)


def _by_domain(results) -> dict[str, list[dict]]:
    return results if isinstance(results, dict) else {"test": results}     # runs before 2026-12-04: one list


def save_pictures(run_dir: Path) -> list[Path]:
    """curves.png and (if the run has its test table) test_by_language.png; raises ImportError without matplotlib."""
    import matplotlib  # optional: pip install -e ".[plot]"
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loss, dev = curves(read_log(run_dir, log=lambda *a: None))
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot([s for s, _ in loss], [v for _, v in loss], linewidth=0.8)
    left.set(xlabel="step", ylabel="training loss", yscale="log", title="loss")
    for domain, points in dev.items():
        right.plot([s for s, _ in points], [v for _, v in points], marker="o", label=domain)
    right.set(xlabel="step", ylabel="dev accuracy (%)", title="dev translation retrieval")
    if dev:
        right.legend(fontsize="small")
    figure.tight_layout()
    written = [run_dir / "curves.png"]
    figure.savefig(written[0], dpi=110)
    plt.close(figure)

    table = run_dir / "eval_test.json"
    if table.is_file():
        by_domain = _by_domain(read_json(table))
        figure, axes = plt.subplots(len(by_domain), 1, figsize=(11, 2.6 * len(by_domain)), squeeze=False)
        for ax, (domain, results) in zip(axes[:, 0], by_domain.items()):
            langs = list(results[0]["languages"])
            for k, result in enumerate(results):
                ax.bar([i + 0.4 * k for i in range(len(langs))], [result["languages"][lang]["acc"] for lang in langs],
                       width=0.4, label=result["name"])
            ax.set_xticks([i + 0.2 for i in range(len(langs))], langs, rotation=90, fontsize="x-small")
            ax.set(ylabel="test accuracy (%)", ylim=(0, 100), title=domain)
            ax.legend(fontsize="x-small")
        figure.tight_layout()
        written.append(run_dir / "test_by_language.png")
        figure.savefig(written[-1], dpi=110)
        plt.close(figure)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinykd.plot", description="Pictures of a run's learning curves "
                                     "and final table (PNG with matplotlib, else text).")
    parser.add_argument("run_dir", help="a run folder written by python -m tinykd.train")
    parser.add_argument("--terminal", action="store_true", help="print the curves as text, write no picture")
    args = cli.parse(parser, argv)
    run_dir = Path(args.run_dir)
    if not (run_dir / "log.jsonl").is_file():
        print(f"tinykd.plot: error: {run_dir} holds no log.jsonl: not a run folder", file=sys.stderr)
        return 2
    if not args.terminal:
        try:
            for path in save_pictures(run_dir):
                print(f"wrote {path}")
            return 0
        except ImportError:
            print("matplotlib is not installed (pip install -e \".[plot]\"): the curves as text instead",
                  file=sys.stderr)
    print(terminal(run_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
