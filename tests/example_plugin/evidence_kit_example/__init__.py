"""Example third-party plugin for evidence-kit."""
