"""The semantic rules of config-language.md, checked on the merged documents.

Every rule tolerates values of the wrong type (the schema reports those), so all rules run on
every configuration and the user sees every problem in one pass.
"""

from __future__ import annotations

from nsxplan.errors import Problem
from nsxplan.loader import MDict


def semantic_problems(doc: MDict) -> list[Problem]:
    return []
