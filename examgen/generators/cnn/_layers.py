"""What every layer of the CNN questions has (conv_output, receptive_field): a k×k window moved
with a stride, for a convolution or a pooling (dilated only when it is a convolution)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class WindowLayer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["conv", "maxpool", "avgpool"]
    kernel: int = Field(ge=1, le=15)
    stride: int = Field(1, ge=1, le=8)

    @model_validator(mode="after")
    def _pool_not_dilated(self):
        if self.type != "conv" and getattr(self, "dilation", 1) != 1:
            raise ValueError("pooling layers here have dilation 1")
        return self

    @property
    def window(self) -> str:
        return f"{self.kernel}×{self.kernel}"

    @property
    def pooling(self) -> str:
        return "max" if self.type == "maxpool" else "average"
