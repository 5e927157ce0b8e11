"""coop-advisor: recommends university-enterprise cooperation modes for a planned partnership.

    from advisor import advise
    advice = advise({"enterprise_size": "large", "duration_months": 60})
    print(advice.leading_mode, advice.decision)

Everything named in __all__ is the public, stable API; other modules are implementation.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .advice import Advice, DifficultyFlag, ModeAssessment, NextQuestion, Reason
    from .core import Advisor, advise, default_advisor, validate_profile
    from .errors import AdvisorError, FieldProblem, InputError, ProfileError, RulePackError
    from .profile import ATTRIBUTES, Profile

# NOTE: names are imported on first use (PEP 562) so that `advisor --help`, which imports
# this package, does not pay for pydantic and durable-rules.
_EXPORTS = {
    "Advice": "advice",
    "DifficultyFlag": "advice",
    "ModeAssessment": "advice",
    "NextQuestion": "advice",
    "Reason": "advice",
    "Advisor": "core",
    "advise": "core",
    "default_advisor": "core",
    "validate_profile": "core",
    "AdvisorError": "errors",
    "FieldProblem": "errors",
    "InputError": "errors",
    "ProfileError": "errors",
    "RulePackError": "errors",
    "ATTRIBUTES": "profile",
    "Profile": "profile",
}

__all__ = [
    "ATTRIBUTES",
    "Advice",
    "Advisor",
    "AdvisorError",
    "DifficultyFlag",
    "FieldProblem",
    "InputError",
    "ModeAssessment",
    "NextQuestion",
    "Profile",
    "ProfileError",
    "Reason",
    "RulePackError",
    "advise",
    "default_advisor",
    "validate_profile",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
