"""Where the app reads its settings: ``get_settings()``, validated once, on the first call.

The model itself (``chalicelib.settings_model``) and pydantic-settings, which brings asyncio along, load
on that first call rather than when the app is imported: a cold start should not pay for them before a
function needs a setting.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.settings_model import REQUIRED_ON_AWS as REQUIRED_ON_AWS
    from chalicelib.settings_model import Settings as Settings

# The queue the ``report_part`` function reads (Chalice needs its name when the app is packaged;
# on AWS the stack points the event source at its own queue, locally the bootstrap creates it).
REPORT_PARTS_QUEUE = "service-desk-report-parts"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    from chalicelib.settings_model import Settings

    return Settings()


def __getattr__(name: str) -> Any:
    if name in ("Settings", "REQUIRED_ON_AWS"):
        from chalicelib import settings_model

        return getattr(settings_model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
