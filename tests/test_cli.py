"""Every command's --help tells the real defaults: the training options are TrainConfig's, and every
other command's option with a default says it (tinykd.cli.show_defaults writes it from the default itself)."""

from __future__ import annotations

import json
import re

import pytest

from tinykd import cli


class _Stop(Exception):
    pass


def _parser_of(monkeypatch, main, argv):
    """The parser ``main(argv)`` builds, with the defaults added as ``cli.parse`` adds them."""
    seen = []

    def capture(parser, argv=None):
        seen.append(cli.show_defaults(parser))
        raise _Stop

    monkeypatch.setattr(cli, "parse", capture)
    with pytest.raises(_Stop):
        main(argv)
    return seen[0]


def _commands():
    from tinykd import encode, evaluate, export, plot, teacher
    from tinykd.data import __main__ as data
    return {"evaluate": evaluate.main, "encode": encode.main, "export": export.main, "plot": plot.main,
            "data": data.main, "teacher": teacher.main}


@pytest.mark.parametrize("command", ["evaluate", "encode", "export", "plot", "data", "teacher"])
def test_every_option_with_a_default_shows_it_in_the_help(command, monkeypatch):
    parser = _parser_of(monkeypatch, _commands()[command], ["--help"])
    checked = 0
    for p in cli.parsers(parser):
        text = p.format_help()                          # renders (argparse %-formats every help text)
        for action in p._actions:
            if cli.has_default(action):
                shown = cli.shown_default(action.default)
                assert shown in action.help and "default" in action.help, (p.prog, action.option_strings)
                assert shown in " ".join(text.split()), (p.prog, action.option_strings)
                checked += 1
    assert checked or command == "plot"


def test_help_output_names_the_defaults(capsys):
    from tinykd.evaluate import main
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "which split of each domain (default: test)" in out


def test_the_training_help_shows_trainconfig_s_defaults(capsys):
    from tinykd.config import TrainConfig
    from tinykd.train import main
    assert main(["--help"]) == 0
    shown = dict(re.findall(r"^  --(\w+) +(\S.*)$", capsys.readouterr().out, re.M))
    defaults = TrainConfig().to_dict()
    assert set(defaults) <= set(shown)
    for name, value in defaults.items():
        assert json.loads(shown[name]) == value, name
