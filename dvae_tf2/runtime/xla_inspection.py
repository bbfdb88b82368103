"""Checks on XLA computations that matter on accelerators: no transfer to or from the host inside them.

A step that sends a value to the host (outfeed, send/recv, a Python callback) stalls an accelerator once per
step or per loop iteration; one that does not runs as one device program. Tests apply these checks to the
compiled training step and to the annealing loop (`samplers/ais.py`), so the property survives changes.
"""
import re

# HLO opcodes that move data between the device and the host.
HOST_TRANSFER_OPCODES = ("infeed", "outfeed", "send", "send-done", "recv", "recv-done")
_INSTRUCTION = re.compile(r"=\s.*?\s([a-z][a-z0-9-]*)\(")


def opcodes(hlo_text):
    """The opcode of every instruction of an HLO module's text -> list of str (in order)."""
    return [m.group(1) for m in (_INSTRUCTION.search(line) for line in hlo_text.splitlines()) if m]


def host_interactions(hlo_text):
    """Instructions of an HLO module's text that involve the host: host transfers and custom calls (Python
    callbacks and host computations are custom calls; the unoptimised HLO of our computations has none).
    Returns the offending lines (empty when the computation runs on the device alone)."""
    offending = []
    for line in hlo_text.splitlines():
        match = _INSTRUCTION.search(line)
        if match and (match.group(1) in HOST_TRANSFER_OPCODES or match.group(1) == "custom-call"):
            offending.append(line.strip())
    return offending
