"""The ``modelindex`` command: a thin layer over the Python API, one module per command, each
with its parser next to its handler.

Exit codes: 0 success; 1 the asked-for model does not exist, or validate found errors;
2 bad usage or unreadable input (for validate, unreadable input is a finding instead);
3 an internal error: a bug in modelindex, never to be read as the zoo's errors; 130 Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from modelindex._version import __version__
from modelindex.bundled import bundled_docs_path
from modelindex.cli.common import (
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Failure,
)
from modelindex.cli.convert import add_convert
from modelindex.cli.lookup import add_list, add_show
from modelindex.cli.rules import add_rules
from modelindex.cli.site import add_build
from modelindex.cli.validate import add_check_urls, add_validate
from modelindex.cli.verify import add_verify
from modelindex.printable import printable

COMMANDS = (
    add_show,
    add_list,
    add_validate,
    add_check_urls,
    add_verify,
    add_build,
    add_rules,
    add_convert,
)


def build_parser() -> argparse.ArgumentParser:
    return _build()[0]


def _build() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser, and each command's own parser by name."""
    parser = argparse.ArgumentParser(
        prog="modelindex",
        description="Read, check and look up model-zoo metadata in the model-index format.",
        epilog="Run 'modelindex COMMAND --help' for a command's options. "
        f"The bundled zoo is read from {bundled_docs_path()}.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in COMMANDS:
        add_command(commands)
    return parser, dict(commands.choices)


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = _build()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and not arguments[0].startswith("-") and arguments[0] not in commands:
        parser.error(f"no command {arguments[0]!r}{_did_you_mean(arguments[0], commands)}")
    _refuse_options_before_their_command(arguments, commands)
    args, unknown = parser.parse_known_args(arguments)
    if unknown:
        # The command's own usage, not the top level's, with the option it resembles.
        command = commands[args.command]
        option = unknown[0].split("=", 1)[0]
        hint = _did_you_mean(option, _options_of(command)) if option[:1] == "-" else ""
        command.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")
    # A warning (an unreadable cache, say) is one line for the user, not Python's source echo.
    warnings.formatwarning = lambda message, *_rest, **_kw: f"warning: {message}\n"
    with _terminate_as_interrupt():
        return _run(args)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, a container stopped) ends a command as Ctrl-C does, so that
    it cleans up after itself: a half-built site, a partial download, a cache being saved."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals to whoever runs us
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.run(args))
    except Failure as failure:
        print(printable(f"error: {failure}"), file=sys.stderr)
        return failure.code
    except BrokenPipeError:
        # Output piped into `head` and closed early is not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:
        print(printable(_internal_error(error)), file=sys.stderr)
        return EXIT_INTERNAL_ERROR


def _options_of(command: argparse.ArgumentParser) -> list[str]:
    return [name for action in command._actions for name in action.option_strings]


def _refuse_options_before_their_command(
    arguments: list[str], commands: dict[str, argparse.ArgumentParser]
) -> None:
    """'modelindex --format json validate docs': the option is validate's, written too early."""
    first = next((place for place, word in enumerate(arguments) if word in commands), None)
    if first is None:
        return
    name = arguments[first]
    command = commands[name]
    for word in arguments[:first]:
        option = word.split("=", 1)[0]
        if option.startswith("-") and option not in _TOP_LEVEL and option in _options_of(command):
            command.error(f"{option} is an option of '{name}': write it after the command")


_TOP_LEVEL = frozenset({"-h", "--help", "--version"})


def _did_you_mean(written: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(written, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _internal_error(error: Exception) -> str:
    """One line that a bug report can start from: the error and where in modelindex it rose."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if f"{os.sep}modelindex{os.sep}" in frame.filename]
    where = ""
    if ours or frames:
        frame = (ours or frames)[-1]
        where = f" at {Path(frame.filename).name}:{frame.lineno}"
    detail = str(error)
    detail = detail if len(detail) <= 300 else f"{detail[:297]}..."
    return (
        f"internal error: {type(error).__name__}: {detail}{where}. This is a bug in modelindex "
        f"{__version__}; please report it with the input that caused it."
    )
