"""Labels in published tables that are not MedDRA terms.

Count tables pool the rest of their rows or columns under a label ("Other AEs", "Other PT", "Other"):
such a label is no preferred term and no drug. The count-table readers and the condition index both ask
here, so the two agree.
"""

from __future__ import annotations

import re

# The pooled 'everything else' labels of the shipped tables: "Other", "Other AEs", "Other_aes", "Other_AE",
# "Other Pt", "Other_drug(s)", "other_statins".
_POOLED = re.compile(r"other(?:[ _](?:aes?|pts?|drugs?|statins))?", re.IGNORECASE)


def is_pooled(label: str) -> bool:
    """True for a row or column that pools all remaining PTs or drugs (part of the margins, not a cell)."""
    return _POOLED.fullmatch(label.strip()) is not None
