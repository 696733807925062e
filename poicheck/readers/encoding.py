"""A CSV file's encoding, decided on the whole file, never on a prefix.

UTF-8 is what a file is when every byte of it decodes as UTF-8. A file that does not is
surveyed once more, in large blocks (C-speed decoding, no loop per character or row):

- mostly UTF-8 (more valid multi-byte UTF-8 characters than invalid bytes): a few bytes were
  damaged, e.g. a line pasted from a Windows-1252 file. It is read as UTF-8 with each invalid
  byte replaced by U+FFFD, and the cells holding one are reported (TBL015);
- otherwise it is read as Windows-1252 when the whole file decodes as such (Latin-1 when it
  holds one of the five bytes Windows-1252 leaves undefined), and the reader says so (TBL014).

Nothing is decided silently: every file not read as strict UTF-8 gets a finding.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poicheck.files.limits import MiB

SURVEY_BLOCK = 16 * MiB
REPLACING = "poicheck-utf-8-replace"  # UTF-8, each invalid byte read as U+FFFD
_UNDEFINED_1252 = b"\x81\x8d\x8f\x90\x9d"
NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO 8859-1)"}


def _search(name: str) -> codecs.CodecInfo | None:
    """The codec REPLACING: pyarrow's transcoding and `open` ask a codec for its decoder with
    their own error handling ('strict'); this one always replaces."""
    if name.replace("_", "-") != REPLACING:
        return None
    utf8 = codecs.lookup("utf-8")

    class Decoder(codecs.BufferedIncrementalDecoder):
        def __init__(self, errors: str = "replace") -> None:
            super().__init__("replace")

        def _buffer_decode(self, data: Any, errors: str, final: bool) -> tuple[str, int]:
            return codecs.utf_8_decode(data, "replace", final)

    class Reader(codecs.StreamReader):
        def __init__(self, stream: object, errors: str = "replace") -> None:
            super().__init__(stream, "replace")  # type: ignore[arg-type]

        decode = staticmethod(codecs.utf_8_decode)  # type: ignore[assignment]

    return codecs.CodecInfo(
        name=REPLACING,
        encode=utf8.encode,
        decode=lambda data, errors="replace": codecs.utf_8_decode(data, "replace", True),
        incrementalencoder=utf8.incrementalencoder,
        incrementaldecoder=Decoder,
        streamreader=Reader,
        streamwriter=utf8.streamwriter,
    )


codecs.register(_search)


@dataclass(frozen=True)
class Survey:
    """What a file that is not valid UTF-8 holds: invalid bytes, valid multi-byte UTF-8
    characters, bytes Windows-1252 leaves undefined, and where the first invalid byte is."""

    invalid: int
    characters: int
    undefined: int
    first: int  # byte offset of the first invalid byte
    byte: int  # its value
    line: int  # its physical line (1-based)


def is_utf8(blocks: Iterable[bytes]) -> bool:
    """Whether all blocks together decode as UTF-8 (ASCII blocks pass at memory speed)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    for block in blocks:
        if block.isascii() and not decoder.getstate()[0]:
            continue
        try:
            decoder.decode(block)
        except UnicodeDecodeError:
            return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def survey(blocks: Iterable[bytes]) -> Survey:
    """Count, block by block, what decides how bytes that are not UTF-8 are read."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    invalid = characters = undefined = lines = offset = 0
    first: tuple[int, int, int] | None = None
    for block in _ended(blocks):
        text = decoder.decode(block, final=not block)
        escaped = len(text.encode("utf-8", "surrogateescape")) - len(text.encode("utf-8", "ignore"))
        invalid += escaped
        characters += len(text) - len(text.encode("ascii", "ignore")) - escaped
        undefined += len(block) - len(block.translate(None, _UNDEFINED_1252))
        if escaped and first is None:
            first = _first_invalid(block, offset, lines)
        lines += block.count(b"\n")
        offset += len(block)
    offset, byte, line = first or (offset, 0, lines + 1)
    return Survey(invalid, characters, undefined, offset, byte, line)


def blocks_of(path: Path) -> Iterator[bytes]:
    """The file in blocks of `SURVEY_BLOCK` bytes."""
    with path.open("rb") as handle:
        while block := handle.read(SURVEY_BLOCK):
            yield block


def _ended(blocks: Iterable[bytes]) -> Iterator[bytes]:
    yield from blocks
    yield b""


def _first_invalid(block: bytes, offset: int, lines: int) -> tuple[int, int, int]:
    """Offset, value and line of the first invalid byte in `block` (read from `offset`; a
    character cut at the block's end counts as at the end)."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = lines + block.count(b"\n", 0, exc.start) + 1
        return offset + exc.start, block[exc.start], line
    return offset + len(block), 0, lines + block.count(b"\n") + 1


def choose(found: Survey) -> str:
    """The encoding a file that is not valid UTF-8 is read in (see the module docstring)."""
    if found.characters > found.invalid:
        return REPLACING
    return "cp1252" if not found.undefined else "latin-1"
