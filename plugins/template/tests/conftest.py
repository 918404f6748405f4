"""Load the evidence-kit test kit as a pytest plugin."""

# The plugin author's kit: fixtures make_bundle and plugin_manager, helpers in evidence_kit.testing.
pytest_plugins = ["evidence_kit.testing"]
