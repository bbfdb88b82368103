"""Entry points of installed commands whose module cannot start TensorFlow quietly itself at import.

dvae_tf2.tools.import_tf1 quiets TensorFlow only when run as __main__ (its importers, the tests, keep their
TensorFlow); an installed command imports it as a module, so the quiet start happens here first.
"""
import sys

from dvae_tf2.runtime import quiet_start


def import_tf1():
    quiet_start.quiet_tensorflow(quiet_start.requested_cpu_devices(sys.argv))
    from dvae_tf2.tools import import_tf1 as tool   # after the quiet start: it loads TensorFlow
    return tool.main()
