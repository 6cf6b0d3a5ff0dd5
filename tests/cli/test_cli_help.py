"""Every registered command's --help (and every sub-action's) prints its usage; an unescaped
``%`` in a help string made ``python -m analysis review --help`` a TypeError traceback."""

import argparse
import subprocess
import sys

import pytest

from analysis.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix=()):
    """Every command path: ("info",), ("review",), ("review", "estimate"), ..."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _commands(sub, (*prefix, name))


COMMANDS = list(_commands(build_parser()))


def test_the_commands_are_found():
    names = {c[0] for c in COMMANDS}
    assert {"info", "stats", "pool", "review", "compare", "report"} <= names
    assert ("review", "estimate") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_of_every_command_prints_its_usage(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: python -m analysis {' '.join(command)}")


def test_review_help_in_a_fresh_interpreter_prints_no_traceback():
    run = subprocess.run([sys.executable, "-m", "analysis", "review", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "usage: python -m analysis review" in run.stdout
