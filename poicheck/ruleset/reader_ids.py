"""The rules reader code reports (kind `reader`), each named once.

The readers, and the OICP JSON reading in poicheck.oicp.convert, report what only they can see as
findings of these rules; they use the constants, never the ids as text. The loader checks
them against the rule set when it loads (poicheck.ruleset.loader): an id here that no rule
file defines as a `reader` rule, or a `reader` rule that is not here, is a RuleFileError, so
a misspelt id can no longer be dropped without a word. Each constant is named after its
rule's `name` (tests/unit/ruleset/test_reader_ids.py holds them to it).
"""

from __future__ import annotations

from typing import Final

# Positions in OICP JSON (rules-geo.yaml), reported while a record is read.
ONE_COORDINATE_NOTATION: Final = "GEO006"
COORDINATE_NOTATION_FORMAT: Final = "GEO007"
DMS_MINUTES_SECONDS_BELOW_60: Final = "GEO014"

# OICP JSON and JSON Lines (rules-input.yaml).
JSON_WIRE_TYPE: Final = "JSN001"
JSON_UNKNOWN_PROPERTY: Final = "JSN002"
JSON_EMPTY_OPTIONAL: Final = "JSN003"
INFO_TEXT_DUPLICATE_LANGUAGE: Final = "JSN004"
JSON_MALFORMED_ITEM: Final = "JSN005"
JSONL_INVALID_LINE: Final = "JSN006"
JSON_LONE_SURROGATE: Final = "JSN007"
JSON_NEAR_MISS_KEY: Final = "JSN008"
JSON_NEAR_MISS_DUPLICATE: Final = "JSN009"

# Tables: CSV and spreadsheets alike (rules-input.yaml, rules-spreadsheet.yaml).
UNKNOWN_COLUMN: Final = "TBL001"
DUPLICATE_COLUMN: Final = "TBL002"
ROWS_ABOVE_HEADER: Final = "TBL003"
REPEATED_HEADER_ROW: Final = "TBL004"
OVERSIZED_CELL: Final = "TBL005"
CELLS_BEYOND_HEADER: Final = "TBL006"
INVISIBLE_CHARACTERS: Final = "TBL007"
DECIMAL_COMMAS: Final = "TBL008"
BOOLEAN_SPELLING: Final = "TBL009"
DIGITS_LOST: Final = "TBL010"
PHONE_NUMBER_AS_NUMBER: Final = "TBL011"
LEADING_ZERO_LOST: Final = "TBL012"
SPLIT_FAILED: Final = "TBL013"
NOT_UTF8: Final = "TBL014"
INVALID_UTF8_BYTES: Final = "TBL015"

# Workbooks only (rules-spreadsheet.yaml).
NUMBER_SHOWN_AS_TEXT: Final = "XLS001"
VALUE_MADE_A_DATE: Final = "XLS002"
FORMULA_WITHOUT_VALUE: Final = "XLS003"
ERROR_VALUE: Final = "XLS004"
MERGED_ROWS: Final = "XLS005"
MERGED_COLUMNS: Final = "XLS006"
HIDDEN_ROWS: Final = "XLS007"
HIDDEN_COLUMN: Final = "XLS008"
OTHER_SHEETS: Final = "XLS009"

# OCPI Locations read as OICP records (rules-ocpi.yaml).
OCPI_EVSE_WITHOUT_EVSE_ID: Final = "OCP001"
OCPI_EVSE_REMOVED: Final = "OCP002"
OCPI_LOCATION_WITHOUT_EVSES: Final = "OCP003"
OCPI_LOCATION_NOT_PUBLISHED: Final = "OCP004"
OCPI_DATED_OPENING_EXCEPTIONS: Final = "OCP005"
OCPI_ENERGY_SOURCE_WITHOUT_OICP_TYPE: Final = "OCP006"
OCPI_TIME_ZONE_UNKNOWN: Final = "OCP007"
OCPI_MALFORMED: Final = "OCP008"
OCPI_WIRE_TYPE: Final = "OCP009"


READER_RULES: Final = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
