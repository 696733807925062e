"""Workbooks for people: the data-check form, an annotated copy of the user's workbook, and
the input template.

- `answers`: the form's answers, computed from the findings table (vectorised);
- `form`: the form workbook (sheets Form, Findings, Score); `fill`: answering someone else's form;
- `annotate`: failing cells highlighted and commented in a copy of the user's workbook;
- `template`: the empty input workbook generated from the rule files;
- `cells`: safe cell writing (never a formula), styles, atomic saving.
"""
