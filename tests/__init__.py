"""The evidence-kit test suite (a package, so helper modules import relatively)."""
