"""``python -m evidence_kit`` runs the command-line tool."""

from evidence_kit.cli import console

console()
