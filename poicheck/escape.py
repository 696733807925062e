"""Data values shown to people, made harmless: one function for every human-readable output.

A value from a user's file may hold a line break followed by `::error file=...` (a forged
GitHub Actions workflow command in a CI log), an ESC or OSC sequence (which a terminal would
run: colours, titles, hyperlinks, clipboard writes) or a bidirectional override that makes
text read differently than it is. `printable` shows each such character as an escape (`\\n`,
`\\x1b`, `\\u202e`), never as itself; everything else, including non-ASCII letters, is kept.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
# marks, embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """`text` with every control character and line break shown as an escape, on one line."""
    return _UNSAFE.sub(_escaped, str(text))


def printable_lines(lines: list[str] | tuple[str, ...]) -> str:
    """Lines poicheck composed, each made `printable`, joined by line breaks (its own)."""
    return "\n".join(printable(line) for line in lines)
