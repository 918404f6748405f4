"""The XML source (``source = "xml"``); what it reads and its options are described in :mod:`.xml_records`.

This module only registers the source: the reading code, and with it lxml (~7 MiB and ~20 ms to import),
is loaded when the first XML file is read, so a bundle without XML never pays for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from evidence_kit import Finding, Record, SourceContext, __version__, hookimpl
from evidence_kit.mapping import options_schema

OPTIONS_SCHEMA = options_schema(
    {
        "records": {"type": "string", "minLength": 1},
        "namespaces": {"type": "object", "additionalProperties": {"type": "string"}},
        "xsd": {"type": "string", "minLength": 1, "pattern": "^[^/]"},
    }
)


class XmlSource:
    """Reads XML exports into records; see :mod:`.xml_records` for its options."""

    name = "xml"
    version = __version__
    options_schema = OPTIONS_SCHEMA

    def detect(self, path: PurePosixPath, head: bytes) -> bool:
        """Claim files ending in .xml."""
        return path.suffix.lower() == ".xml"

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one record per selected element, after policy checks and optional XSD validation."""
        from evidence_kit_builtin.sources.xml_records import XmlReader

        return XmlReader().read(path, ctx)


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[XmlSource]:
    """Register the XML source, last, so plugins get first refusal on .xml files."""
    return [XmlSource()]
