"""XML exports (lxml): hardened parsing, optional XSD validation, records selected by XPath.

The document is parsed by :func:`evidence_kit.parsing.parse_xml`: no entity expansion, no DTD, no
network, no huge trees, and any DOCTYPE internal subset, entity declaration or XInclude is refused
(``ingest.xml-refused``). Nothing is ever fetched: an XSD named in ``options.xsd`` is read from the
bundle or from the built-in ``schemas/`` folder, and its imports may only name local files beside it.

Options: ``records`` (XPath selecting one element per record; default ``/*/*``, every child of the
root), ``namespaces`` (prefix → URI for the XPaths), ``xsd`` (schema file), ``id_field`` and
``mapping`` (XPaths relative to the record element, see :mod:`evidence_kit.mapping`). Without a
mapping each record element becomes a dict: attributes and child elements by local name, repeated
children as lists, ``xsi:nil`` elements left out. Locations are the element's line and its XPath.

The source itself is registered by :mod:`evidence_kit_builtin.sources.xml_source`, which imports this
module (and with it lxml, ~7 MiB and ~20 ms) only when a bundle has an XML file to read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from lxml import etree

from evidence_kit import Finding, Record, SourceContext
from evidence_kit.mapping import MISSING, RecordBuilder
from evidence_kit.parsing import XmlRefused, parse_xml, safe_xml_parser
from evidence_kit_builtin._schemas import schema_dir

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


class _LocalOnly(etree.Resolver):  # type: ignore[misc]
    """Refuses every URL that is not a file inside the allowed folders (XSD imports and includes)."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__()
        self.roots = roots

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        target = Path((url or "").removeprefix("file://")).resolve()
        if "://" in (url or "").removeprefix("file://") or not any(target.is_relative_to(r) for r in self.roots):
            return self.resolve_string("", context)
        return None


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def element_to_dict(el: etree._Element) -> dict[str, Any]:
    """Return an element as plain data: attributes and children by local name, repeats as lists."""
    out: dict[str, Any] = {}
    for k, v in el.attrib.items():
        if k != XSI_NIL and not k.startswith("{http://www.w3.org/2001/XMLSchema-instance}"):
            out[_local(k)] = v
    for child in el:
        if not isinstance(child.tag, str) or child.get(XSI_NIL) == "true":
            continue
        value: Any = element_to_dict(child) if len(child) or child.attrib else (child.text or "").strip()
        if isinstance(value, dict) and not len(child) and (child.text or "").strip():
            value["text"] = (child.text or "").strip()
        name = _local(child.tag)
        if name in out:
            prev = out[name]
            out[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[name] = value
    return out


def _xpath_value(result: Any) -> Any:
    if isinstance(result, list):
        values = [_text(r) for r in result if not (isinstance(r, etree._Element) and r.get(XSI_NIL) == "true")]
        values = [v for v in values if v != ""]
        if not values:
            return MISSING
        return values[0] if len(values) == 1 else values
    if isinstance(result, bool):
        return result
    if isinstance(result, float):
        return int(result) if result.is_integer() else result
    return str(result)


def _text(node: Any) -> str:
    if isinstance(node, etree._Element):
        return "".join(node.itertext()).strip()
    return str(node).strip()


class XmlReader:
    """Reads XML exports into records; see the module docstring for its options."""

    def read(self, path: Path, ctx: SourceContext) -> Iterator[Record | Finding]:
        """Yield one record per selected element, after policy checks and optional XSD validation."""
        try:
            tree = parse_xml(path.read_bytes())
        except XmlRefused as exc:
            refused = "not allowed" in str(exc) or "refused" in str(exc)
            yield ctx.finding(
                "ingest.xml-refused" if refused else "ingest.malformed",
                f"{ctx.file}:{exc.line}: {exc}; the file was not read.",
                line=exc.line,
                hint="Re-export without a DOCTYPE, entities or XInclude." if refused else "Re-export the file.",
            )
            return
        ns: Mapping[str, str] = dict(ctx.options.get("namespaces", {}))
        if "xsd" in ctx.options:
            yield from self._validate(tree, str(ctx.options["xsd"]), ctx)
        builder = RecordBuilder(ctx, lambda record, sel: f"{record}/{sel}" if record else sel)
        compiled: dict[str, etree.XPath] = {}
        bad: dict[str, str] = {}
        if builder.mapping is not None:
            for fm in builder.mapping.fields:
                if fm.selector is None or fm.selector in compiled:
                    continue
                try:
                    compiled[fm.selector] = etree.XPath(fm.selector, namespaces=ns)
                except etree.XPathError as exc:
                    bad[fm.selector] = f"{fm.key!r}: XPath {fm.selector!r} is not valid ({exc})"
        if bad:
            for message in bad.values():
                yield ctx.finding(
                    "ingest.mapping-error",
                    f"{ctx.file}: mapping {message}; the file was not read.",
                    hint="Correct the mapping's XPath in evidence-kit.toml.",
                )
            return
        selector = str(ctx.options.get("records", "/*/*"))
        try:
            elements = tree.xpath(selector, namespaces=ns)
        except etree.XPathError as exc:
            yield ctx.finding(
                "ingest.malformed",
                f"{ctx.file}: options.records XPath {selector!r} is not valid ({exc}); the file was not read.",
                path=selector,
            )
            return
        for el in elements if isinstance(elements, list) else []:
            if not isinstance(el, etree._Element) or not isinstance(el.tag, str):
                continue

            def get(sel: str, el: etree._Element = el) -> Any:
                try:
                    return _xpath_value(compiled[sel](el))
                except etree.XPathError as exc:
                    raise ValueError(str(exc)) from None

            yield from builder.build(partial(element_to_dict, el), get, line=el.sourceline, path=tree.getpath(el))

    def _validate(self, tree: etree._ElementTree, name: str, ctx: SourceContext) -> Iterator[Finding]:
        candidates = [(ctx.bundle / name, ctx.bundle), (schema_dir() / name, schema_dir())]
        found = next(((p.resolve(), root) for p, root in candidates if p.resolve().is_file()), None)
        if found is None or not any(found[0].is_relative_to(r.resolve()) for _, r in candidates):
            yield ctx.finding(
                "ingest.xsd-invalid",
                f"{ctx.file}: options.xsd {name!r} is neither in the bundle nor in the built-in schemas/; "
                "the file was not validated against it.",
                hint="Put the vendor's XSD in the bundle and name it relative to the bundle folder.",
            )
            return
        xsd_path, root = found
        parser = safe_xml_parser()
        parser.resolvers.add(_LocalOnly((xsd_path.parent, root.resolve())))
        try:
            schema = etree.XMLSchema(etree.parse(str(xsd_path), parser))
        except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            yield ctx.finding(
                "ingest.xsd-invalid",
                f"{ctx.file}: the XSD {name!r} cannot be used: {exc}; the file was not validated against it.",
            )
            return
        if schema.validate(tree):
            return
        for err in schema.error_log:
            yield ctx.finding(
                "ingest.xsd-invalid",
                f"{ctx.file}:{err.line}: does not match the XSD {name!r}: {err.message}.",
                line=err.line,
                path=err.path or None,
            )
