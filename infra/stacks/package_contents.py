"""What the deployment package leaves out of what ``chalice package`` puts in it: files no function reads.

Chalice installs every requirement with all its dependencies and all their files. A few of those are never
read on Lambda, and every function deploys the package: they are taken out of the zip before the stack
makes it the functions' code (``ServiceDeskStack``), and ``bytecode`` compiles what is left.
Plain Python: no CDK here.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

LEFT_OUT_PREFIXES = (
    # dnspython: email-validator imports it only to look up a domain's mail servers, a check the app never
    # asks for (``check_deliverability=False`` wherever an email is checked).
    "dns/",
    "dnspython-",
    # The Swagger UI page's script and style (1.7 MB unpacked), read only by Powertools' own router when it
    # serves that page (``enable_swagger``); the app routes with Chalice and uses Powertools for its logs,
    # metrics, idempotency and parameters.
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui",
)
LEFT_OUT_SUFFIXES = (
    # pip's list of the files it installed, read to uninstall them. importlib.metadata reads a version from
    # METADATA and plugins from entry_points.txt; only ``files()`` reads RECORD, and nothing packaged asks.
    ".dist-info/RECORD",
    # Type stubs, read by type checkers only.
    ".pyi",
)


def left_out(name: str) -> bool:
    return name.startswith(LEFT_OUT_PREFIXES) or name.endswith(LEFT_OUT_SUFFIXES)


def trim(package: Path) -> int:
    """Rewrites the zip at ``package`` without what ``left_out`` names; every other entry is kept as it was
    (order, time stamp, permissions, compression). Returns how many bytes the zip lost."""
    before = package.stat().st_size
    trimmed = package.with_name(package.name + ".trimmed")
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(trimmed, "w") as out:
        for info in source.infolist():
            if not left_out(info.filename):
                out.writestr(info, source.read(info))
    trimmed.replace(package)
    return before - package.stat().st_size
