"""The partnership profile: the validated input every surface hands to the advisor."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, ValidationInfo, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

FundingSource = Literal["enterprise", "government", "university", "investor", "foreign"]
EnterpriseSize = Literal["large", "medium", "small", "none"]
Engagement = Literal["active", "passive"]
DisciplineStrength = Literal["leading", "competitive", "ordinary"]
ResearcherIncentives = Literal["below_enterprise", "comparable"]
Scope = Literal["single_problem", "single_program", "multi_program"]
Disciplines = Literal["single", "multi"]
ResearchStage = Literal["fundamental", "applied", "pilot", "production", "market"]
TechnologyLevel = Literal["high", "conventional", "low"]
IpOwner = Literal["enterprise", "university", "joint", "undecided"]
Level = Literal["low", "medium", "high"]
GovernmentRole = Literal["funder", "mediator", "policy"]
UniversityGoal = Literal["public_interest", "academic", "commercial"]
# NOTE: what the university / institute delivers, in the seed's own two acts: guidance and service
# on a bottleneck (Technology Service) or research the enterprise funds under an agreement
# (Program Cooperation). A finished result is `existing_result`, shares `university_takes_equity`.
UniversityContribution = Literal["guidance_service", "commissioned_research"]
InternationalChannel = Literal["governmental", "non_governmental"]
InternationalParties = Literal["bilateral", "multilateral"]
Sector = Literal[
    "electric_vehicles",
    "wind_power",
    "solar",
    "new_materials",
    "biotechnology",
    "information_technology",
    "healthcare",
    "agriculture",
    "manufacturing",
    "other",
]


class Profile(BaseModel):
    """A planned partnership. Every attribute is optional: missing means unknown, never "no"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(None, description="Proposal identifier (batch rows); not read by rules.")
    title: str | None = Field(None, description="Proposal title (free text); not read by rules.")

    duration_months: Annotated[int, Field(ge=1, le=600)] | None = Field(
        None, description="Planned duration of the cooperation in months (1-600).", json_schema_extra={"unit": "months"}
    )
    funding_cny: Annotated[float, Field(ge=0, le=1e13, allow_inf_nan=False)] | None = Field(
        None, description="Committed funding in CNY (0 to 10 trillion).", json_schema_extra={"unit": "cny"}
    )
    funding_sources: list[FundingSource] | None = Field(None, description="Who pays.")
    pilot_funding_secured: bool | None = Field(
        None, description="Money / risk compensation for the pilot-scale phase is secured."
    )
    enterprise_size: EnterpriseSize | None = Field(
        None, description="Size of the enterprise partner; none = no outside enterprise."
    )
    enterprise_count: Annotated[int, Field(ge=0, le=100000)] | None = Field(
        None, description="How many enterprises take part (0 = none; an alliance joins several large ones)."
    )
    institution_count: Annotated[int, Field(ge=1, le=100000)] | None = Field(
        None, description="How many universities / research institutes take part."
    )
    enterprise_engagement: Engagement | None = Field(
        None, description="Whether the enterprise is actively driving the cooperation."
    )
    enterprise_can_industrialize: bool | None = Field(
        None, description="The enterprise can do pilot scale, production and market development itself."
    )
    university_discipline_strength: DisciplineStrength | None = Field(
        None, description="Strength of the university's discipline in the field."
    )
    institution_transformed: bool | None = Field(
        None, description="The university/institute has gone through system transformation."
    )
    researcher_incentives: ResearcherIncentives | None = Field(
        None, description="Researchers' material incentives compared with the enterprise's."
    )
    scope: Scope | None = Field(None, description="Single problem, single program or multi-program.")
    disciplines: Disciplines | None = Field(None, description="Mono- or multi-discipline.")
    research_stages: list[ResearchStage] | None = Field(
        None, description="Stages of the development-pilot-product-commodity chain covered."
    )
    technology_level: TechnologyLevel | None = Field(None, description="Level of the technology involved.")
    existing_result: bool | None = Field(
        None, description="The institution already holds a finished result / patent to commercialize."
    )
    university_contribution: UniversityContribution | None = Field(
        None,
        description=(
            "What the university/institute delivers: guidance and service on a production problem,"
            " or new research the enterprise pays for under an agreement."
        ),
    )
    ip_owner: IpOwner | None = Field(None, description="Who will own the resulting IP.")
    ipr_sensitivity: Level | None = Field(None, description="How much patents and confidentiality matter.")
    ipr_agreement: bool | None = Field(None, description="A written IPR agreement exists.")
    university_takes_equity: bool | None = Field(
        None, description="The institution will convert results into shares and share risk."
    )
    university_commercializes: bool | None = Field(
        None, description="The institution intends to run its own enterprise."
    )
    joint_entity: bool | None = Field(
        None, description="A joint R&D centre, transfer centre or incubation base is planned."
    )
    government_roles: list[GovernmentRole] | None = Field(
        None, description="Government as funder, mediator / information platform, or through policy; [] = none."
    )
    university_goal: UniversityGoal | None = Field(None, description="The university's value orientation.")
    risk_sharing: Level | None = Field(None, description="Appetite to share investment risk.")
    foreign_partner: bool | None = Field(None, description="A foreign partner takes part (international cooperation).")
    international_channel: InternationalChannel | None = Field(
        None, description="Governmental or non-governmental international channel."
    )
    international_parties: InternationalParties | None = Field(
        None, description="Bilateral or multilateral international cooperation."
    )
    foreign_controlled_fund: bool | None = Field(
        None, description="The cooperation fund is executed by the foreign side alone."
    )
    sector: Sector | None = Field(None, description="The field of the partnership.")

    @field_validator("*", mode="before")
    @classmethod
    def _read_value(cls, value: Any, info: ValidationInfo) -> Any:
        # NOTE: one vocabulary for every surface (advisor/values.py): text is read leniently
        # (yes/no words, labels, 200万, 1.5y), typed JSON strictly (1 is not true), amounts are
        # kept to the cent; free text (id, title) only refuses what it cannot carry (control
        # characters, lone surrogates).
        try:
            return _readers()[str(info.field_name)](value)
        except ValueError as error:
            from .values import printable

            # NOTE: pydantic renders the message as UTF-8; a lone surrogate quoted in it (or in
            # the refused list item) would turn the clear refusal into a UnicodeEncodeError.
            ctx = {"message": printable(str(error)), "problem": getattr(error, "problem", "invalid")}
            index = getattr(error, "index", None)
            if index is not None:
                item = getattr(error, "details", {}).get("item")
                ctx["index"] = index
                ctx["item"] = printable(item) if isinstance(item, str) else item
            raise PydanticCustomError("profile_value", "{message}", ctx) from None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # NOTE: the published schema is what the library accepts: for each attribute the typed
        # JSON form plus its text form, the converter's own expression (see docs/input.md).
        schema = handler.resolve_ref_schema(handler(core_schema))
        from .values import FREE_TEXT_PATTERN, item_schema, string_schema

        for name, spec in ATTRIBUTES.items():
            prop = schema["properties"][name]
            kept = {key: prop[key] for key in ("title", "description", "default") if key in prop}
            typed: list[dict[str, Any]]
            if spec.kind == "boolean":
                typed = [{"type": "boolean"}]
            elif spec.kind in ("integer", "number"):
                bounds = {"minimum": spec.minimum, "maximum": spec.maximum}
                typed = [{"type": spec.kind, **{key: v for key, v in bounds.items() if v is not None}}]
            elif spec.kind == "choice":
                typed = [{"type": "string", "enum": list(spec.choices)}]
            else:
                typed = [{"type": "array", "items": item_schema(name)}]
            schema["properties"][name] = {**kept, "anyOf": [*typed, string_schema(name), {"type": "null"}]}
        for name in NOT_RULE_ATTRIBUTES:
            prop = schema["properties"][name]
            kept = {key: prop[key] for key in ("title", "description", "default") if key in prop}
            text = {"type": "string", "pattern": FREE_TEXT_PATTERN}
            schema["properties"][name] = {**kept, "anyOf": [text, {"type": "null"}]}
        return schema

    def known(self) -> dict[str, Any]:
        """The answered rule attributes, as plain JSON-able values (id and title left out)."""
        data = self.model_dump(exclude_none=True, exclude={"id", "title"})
        return data


NOT_RULE_ATTRIBUTES = frozenset({"id", "title"})

Kind = Literal["integer", "number", "boolean", "choice", "list"]


@dataclass(frozen=True)
class AttributeSpec:
    """What one profile attribute accepts, read off the Profile model."""

    name: str
    kind: Kind
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: How text is read for a number: "months" (18, 1.5y, 1年半), "cny" (200万) or None.
    unit: str | None = None

    def allowed(self) -> str:
        """A human description of the allowed values, for error messages."""
        if self.kind == "boolean":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "list":
            return "a list of " + ", ".join(self.choices) + " (in text: separated by ';')"
        bounds = []
        if self.minimum is not None:
            bounds.append(f">= {_number(self.minimum)}")
        if self.maximum is not None:
            bounds.append(f"<= {_number(self.maximum)}")
        noun = "an integer" if self.kind == "integer" else "a number"
        return noun + (" " + " and ".join(bounds) if bounds else "")


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _unwrap_optional(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _spec_for(name: str, annotation: Any, description: str, unit: str | None = None) -> AttributeSpec:
    annotation = _unwrap_optional(annotation)
    minimum = maximum = None
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        for meta in metadata:
            for item in getattr(meta, "metadata", [meta]):
                minimum = getattr(item, "ge", minimum)
                maximum = getattr(item, "le", maximum)
        annotation = base
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        return AttributeSpec(name, "list", description, tuple(get_args(item)))
    if get_origin(annotation) is Literal:
        return AttributeSpec(name, "choice", description, tuple(get_args(annotation)))
    if annotation is bool:
        return AttributeSpec(name, "boolean", description)
    if annotation is int:
        return AttributeSpec(name, "integer", description, (), minimum, maximum, unit)
    if annotation is float:
        return AttributeSpec(name, "number", description, (), minimum, maximum, unit)
    raise TypeError(f"profile attribute {name!r} has an unsupported type {annotation!r}")


def _build_specs() -> dict[str, AttributeSpec]:
    hints = typing.get_type_hints(Profile, include_extras=True)
    specs = {}
    for name, field in Profile.model_fields.items():
        if name in NOT_RULE_ATTRIBUTES:
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        unit = extra.get("unit")
        specs[name] = _spec_for(name, hints[name], field.description or "", unit if isinstance(unit, str) else None)
    return specs


#: Every rule attribute of the profile, in the order the Profile model declares them.
ATTRIBUTES: dict[str, AttributeSpec] = _build_specs()


_READERS: dict[str, Any] = {}


def _readers() -> dict[str, Any]:
    """Each field's reading function (advisor.values.readers, and text hygiene for id and title).

    NOTE: imported on first use because values.py reads ATTRIBUTES from this module, and kept
    here because an import statement per field costs microseconds."""
    if not _READERS:
        from .values import readers, text_problem

        def free_text(value: Any) -> Any:
            problem = text_problem(value) if isinstance(value, str) else None
            if problem:
                raise _Refused(problem)
            return value

        _READERS.update(readers())
        _READERS.update(dict.fromkeys(NOT_RULE_ATTRIBUTES, free_text))
    return _READERS


class _Refused(ValueError):
    problem = "control"
