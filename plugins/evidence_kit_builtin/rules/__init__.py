"""Built-in rules plugins."""
