"""Sending an export to Hubject (`poicheck push`) and the onboarding certificate request
(`poicheck csr`).

```python
from poicheck.push import PushOptions, load_plan, push

plan = load_plan(Path("out"))            # manifest.json read, every file's sha256 checked
push(plan, PushOptions(url, cert, key), note=print)
```

Modules: plan (manifest, push log, PushRefusedError), client (the sequential push), answer
(acknowledgements and which records they name), codes (status_codes.yaml), certs (the
pre-flight), csr, lock, standin (a local stand-in for Hubject).
"""

from __future__ import annotations

from poicheck.push.client import PushOptions, PushResult, endpoint, push
from poicheck.push.plan import Plan, PushRefusedError, load_plan

__all__ = [
    "Plan",
    "PushOptions",
    "PushRefusedError",
    "PushResult",
    "endpoint",
    "load_plan",
    "push",
]
