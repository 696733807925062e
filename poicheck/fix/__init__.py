"""`poicheck fix`: fixes declared in the rule files, applied to a corrected copy of the input.

- `kinds`, `rowkinds`: the fix kinds (code), named by the rules' `fix:` entries (data).
- `propose`: what the fixes propose for findings, once per distinct value; the `fix` column
  of the findings table.
- `plan`: the changes, applied in memory and re-validated until nothing is left to fix; a
  change that would introduce a finding is held back.
- `write_csv`, `write_xlsx`, `write_json`: the corrected copy in the input's own format,
  every other byte, cell or key left as it was.
- `run`: the command: read, plan, write, validate the copy, summarise.
"""
