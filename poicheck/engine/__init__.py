"""The engine: rules bound to columns, run (whole or in chunks, in workers), findings folded."""
