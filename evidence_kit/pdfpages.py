"""Public helpers for plugins that draw binder pages with reportlab (an analysis's ``render_pdf``).

They are the binder's own, so a plugin's tables wrap text the way the binder's tables do.
"""

from __future__ import annotations

from evidence_kit._binder_pages import wrap

__all__ = ["wrap"]
