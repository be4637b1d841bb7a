"""Audit the locked dependencies (constraints.txt) for known vulnerabilities with pip-audit.

``make test`` runs this. It fails when a locked package has a known vulnerability, and only warns when
the vulnerability database cannot be reached (an offline build must not fail for lack of network, but a
build that could check and found something must). Usage: ``python tools/audit_dependencies.py [LOCK]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def verdict(report: dict[str, Any] | None) -> tuple[int, list[str]]:
    """(exit code, lines to print) for a pip-audit JSON report; None when pip-audit gave no report."""
    if report is None:
        return 0, ["warning: dependency audit skipped: pip-audit could not reach the vulnerability database"]
    dependencies = report.get("dependencies", [])
    found = [
        f"{item['name']} {item.get('version', '?')}: {vuln.get('id', '?')} (fixed in {', '.join(vuln.get('fix_versions', [])) or 'no release yet'})"
        for item in dependencies
        for vuln in item.get("vulns", [])
    ]
    if found:
        return 1, ["error: known vulnerabilities in locked dependencies:", *found]
    audited = [item for item in dependencies if "skip_reason" not in item]
    if dependencies and not audited:
        return 0, ["warning: dependency audit skipped: the vulnerability database answered for no package (offline?)"]
    skipped = len(dependencies) - len(audited)
    note = f" ({skipped} not found in the database)" if skipped else ""
    return 0, [f"dependency audit: {len(audited)} locked packages, no known vulnerabilities{note}"]


def main() -> int:
    lock = Path(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt")
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--requirement", str(lock), "--no-deps", "--disable-pip",
                   "--progress-spinner", "off", "--format", "json", "--output", str(output), "--timeout", "20"]
        subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed command
        try:
            report = json.loads(output.read_text()) if output.is_file() else None
        except json.JSONDecodeError:
            report = None
    code, lines = verdict(report)
    for line in lines:
        print(line, file=sys.stderr if code or line.startswith("warning") else sys.stdout)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
