"""``python -m evidence_kit.examples``: regenerate the example bundles."""

from __future__ import annotations

import sys

from evidence_kit.examples import main

sys.exit(main())
