"""Expected failures of the command-line entry points: one `error: ...` line on stderr, exit status 2.

A traceback is shown only with --verbosity=1 (or more); genuine bugs keep theirs.
"""
import contextlib
import logging as std_logging
import sys

from absl import flags, logging

EXPECTED_FAILURE_STATUS = 2


def fail(message):
    """Prints `error: <message>` on stderr and exits with status 2.

    Log records are silenced first, so that threads still running (e.g. TFDS's download retries) cannot print
    after the error line while the interpreter waits for them."""
    std_logging.disable(std_logging.CRITICAL)
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(EXPECTED_FAILURE_STATUS)


def parse_flags(argv):
    """Flags parser for absl's app.run: a bad flag is one error line, not a usage dump."""
    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        fail(f"{error} (--helpfull lists the flags)")


@contextlib.contextmanager
def expected_failures(*errors):
    """Turns the listed exception types raised in the block into `fail(str(error))`."""
    try:
        yield
    except errors as error:
        if logging.get_verbosity() >= logging.DEBUG:
            logging.exception("traceback of the error below")
        fail(str(error))
