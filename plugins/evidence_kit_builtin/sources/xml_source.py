"""The XML source (``source = "xml"``); what it reads and its options are described in :mod:`.xml_records`.

This module only registers the source: the reading code, and with it lxml (~7 MiB and ~20 ms to import),
is loaded when the first XML file is read, so a bundle without XML never pays for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from evidence_kit import Finding, Record, SourceContext, __version__, hookimpl
from evidence_kit.mapping import options_schema
from evidence_kit_builtin._schemas import schema_dir

OPTIONS_SCHEMA = options_schema(
    {
        "records": {"type": "string", "minLength": 1},
        "namespaces": {"type": "object", "additionalProperties": {"type": "string"}},
        "xsd": {"type": "string", "minLength": 1, "pattern": "^[^/]"},
    }
)


MAX_XSD_FILES = 200  #: files followed from one XSD for the cache key
_SCHEMA_LOCATION = re.compile(rb"""schemaLocation\s*=\s*(["'])(.*?)\1""", re.S)


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

    def referenced_files(self, ctx: SourceContext) -> list[Path]:
        """Return the XSD named in ``options.xsd`` and the local files it imports or includes (for the cache key).

        Found as :meth:`.xml_records.XmlReader` finds them (the bundle first, then the built-in
        ``schemas/``), without lxml: every ``schemaLocation`` value that names an existing file is
        followed, which may take in a file the validation does not use (a needless miss), never
        leaves one out.
        """
        name = ctx.options.get("xsd")
        if not isinstance(name, str):
            return []
        found = next(((p.resolve(), r.resolve()) for p, r in self._candidates(ctx, name) if p.is_file()), None)
        if found is None:
            return []
        start, root = found
        roots = (start.parent, root)  # where the reader lets imports come from
        seen: dict[Path, None] = {}
        todo = [start]
        while todo and len(seen) < MAX_XSD_FILES:
            current = todo.pop()
            if current in seen:
                continue
            seen[current] = None
            try:
                text = current.read_bytes()
            except OSError:
                continue
            for match in _SCHEMA_LOCATION.finditer(text):
                for token in match.group(2).decode("utf-8", "replace").split():
                    if "://" in token.removeprefix("file://"):
                        continue
                    target = (current.parent / token.removeprefix("file://")).resolve()
                    if any(target.is_relative_to(r) for r in roots) and target.is_file():
                        todo.append(target)
        return list(seen)

    @staticmethod
    def _candidates(ctx: SourceContext, name: str) -> list[tuple[Path, Path]]:
        return [(ctx.bundle / name, ctx.bundle), (schema_dir() / name, schema_dir())]


@hookimpl(trylast=True)
def evidence_kit_sources() -> list[XmlSource]:
    """Register the XML source, last, so plugins get first refusal on .xml files."""
    return [XmlSource()]
