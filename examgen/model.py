"""The data model: questions, exams, answer sheets and grade reports (pydantic v2).

Every file examgen reads or writes is one of these models, serialised as JSON.
Values (givens, reference answers, student answers) are plain JSON values: numbers,
strings and nested lists, so a file round-trips exactly.
"""


from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from . import kinds

EXAM_FORMAT = "examgen-exam/1"
ANSWERS_FORMAT = "examgen-answers/1"
REPORT_FORMAT = "examgen-report/1"
CLASS_FORMAT = "examgen-class/1"
GRADEBOOK_FORMAT = "examgen-gradebook/1"
GIVENS_FORMAT = "examgen-givens/1"

StepKind = Literal[kinds.names()]  # type: ignore[valid-type]
"""How a step's value is written, read and compared: one of the answer kinds in
:mod:`examgen.kinds` (scalar, vector, matrix, tensor, integer, choice, expression, and for the
question bank single, multi, truefalse, ordering)."""

Status = Literal["correct", "follow_through", "mistake", "near_miss", "partial", "wrong", "missing", "invalid"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Tolerance(Model):
    """When a number counts as right: ``|x - ref| <= max(abs, rel * |ref|)``.

    ``decimals`` / ``sigfigs`` record what the question asks the student to give; the
    tolerance is one unit in that last place, so a correctly rounded answer (and one
    computed from correctly rounded intermediate results) is accepted.
    """

    rel: float = Field(0.0, ge=0)
    abs: float = Field(0.0, ge=0)
    decimals: int | None = None
    sigfigs: int | None = None

    @classmethod
    def places(cls, decimals: int) -> "Tolerance":
        """Answer to ``decimals`` decimal places."""
        # one unit in the last place; a whole number must be exactly that whole number
        return cls(abs=10.0 ** -decimals if decimals > 0 else 0.5, decimals=decimals)

    @classmethod
    def exact(cls) -> "Tolerance":
        """Whole numbers given exactly ('give the values exactly'): a map of whole numbers, entry by
        entry. Unlike ``places(0)`` (±0.5), a value one off is wrong, not a near miss."""
        return cls(abs=1e-9, decimals=0)

    @classmethod
    def significant(cls, sigfigs: int) -> "Tolerance":
        """Answer to ``sigfigs`` significant figures."""
        return cls(rel=10.0 ** (1 - sigfigs), abs=1e-12, sigfigs=sigfigs)

    def describe(self) -> str:
        if self.sigfigs is not None:
            return f"{self.sigfigs} significant figures (±{self.rel:.0%} relative)"
        if self.decimals is not None:
            extra = f", or ±{self.rel:.1%} of the value if larger" if self.rel else ""
            return f"{self.decimals} decimals (±{self.abs:g}{extra})"
        return f"±{self.abs:g} or ±{self.rel:.1%} of the value, whichever is larger"


class Step(Model):
    """One named step of a solution: what it is, how it is computed, its reference value."""

    name: str
    label: str = Field(description="How the step is shown, e.g. '$\\hat{\\mu}_1$'; may hold $math$.")
    kind: StepKind
    value: JsonValue = Field(description="The reference value.")
    formula: str | None = Field(None, description="LaTeX: the formula in the course's notation.")
    work: str | None = Field(None, description="LaTeX: the formula with the numbers put in.")
    tolerance: Tolerance | None = None
    shape: list[int] | None = None
    options: list[str] | None = Field(None, description="The allowed answers of a choice step.")
    variables: list[str] | None = Field(None, description="The names an expression step may use.")
    asked: bool = Field(True, description="False for a step shown only in the worked solution.")
    feedback: dict[str, str] | None = Field(
        None, description="Option or statement text -> why it is right or wrong (question-bank steps).")
    explanation: str | None = Field(None, description="Markup shown with the answer in the solutions.")
    alternatives: list[JsonValue] | None = Field(
        None, description="Other values that are equally right, e.g. the tied actions of an argmax.")


class Part(Model):
    """A subtask, scored 0-10: the steps the student fills in, and which of them are its answer."""

    id: str
    prompt: str
    points: int = Field(10, ge=0, le=1000)
    steps: list[str]
    answer: list[str]


class Mistake(Model):
    """A common mistake the grader recognises, and the credit a step made with it earns."""

    name: str
    description: str
    credit: float = Field(0.0, ge=0, le=1)
    values: dict[str, JsonValue] | None = Field(
        None, description="Step values this mistake gives, stored for generators the grader cannot re-run.")


class Question(Model):
    id: str
    generator: str
    version: int
    seed: int | None = Field(None, description="None when the givens were typed in, not drawn.")
    topic: str
    goal: str = Field(description="Learning-goal id, e.g. '07.4'.")
    title: str
    givens: dict[str, JsonValue]
    stem: str = Field(description="Question text; $...$ is inline math, $$...$$ display math.")
    parts: list[Part]
    steps: list[Step]
    mistakes: list[Mistake] = []
    figure: str | None = Field(None, description="An SVG drawing of the givens, made when the question is built.")

    def step(self, name: str) -> Step:
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)


Name = Annotated[str, Field(min_length=1, max_length=64)]


class ExamSpec(Model):
    """Everything needed to rebuild an exam: the same spec gives the same exam (a keyed variant
    also needs the teacher's secret). Bounded, so a spec read from an untrusted file cannot ask
    for more than an exam can hold before anything is built."""

    topics: list[Name] = Field(max_length=64)
    seed: int = Field(ge=0, le=2**63 - 1)
    count: int | None = Field(None, ge=1, le=50, description="Questions per topic; None = the default.")
    generators: list[Name] | None = Field(None, max_length=200)
    variant: Name | None = Field(None, description="A student's variant: its code in a keyed class (or, "
                                 "not keyed, any name; numbers differ per variant, structure does not).")
    keyed: bool = Field(False, description="True when the variant's numbers come from the teacher's "
                        "secret: the spec alone cannot rebuild the exam.")
    concept_share: float = Field(0.0, ge=0, le=1, description="Share of questions from the question bank.")


class Exam(Model):
    format: Literal["examgen-exam/1"] = EXAM_FORMAT
    id: str
    title: str
    spec: ExamSpec
    questions: list[Question]


class Student(Model):
    id: Name
    name: str | None = Field(None, max_length=200)


class AnswerSheet(Model):
    """A student's answers: question id -> part id -> step name -> answer (null = not answered)."""

    format: Literal["examgen-answers/1"] = ANSWERS_FORMAT
    exam_id: str = Field(max_length=100)
    spec: ExamSpec | None = None
    student: Student | None = None
    answers: dict[str, dict[str, dict[str, JsonValue]]]


class StepResult(Model):
    name: str
    answer: JsonValue = None
    status: Status
    credit: float = Field(ge=0, le=1)
    expected: JsonValue = Field(None, description="The reference value.")
    mistakes: list[str] = Field([], description="Named common mistakes the answer matches (ties: all).")
    message: str | None = None


class PartReport(Model):
    id: str
    score: float
    points: int
    steps: list[StepResult]
    notes: list[str] = Field(description="The credit decisions, in words.")


class QuestionReport(Model):
    id: str
    generator: str
    title: str
    score: float
    points: int
    parts: list[PartReport]
    problems: list[str] = []


class GradeReport(Model):
    format: Literal["examgen-report/1"] = REPORT_FORMAT
    exam_id: str
    student: Student | None = None
    score: float
    points: int
    questions: list[QuestionReport]
    problems: list[str] = Field([], description="Answers for questions the exam does not have.")
    policy: str = Field("", description="How scores are computed.")


class GivensFile(Model):
    """The givens of one problem, typed in by a teacher: ``examgen solve GEN --givens-file FILE``
    (``examgen solve GEN --template --json`` writes one to edit)."""

    format: Literal["examgen-givens/1"] = GIVENS_FORMAT
    generator: str = Field(description="The generator id the givens are for, e.g. 'bellman'.")
    givens: dict[str, JsonValue] = Field(description="Given name -> value, as `examgen solve GEN --help` lists them.")


class ClassStudent(Student):
    """A student of a class roster, with where their files are and which variant they have."""

    folder: str = Field(description="Their folder under students/ and teacher/.")
    variant: str | None = Field(None, description="Their variant's code (printed on their exam).")
    exam_id: str | None = Field(None, description="Their variant's exam id.")
    section: str | None = Field(None, max_length=64)
    sis_login_id: str | None = Field(None, max_length=64)
    canvas_id: str | None = Field(None, max_length=64)


class OutlinePart(Model):
    id: str
    points: int
    steps: list[str] = Field(description="The asked steps' labels (every variant asks the same).")


class OutlineQuestion(Model):
    id: str
    generator: str
    title: str
    parts: list[OutlinePart]


class ClassRecord(Model):
    """``CLASS/class.json``: who is in a class built with ``make --students`` and which variant each
    has; the teacher's ``teacher/<folder>/exam.json`` holds each variant's reference answers."""

    format: Literal["examgen-class/1"] = CLASS_FORMAT
    title: str
    spec: ExamSpec = Field(description="The class's spec, without a variant.")
    points: int
    questions: list[OutlineQuestion] = Field(description="What every variant asks, in order.")
    students: list[ClassStudent]


Flag = Literal["no_sheet", "duplicate", "wrong_variant", "not_on_roster", "unnamed", "unknown_exam", "unreadable"]
"""What a gradebook row needs the teacher to know: no sheet for a roster student; two or more
sheets for one student (each listed); a sheet answering another student's variant; a sheet for
someone not on the roster; a sheet naming no student (matched by its variant); a sheet for an
exam not of this class; a file that cannot be read."""

HELD: tuple[str, ...] = ("duplicate", "wrong_variant", "not_on_roster", "unknown_exam", "unreadable")
"""Flags that keep a row's score out of canvas.csv until the teacher decides."""


class GradebookRow(Model):
    student: ClassStudent | Student | None = Field(description="The roster student, or who the sheet names.")
    on_roster: bool
    file: str | None = Field(None, description="The submitted file (None: no sheet).")
    score: float | None = None
    points: int
    flags: list[Flag] = []
    notes: list[str] = Field([], description="Each flag in words, and a file's error.")
    report: GradeReport | None = None

    @property
    def counted(self) -> bool:
        """True when the score goes to the LMS (no flag that needs a decision)."""
        return self.score is not None and self.on_roster and not set(self.flags) & set(HELD)


class Gradebook(Model):
    """``gradebook.json``: every row of a graded class with its full report."""

    format: Literal["examgen-gradebook/1"] = GRADEBOOK_FORMAT
    title: str
    spec: ExamSpec
    points: int
    questions: list[OutlineQuestion]
    rows: list[GradebookRow]


SCHEMAS = {"exam": Exam, "answers": AnswerSheet, "report": GradeReport, "givens": GivensFile,
           "class": ClassRecord, "gradebook": Gradebook}
