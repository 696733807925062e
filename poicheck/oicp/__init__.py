"""OICP 2.3's data model and the one conversion between the canonical table and OICP JSON."""
