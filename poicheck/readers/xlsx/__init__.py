"""The XLSX reader: safety scan, byte scan, pieces, calamine cells as text."""
