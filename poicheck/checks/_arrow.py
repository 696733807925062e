"""Small pyarrow helpers shared by the cell kinds.

NOTE: regular expressions run in pyarrow's RE2, whose classes are ASCII: OICP's digit means
[0-9], and a full-width digit such as '５' must not pass (Python's `re` \\d would let it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def anchored(pattern: str) -> str:
    """Anchor a pattern as a whole, so that `^a|b$` cannot match half the value."""
    body = pattern[1:] if pattern.startswith("^") else pattern
    body = body[:-1] if body.endswith("$") and not body.endswith("\\$") else body
    return f"^(?:{body})$"


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a rule's regex (None: it can): it must compile both in Python's
    `re` (some kinds match single values there) and in RE2, the engine of the cell checks,
    which has no backreferences or lookarounds."""
    import re

    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regular expression {pattern!r}: {exc}"
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), anchored(pattern))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        detail = str(exc).split(": ", 1)[-1].strip()
        return (
            f"regular expression {pattern!r} is not supported by the RE2 engine ({detail}); "
            "RE2 has no backreferences or lookarounds"
        )
    return None


def passes(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A pyarrow boolean result as a numpy mask; nulls (empty cells) pass."""
    return np.asarray(mask.fill_null(True).to_numpy(zero_copy_only=False), dtype=bool)


def where_filled(values: pa.Array, mask: pa.Array) -> pa.Array:
    """A mask made null (passing) wherever the value is empty."""
    return pc.if_else(pc.is_valid(values), mask, pa.scalar(None, pa.bool_()))


def full_match(values: pa.Array, pattern: str) -> pa.Array:
    return pc.match_substring_regex(values, anchored(pattern))


def per_distinct(values: pa.Array, test: Callable[[str], bool]) -> np.ndarray:
    """Run a Python test once per distinct non-empty value and broadcast the result back."""
    distinct = pc.unique(values.drop_null())
    verdicts = pa.array([test(v) for v in distinct.to_pylist()], type=pa.bool_())
    positions = pc.index_in(values, value_set=distinct)
    return passes(pc.take(verdicts, positions))
