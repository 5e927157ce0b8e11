"""coop-advisor: recommends university-enterprise cooperation modes for a planned partnership.

    from advisor import advise
    advice = advise({"enterprise_size": "large", "duration_months": 60})
    print(advice.leading_mode, advice.decision)

Everything named in __all__ is the public, stable API; other modules are implementation.
"""

from .advice import Advice, DifficultyFlag, ModeAssessment, NextQuestion, Reason
from .core import Advisor, advise, default_advisor, validate_profile
from .errors import AdvisorError, FieldProblem, InputError, ProfileError, RulePackError
from .profile import ATTRIBUTES, Profile

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
