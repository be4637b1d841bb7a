"""Use cases of the people who run the registry: back it up, restore it, check it (docs/operations.md).

Each opens the registry with the acting user, so what it did is logged with who did it (logging carries
the user, counts and revisions, never patient data).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from oncobasket.db import maintenance
from oncobasket.services.registry import Registry

logger = logging.getLogger(__name__)


def backup_registry(registry: Registry, out: Path, *, force: bool = False) -> dict[str, Any]:
    """Write a consistent backup of the registry to ``out`` (0600; an existing file only with ``force``)."""
    result = maintenance.backup(registry.database, out, force=force)
    logger.info("backup by %s: %s bytes, method %s", registry.actor, result["bytes"], result["method"])
    return result


def restore_registry(registry: Registry, backup_file: Path, *, force: bool = False) -> dict[str, Any]:
    """Replace the registry by a backup (a database holding a registry only with ``force``), then check it."""
    result = maintenance.restore(registry.database, backup_file, force=force)
    logger.warning("restore by %s from a backup: ok=%s", registry.actor, result["ok"])
    return result


def check_registry(registry: Registry) -> dict[str, Any]:
    """Check the schema revision, the database's integrity and that every audited row has its event."""
    report = maintenance.check(registry.database)
    if not report.ok:
        logger.warning("check by %s found %d problem(s)", registry.actor, len(report.problems))
    return report.as_dict()
