"""The JSON API, /api/v1: answer, signal, a drug's signals, a condition's drugs, trend, suggest, sources, health.

Every endpoint takes query parameters validated here (length, range, enumerations: a bad one is a 422 problem),
calls the Service, and returns JSON; errors are problem+json (serve/problems.py). The answer is the same JSON as
`adrlens ask --format json` (docs/answer.schema.json, also in the OpenAPI document under Answer*).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from adrlens import lookup
from adrlens.serve.problems import PROBLEM_TYPE, Problem
from adrlens.serve.service import SUGGEST_KINDS, Service
from adrlens.serve.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_SUGGESTIONS
from adrlens.sources import registry
from adrlens.store.screening import CONDITION_SORTS, DRUG_SORTS, TableQuery
from adrlens.vocab.question import MAX_INPUT_CHARS

router = APIRouter()

NAME_CHARS = 200  # a drug or condition name; a whole question may be MAX_INPUT_CHARS
# Examples in the OpenAPI document: /docs fills them in, and Schemathesis sends them, so a property test reaches
# a real answer and a real table (random text is mostly an unknown name).
EXAMPLE_QUESTION = "Can amlodipine cause peripheral neuropathy?"
EXAMPLE_DRUG, EXAMPLE_CONDITION, EXAMPLE_PT = "amlodipine", "peripheral neuropathy", "peripheral neuropathy"
Scope = Literal["narrow", "broad"]
Role = Literal["ps", "suspect", "any"]
By = Literal["quarter", "sex", "age", "reporter", "year"]
Sex = Literal["M", "F"]
AgeBand = Literal["0-1", "2-11", "12-17", "18-44", "45-64", "65-74", "75+"]
Reporter = Literal["health professional", "consumer", "lawyer", "unknown"]
SourceKey = Literal[tuple(registry.keys())]  # type: ignore[valid-type]
Order = Literal["asc", "desc"]
Kind = Literal[SUGGEST_KINDS]  # type: ignore[valid-type]

QuestionQ = Annotated[
    str | None,
    Query(
        max_length=MAX_INPUT_CHARS,
        description="The question, e.g. Can Norvasc cause tingling?",
        examples=[EXAMPLE_QUESTION],
    ),
]
OnlineQ = Annotated[
    bool, Query(description="Also ask openFDA and PubMed; needs a server started with `adrlens serve --online`.")
]
DrugQ = Annotated[str | None, Query(max_length=NAME_CHARS, description="The drug (brand, generic, salt, vaccine).")]
ConditionQ = Annotated[str | None, Query(max_length=NAME_CHARS, description="The condition (medical or lay words).")]
Page = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Rows per page, at most {MAX_PAGE_SIZE}.")]

_PROBLEM = {"content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The question could not be read", **_PROBLEM},
    404: {"description": "Unknown drug, condition or source", **_PROBLEM},
    409: {"description": "Ambiguous name: the problem lists the choices", **_PROBLEM},
    413: {"description": "Request body too large", **_PROBLEM},
    422: {"description": "Invalid parameters", **_PROBLEM},
    500: {"description": "Internal error (with an id to quote)", **_PROBLEM},
    503: {
        "description": "The store cannot be read (the problem names the command that rebuilds it), or too many new "
        "questions are waiting (Retry-After says when to ask again)",
        **_PROBLEM,
    },
}


def service(request: Request) -> Service:
    return request.app.state.service


class AnswerRequest(BaseModel):
    """A question, or a drug and a condition."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"question": EXAMPLE_QUESTION}]})
    question: str | None = Field(None, max_length=MAX_INPUT_CHARS)
    drug: str | None = Field(None, max_length=NAME_CHARS)
    condition: str | None = Field(None, max_length=NAME_CHARS)
    scope: Scope = "narrow"
    online: bool = Field(False, description="Also ask openFDA and PubMed (a server started with --online).")


class Health(BaseModel):
    status: str
    adrlens_version: str
    store: str
    built_at: str | None
    engines: int
    answer_cache: dict[str, int]
    table_cache: dict[str, int]


class SuggestionOut(BaseModel):
    text: str
    kind: Kind
    means: str
    cases: int


class Suggestions(BaseModel):
    query: str
    suggestions: list[SuggestionOut]


class Table(BaseModel):
    """A page of a screening table: `total` rows match the filters; `rows` is this page."""

    model_config = ConfigDict(extra="allow")
    total: int
    page: int
    per_page: int
    rows: list[dict[str, Any]]


class Signal(BaseModel):
    """One pair in each report source (`adrlens signal --json`)."""

    model_config = ConfigDict(extra="allow")
    drug: dict[str, Any]
    event: dict[str, Any]
    store: str
    sources: dict[str, Any]
    count_tables: list[Any]


class Sources(BaseModel):
    """What the store was built from."""

    model_config = ConfigDict(extra="allow")
    adrlens_version: str
    store: str
    built_at: str | None
    report_sources: list[dict[str, Any]]
    files: list[dict[str, Any]]
    label_sources: list[Any]
    literature_sources: list[Any]
    methods: dict[str, Any]


class Trend(BaseModel):
    drug: str
    pt: str
    source: str
    role: str
    points: list[dict[str, Any]]


async def _answer_response(
    svc: Service, question: str | None, drug: str | None, condition: str | None, scope: str, online: bool = False
):
    if not (question and question.strip()) and not (drug and condition):
        raise Problem(
            400,
            "Give a question (q=Can amlodipine cause peripheral neuropathy?) or both drug and condition "
            "(drug=amlodipine&condition=tingling).",
            kind="unreadable",
        )
    item = await svc.answer_item_async(question or None, drug or None, condition or None, scope, online)
    return Response(item["json"], media_type="application/json")


ANSWER_OK = {200: {"description": "The answer (docs/answer.schema.json)", "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}}}  # fmt: skip


@router.get("/answer", responses={**ANSWER_OK, **ERRORS}, response_class=Response, summary="Answer a question")
async def answer(
    request: Request,
    q: QuestionQ = None,
    drug: DrugQ = None,
    condition: ConditionQ = None,
    scope: Scope = "narrow",
    online: OnlineQ = False,
) -> Response:
    """A graded, sourced answer to "Can DRUG cause CONDITION?": the same JSON as `adrlens ask --format json`."""
    return await _answer_response(service(request), q, drug, condition, scope, online)


@router.post("/answer", responses={**ANSWER_OK, **ERRORS}, response_class=Response, summary="Answer (JSON body)")
async def answer_post(request: Request, body: Annotated[AnswerRequest, Body()]) -> Response:
    """The same answer, for a question sent as a JSON body (at most 16 KiB)."""
    return await _answer_response(service(request), body.question, body.drug, body.condition, body.scope, body.online)


@router.get("/signal", response_model=Signal, responses=ERRORS, summary="One pair in every report source")
def signal(
    request: Request,
    drug: Annotated[str, Query(min_length=1, max_length=NAME_CHARS, examples=[EXAMPLE_DRUG])],
    condition: Annotated[str, Query(min_length=1, max_length=NAME_CHARS, examples=[EXAMPLE_CONDITION])],
    scope: Scope = "narrow",
    role: Role = "suspect",
    by: By | None = None,
    source: Annotated[list[SourceKey] | None, Query(description="Only these report sources.")] = None,
    sex: Sex | None = None,
    age_band: AgeBand | None = None,
    reporter: Reporter | None = None,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
    year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> dict[str, Any]:
    """The 2x2, PRR, ROR, IC and EBGM of a drug and a condition in each report source, kept apart (the JSON of
    `adrlens signal --json`), with the subgroup options of the CLI."""
    subgroup = lookup.subgroup(sex, age_band, reporter, country, year_from, year_to)
    return service(request).signal(
        drug, condition, scope=scope, role=role, by=by, sources=list(source) if source else None, subgroup=subgroup
    )


def _table_query(
    source: str | None, role: str, min_cases: int, signal_only: bool, labelled: bool | None, term: str | None,
    sort: str, order: str, page: int, per_page: int,
) -> TableQuery:  # fmt: skip
    return TableQuery.for_page(
        page,
        per_page,
        order,
        source=source,
        role=role,
        min_cases=min_cases,
        signal_only=signal_only,
        labelled=labelled,
        term=term or None,
        sort=sort,
    )


DrugSort = Literal[DRUG_SORTS]  # type: ignore[valid-type]
ConditionSort = Literal[CONDITION_SORTS]  # type: ignore[valid-type]
MinCases = Annotated[int, Query(ge=1, le=1_000_000, description="Only pairs with at least this many reports.")]
Term = Annotated[str | None, Query(max_length=NAME_CHARS, description="Only rows whose term contains this text.")]


@router.get("/drugs/{drug}/signals", response_model=Table, responses=ERRORS, summary="A drug's signals")
async def drug_signals(
    request: Request,
    drug: Annotated[str, PathParam(min_length=1, max_length=NAME_CHARS, examples=[EXAMPLE_DRUG])],
    source: SourceKey | None = None,
    role: Role = "suspect",
    min_cases: MinCases = 1,
    signal_only: bool = False,
    labelled: Annotated[bool | None, Query(description="true: on a label; false: not on any label.")] = None,
    term: Term = None,
    sort: DrugSort = "eb05",
    order: Order = "desc",
    page: Page = 1,
    per_page: PerPage = DEFAULT_PAGE_SIZE,
) -> Response:
    """Every preferred term reported with the drug, per source: a, E, PRR/ROR/IC/EBGM with intervals, the
    signal rule's flag, labelled or not, and the class co-flags (same-class drugs flagged for the same term)."""
    q = _table_query(source, role, min_cases, signal_only, labelled, term, sort, order, page, per_page)
    return Response(await service(request).table_json_async("drug", drug, q), media_type="application/json")


@router.get("/conditions/{condition}/drugs", response_model=Table, responses=ERRORS, summary="A condition's drugs")
async def condition_drugs(
    request: Request,
    condition: Annotated[str, PathParam(min_length=1, max_length=NAME_CHARS, examples=[EXAMPLE_CONDITION])],
    scope: Scope = "narrow",
    source: SourceKey | None = None,
    role: Role = "suspect",
    min_cases: MinCases = 1,
    signal_only: bool = False,
    labelled: Annotated[bool | None, Query(description="true: on the drug's label; false: not on it.")] = None,
    term: Term = None,
    sort: ConditionSort = "eb05",
    order: Order = "desc",
    page: Page = 1,
    per_page: PerPage = DEFAULT_PAGE_SIZE,
) -> Response:
    """The drugs reported with the condition's preferred terms, each by its best pair (highest EB05)."""
    q = _table_query(source, role, min_cases, signal_only, labelled, term, sort, order, page, per_page)
    body = await service(request).table_json_async("condition", condition, q, scope)
    return Response(body, media_type="application/json")


@router.get("/trend", response_model=Trend, responses=ERRORS, summary="A pair's quarterly trend")
def trend(
    request: Request,
    drug: Annotated[str, Query(min_length=1, max_length=NAME_CHARS, examples=[EXAMPLE_DRUG])],
    pt: Annotated[
        str, Query(min_length=1, max_length=NAME_CHARS, description="A MedDRA preferred term.", examples=[EXAMPLE_PT])
    ],
    source: SourceKey,
    role: Role = "suspect",
) -> dict[str, Any]:
    """The cumulative 2x2 and PRR/ROR/IC of one (drug, preferred term) pair at the end of each quarter."""
    return service(request).trend(drug, pt, source, role)


@router.get("/suggest", response_model=Suggestions, responses=ERRORS, summary="Autocomplete")
async def suggest(
    request: Request,
    q: Annotated[str, Query(max_length=NAME_CHARS, description="The first letters of a name.", examples=["norv"])],
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)] = 10,
    kind: Annotated[list[Kind] | None, Query(description="Only these kinds of name.")] = None,
) -> dict[str, Any]:
    """Drugs, brands, vaccines, conditions, lay terms and reported terms starting with `q`, most reported first."""
    kinds = tuple(kind) if kind else SUGGEST_KINDS
    return {"query": q, "suggestions": service(request).suggest(q, limit=limit, kinds=kinds)}


@router.get("/sources", response_model=Sources, responses=ERRORS, summary="Data provenance")
def sources(request: Request) -> dict[str, Any]:
    """What the store was built from: each report source with its period, cases and files (sha256, rows read,
    loaded, repaired and skipped), the label and literature sources, the build date and the methods."""
    return service(request).sources()


@router.get("/health", response_model=Health, summary="Health")
async def health(request: Request) -> dict[str, Any]:
    """The server is up, with its store, build date, engines and answer cache."""
    return service(request).health()
