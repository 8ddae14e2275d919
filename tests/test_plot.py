"""python -m tinykd.plot: a run's learning curves and final table, as PNG or as text."""

from __future__ import annotations

import json

import pytest

from tinykd.plot import curves, main, spark


def fake_run(folder):
    folder.mkdir()
    records = [{"kind": "train", "step": s, "loss": 0.03 / s} for s in range(1, 31)]
    records += [{"kind": "dev", "domain": d, "step": s, "mean_acc": a + s / 3} for s in (0, 10, 20, 30)
                for d, a in (("libreoffice", 80.0), ("firefox", 40.0))]
    (folder / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    row = {"acc": 90.0, "acc_en_xx": 89.0, "acc_xx_en": 91.0, "pairs": 10}
    table = {"libreoffice": [{"name": "student", "languages": {"de": row, "ja": {**row, "acc": 70.0}}},
                             {"name": "char-3gram TF-IDF", "languages": {"de": row, "ja": row}}]}
    (folder / "eval_test.json").write_text(json.dumps(table))
    return folder


def test_curves_read_the_log_by_domain(tmp_path):
    run = fake_run(tmp_path / "run")
    from tinykd.runs import read_log
    loss, dev = curves(read_log(run))
    assert len(loss) == 30 and list(dev) == ["libreoffice", "firefox"]
    assert dev["firefox"] == [(0, 40.0), (10, 40.0 + 10 / 3), (20, 40.0 + 20 / 3), (30, 50.0)]
    assert spark([1, 2, 3]) == " ▄█" and spark([5, 5]) == "▄▄" and spark([]) == ""


def test_the_terminal_chart_needs_nothing_more(tmp_path, capsys):
    run = fake_run(tmp_path / "run")
    assert main([str(run), "--terminal"]) == 0
    out = capsys.readouterr().out
    assert "training loss 0.0300 -> 0.0010 over 30 steps" in out
    assert "firefox" in out and "dev accuracy 40.0 -> 50.0" in out and "test libreoffice: de 90 ja 70" in out
    assert main([str(tmp_path)]) == 2                                    # not a run folder


def test_pictures_are_written_beside_the_run(tmp_path):
    pytest.importorskip("matplotlib")
    run = fake_run(tmp_path / "run")
    assert main([str(run)]) == 0
    for name in ("curves.png", "test_by_language.png"):
        assert (run / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
