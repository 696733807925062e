"""What a run returns: the report (findings stay a table) and the data score."""
