"""SMS as templates with variables, as carriers in mainland China require.

Alibaba Cloud and Tencent Cloud (and SNS to China with a registered sender) deliver only text made
from a template registered in advance: the sign name (the 【…】 a message starts with) is added by
the carrier, and the sender gives a template code and the variables. Our messages are already
written as catalog texts with ``{variables}``; a ``SmsTemplate`` is such a text, and it finds the
variables of a message made from it, so every place that writes an SMS keeps writing text (which SNS
sends as it is) and a template provider sends the same words by code.

Any split of a message into variables that renders the same text is as good as another: the carrier
renders the template with them, so the phone shows exactly what we wrote.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

# "【售后服务】…" or "[Service desk] …": the sign name carriers put there themselves.
_SIGN = re.compile(r"^(【[^】]{1,30}】|\[[^\]]{1,30}\])\s*")

CarrierSyntax = Literal["aliyun", "tencent"]


@dataclass(frozen=True)
class SmsTemplate:
    name: str  # e.g. "customer_confirmation"
    language: str
    text: str  # a catalog text, sign name included, with ``{variable}`` placeholders
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _variables: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts, variables = [], []
        for literal, name, _, _ in string.Formatter().parse(self.text):
            parts.append(re.escape(literal))
            if name is not None:
                if name in variables:
                    parts.append(f"(?P={name})")
                else:
                    variables.append(name)
                    parts.append(f"(?P<{name}>.*?)")
        object.__setattr__(self, "_pattern", re.compile("".join(parts), re.S))
        object.__setattr__(self, "_variables", tuple(variables))

    @property
    def key(self) -> str:
        """What its carrier template code is configured under: ``<name>.<language>``."""
        return f"{self.name}.{self.language}"

    @property
    def variables(self) -> tuple[str, ...]:
        """In the order they first appear (Tencent numbers them in this order)."""
        return self._variables

    def variables_of(self, message: str) -> dict[str, str] | None:
        """The variables that make ``message`` from this template, or None if it was not made from it."""
        found = self._pattern.fullmatch(message)
        if found is None:
            return None
        values = {name: found.group(name) for name in self._variables}
        return values if self.text.format(**values) == message else None

    def body(self, syntax: CarrierSyntax) -> str:
        """The template as registered with a carrier: no sign name, placeholders in its syntax
        (Alibaba ``${name}``, Tencent ``{1}``, ``{2}``…)."""
        unsigned = _SIGN.sub("", self.text, count=1)
        out = []
        for literal, name, _, _ in string.Formatter().parse(unsigned):
            out.append(literal)
            if name is not None:
                out.append(f"${{{name}}}" if syntax == "aliyun" else f"{{{self._variables.index(name) + 1}}}")
        return "".join(out)


def template_for(message: str, templates: list[SmsTemplate]) -> tuple[SmsTemplate, dict[str, str]] | None:
    """The first template ``message`` was made from, with its variables."""
    for template in templates:
        values = template.variables_of(message)
        if values is not None:
            return template, values
    return None


# Mainland carriers bill every character alike (a letter as a 汉字), 70 to a message with its sign
# name, 67 to each part of a longer one (the rest carries the parts' joining header).
SINGLE_SEGMENT = 70
CONCATENATED_SEGMENT = 67
# Elsewhere (SNS abroad) a text of GSM 03.38 characters only goes 7 bits a character: 160, or 153 a part;
# the extension characters take two. Any other character makes the whole text UCS-2 (70/67).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = set("^{}\\[~]|€")


def segments(text: str) -> int:
    """How many messages a mainland carrier bills ``text`` as, sign name included."""
    return _parts(len(text), SINGLE_SEGMENT, CONCATENATED_SEGMENT)


def gsm_segments(text: str) -> int:
    """How many messages ``text`` is sent as where the alphabet decides (SNS outside the mainland)."""
    if not set(text) <= _GSM_BASIC | _GSM_EXTENSION:
        return _parts(len(text), SINGLE_SEGMENT, CONCATENATED_SEGMENT)
    return _parts(len(text) + sum(c in _GSM_EXTENSION for c in text), 160, 153)


def _parts(length: int, single: int, each: int) -> int:
    return 1 if length <= single else -(-length // each)


_LINK = re.compile(r"https?://\S+")


def fullest_in_one_message(wordings: Sequence[str], link_length: int) -> str:
    """The first of ``wordings`` (fullest first) that goes as one message once its link is shortened to
    ``link_length`` characters (the SMS channel does that as it sends); the last, the shortest, if none
    does. How many words fit depends on the desk's address, which is in every link."""
    for text in wordings:
        if gsm_segments(_LINK.sub("x" * link_length, text)) == 1:
            return text
    return wordings[-1]
