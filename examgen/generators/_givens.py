"""Field types that the givens of generators in several lectures share."""

from typing import Annotated

from pydantic import Field

Number = Annotated[float, Field(ge=-1000, le=1000)]
"""A number a teacher may type in: any value within ±1000."""
