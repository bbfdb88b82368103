"""SIGTERM and SIGINT (Ctrl-C) during training: stop cleanly after the current step, or at once if repeated."""
import os
import signal
import threading

from absl import logging

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class TrainingStopped(Exception):
    """Training stopped at `step` on signal `signum`, after saving the `latest` checkpoint."""

    def __init__(self, step, signum):
        super().__init__(f"stopped at step {step} by {signal.Signals(signum).name}; continue with --resume")
        self.step = step
        self.signum = signum


class StopRequests:
    """Context manager catching SIGTERM/SIGINT while training.

    The first signal only sets `signum` (the loop checks it after each step); a second one ends the
    process at once with the signal's default action. Handlers can be installed only by the main
    thread; elsewhere the signals keep their current behaviour.
    """

    def __init__(self):
        self.signum = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in STOP_SIGNALS}
        return self

    def __exit__(self, *exc_info):
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum, frame):
        del frame
        if self.signum is not None:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signum = signum
        logging.warning("%s received: stopping after the current step (send it again to exit at once)",
                        signal.Signals(signum).name)
