"""Scale run for the openFDA and GUDID plugin sources: records per second, whole validate included.

Run: ``python benchmarks/bench_plugins.py [N]`` (needs the two plugin distributions installed).
Writes a bundle with N openFDA device events (API envelope), N/10 MAUDE FOI rows per file kind and
N/4 GUDID devices, then times ``evidence_kit.validate`` with the plugins loaded from their entry points.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from evidence_kit._api import run
from evidence_kit._plugins import get_plugin_manager
from evidence_kit.testing import write_bundle


def _events(n: int) -> dict[str, object]:
    results = [
        {
            "report_number": f"3004567890-2026-{i:05d}",
            "mdr_report_key": str(10_000_000 + i),
            "date_manufacturer_received": "20260302",
            "date_received": "03/30/2026",
            "date_of_event": "2026-02-27",
            "report_source_code": "Manufacturer report",
            "type_of_report": ["Initial submission"],
            "event_type": "Malfunction",
            "device": [{"brand_name": "PACK", "udi_public": f"(01)10197106131510(17)270131(10)L{i}"}],
            "mdr_text": [{"text": "SEAL OPEN BEFORE USE."}],
        }
        for i in range(n)
    ]
    return {"meta": {"results": {"total": n}}, "results": results}


def _gudid(n: int) -> str:
    ns = 'xmlns="http://www.fda.gov/cdrh/gudid" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    devices = "".join(
        f"<device {ns}><identifiers><identifier><deviceId>5{i:013d}</deviceId><deviceIdType>Package</deviceIdType>"
        f"<deviceIdIssuingAgency>GS1</deviceIdIssuingAgency><containsDINumber>1{i:013d}</containsDINumber>"
        f"</identifier><identifier><deviceId>1{i:013d}</deviceId><deviceIdType>Primary</deviceIdType>"
        f'<deviceIdIssuingAgency>GS1</deviceIdIssuingAgency><containsDINumber xsi:nil="true"/></identifier>'
        f"</identifiers><brandName>B{i}</brandName><versionModelNumber>M{i}</versionModelNumber>"
        f"<lotBatch>true</lotBatch><expirationDate>true</expirationDate></device>\n"
        for i in range(n)
    )
    return f'\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<devices>\n{devices}</devices>\n'


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, object] = {"openfda/device-event-0001-of-0001.json": _events(n), "gudid/g.xml": _gudid(n // 4)}
        header = "MDR_REPORT_KEY|DEVICE_EVENT_KEY|DATE_RECEIVED|BRAND_NAME|UDI_PUBLIC\n"
        files["maude/foidev.txt"] = header + "".join(f"{i}||05/18/2026|PACK|\n" for i in range(n // 10))
        bundle = write_bundle(Path(tmp) / "b", files)
        start = time.perf_counter()
        result = run(bundle, pm=get_plugin_manager())
        took = time.perf_counter() - start
        print(
            f"{len(result.records)} records ({n} openFDA events, {n // 10} MAUDE FOI, {n // 4} GUDID devices), "
            f"{len(result.report.findings)} findings: {took:.2f} s, {len(result.records) / took:,.0f} records/s"
        )
        print(json.dumps(result.report.counts()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
