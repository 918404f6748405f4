r"""Just enough UDI parsing to look a UDI up in GUDID: its DI and which PI elements it carries.

GS1 in human-readable form (``(01)…(17)…(10)…``) and as an element string (AIs back to back,
variable-length fields ended by the group separator ``\x1d``); HIBCC (``+LIC…``, PI after ``/``
or in a secondary string starting ``$``); ICCBBA (``=/`` DI). Deeper syntax checks (check digits,
dates) belong to the core UDI rules; here a UDI that cannot be split yields no DI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["ParsedUdi", "parse_udi"]

#: Fixed-length GS1 AIs used in UDIs → data length.
_FIXED = {"01": 14, "11": 6, "17": 6, "13": 6, "15": 6, "16": 6}
_VARIABLE = {"10", "21", "30", "240", "241", "250", "251", "422", "8003", "8004", "8012", "7003", "235"}
_PI_NAMES = {"10": "lot", "21": "serial", "17": "expiry", "11": "manufacture_date"}
_PAREN = re.compile(r"\((\d{2,4})\)([^(]*)")


@dataclass(frozen=True)
class ParsedUdi:
    """A UDI split into its agency, its DI and the PI elements it carries.

    ``pi`` holds some of ``lot``, ``serial``, ``expiry`` and ``manufacture_date``.
    """

    agency: str
    di: str | None
    pi: frozenset[str] = field(default_factory=frozenset)


def _gs1_elements(text: str) -> dict[str, str] | None:
    if text.startswith("("):
        pairs = _PAREN.findall(text)
        if not pairs or "".join(f"({a}){v}" for a, v in pairs) != text:
            return None
        return {a: v for a, v in pairs}
    out: dict[str, str] = {}
    pos = 0
    body = text.removeprefix("]d2").removeprefix("]C1").removeprefix("]Q3").removeprefix("]e0")
    while pos < len(body):
        ai = next((body[pos : pos + n] for n in (2, 3, 4) if body[pos : pos + n] in _FIXED.keys() | _VARIABLE), None)
        if ai is None:
            return None
        pos += len(ai)
        if ai in _FIXED:
            out[ai] = body[pos : pos + _FIXED[ai]]
            pos += _FIXED[ai]
        else:
            end = body.find("\x1d", pos)
            end = len(body) if end < 0 else end
            out[ai] = body[pos:end]
            pos = end + 1
    return out


@lru_cache(maxsize=65536)
def parse_udi(udi: str) -> ParsedUdi | None:
    """Split a UDI; None when it is not recognisably GS1, HIBCC or ICCBBA.

    Example:
        >>> parse_udi("(01)10197106131510(17)260430(10)A12").pi == {"expiry", "lot"}
        True
    """
    text = udi.strip().replace(" ", "")
    if text.startswith("+"):
        primary, _, secondary = text[1:].partition("/")
        di = "+" + primary if len(primary) >= 6 else None
        pi = set()
        if "$$" in secondary or "/14D" in text:
            pi.add("expiry")
        if re.search(r"\$\$?\+", secondary) or "/S" in text:
            pi.add("serial")
        elif "$" in secondary:
            pi.add("lot")
        if "/16D" in text:
            pi.add("manufacture_date")
        return ParsedUdi("HIBCC", di, frozenset(pi))
    if text.startswith("=/"):
        di = text[2:18] if len(text) >= 18 else None
        flags = {"=,": "serial", "=>": "expiry", "=}": "manufacture_date", "&,1": "lot"}
        return ParsedUdi("ICCBBA", di, frozenset(name for flag, name in flags.items() if flag in text[18:]))
    elements = _gs1_elements(text)
    if not elements or "01" not in elements:
        return None
    return ParsedUdi("GS1", elements["01"], frozenset(_PI_NAMES[a] for a in elements if a in _PI_NAMES))
