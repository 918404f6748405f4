"""The built-in plugins of evidence-kit: record types, sources, rule packs, profiles and formats.

Each module is one plugin, registered by name through the same hooks a third-party plugin uses,
and imports only the public ``evidence_kit`` API.
"""
