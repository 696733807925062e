"""Files poicheck reads whole or writes: YAML, user files, output policy, limits."""
