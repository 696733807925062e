"""Size limits shared by the readers and the command line (no heavy imports here: the CLI's
help text shows them)."""

from __future__ import annotations

MiB = 1 << 20
MAX_CSV_BYTES = 1024 * MiB  # a larger CSV file is read in chunks unless told otherwise
CHUNK_ROWS = 200_000  # records per chunk when a file is read in chunks
MAX_PREVIOUS_BYTES = 1024 * MiB  # one --previous file (payload, manifest or snapshot)
# One request body `poicheck push` sends: a fullLoad of a million records is about 1.9 GB.
MAX_PUSH_BODY_BYTES = 4096 * MiB
MAX_YAML_BYTES = 8 * MiB  # a configuration, rule or mapping file (the shipped ones: < 20 KB)
