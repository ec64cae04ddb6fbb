"""Prints every SMS the desk sends as a template to register with a carrier, once per language.

    python -m ops.sms_templates aliyun     # ${name} placeholders (Alibaba Cloud SMS)
    python -m ops.sms_templates tencent    # {1}, {2}… placeholders (Tencent Cloud SMS)

Each line: the name to configure its code under (``SMS_TEMPLATE_CODES``), the variables in order, and
the text to register (without the sign name, which the carrier adds). docs/deploy.md says the rest.
"""

from __future__ import annotations

import sys

from chalicelib.services.sms_templates import sms_templates


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("aliyun", "tencent"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for template in sms_templates():
        print(f"{template.key}\t{','.join(template.variables)}\t{template.body(argv[0])}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
