"""Trainable and frozen parameters in transfer learning."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...registry import Generator, Givens, generator
from ...steps import Steps
from .._draw import pick
from .._mistakes import BIASES_NOT_COUNTED, FLATTEN_SPATIAL_IGNORED, INPUT_CHANNELS_IGNORED
from ._numbers import big


class TLayer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["conv", "dense"]
    size: int = Field(ge=1, le=100_000, description="number of filters (conv) or of units (dense)")
    kernel: int = Field(1, ge=1, le=15, description="kernel size k of a k x k convolution")

    def describe(self) -> str:
        if self.type == "conv":
            return f"convolution, {self.size} filters of size {self.kernel}×{self.kernel}"
        return f"dense, {self.size} units"


class TransferGivens(Givens):
    in_channels: int = Field(ge=1, le=100_000, description="channels of the input image (CNN) or "
                                                           "number of input features (dense network)")
    layers: list[TLayer] = Field(min_length=2, max_length=8, description="the pretrained network's "
                                 "layers; the last is the old classifier")
    pool: Literal["gap", "flatten"] = Field("gap", description="between the last convolution and the "
                                            "first dense layer: global average pooling or flatten")
    spatial: int = Field(1, ge=1, le=64, description="side of the feature map that is flattened")
    new_classes: int = Field(ge=1, le=100_000)
    trained: int = Field(ge=1, description="number of last layers that are fine-tuned")

    @model_validator(mode="after")
    def _structure(self):
        types = [layer.type for layer in self.layers]
        if types[-1] != "dense":
            raise ValueError("the last layer (the classifier) must be dense")
        if "conv" in types and types.index("dense") < len(types) - types[::-1].index("conv"):
            raise ValueError("all convolutions must come before the dense layers")
        if any(layer.type == "dense" and layer.kernel != 1 for layer in self.layers):
            raise ValueError("dense layers have no kernel")
        if self.trained > len(self.layers):
            raise ValueError(f"trained must be at most the number of layers ({len(self.layers)})")
        if "conv" not in types and (self.pool != "gap" or self.spatial != 1):
            raise ValueError("pool and spatial only apply to a network with convolutions")
        if self.pool == "gap" and self.spatial != 1:
            raise ValueError("spatial only applies with pool = flatten")
        return self


@generator(id="transfer_params", topic="generalization", goal="08.12", version=2,
           title="Trainable and frozen parameters in transfer learning")
class TransferParams(Generator):
    """A pretrained CNN or dense network whose classifier is replaced for a new task and whose
    last layers are fine-tuned: parameters per layer, in total, trainable and frozen."""

    Givens = TransferGivens

    def draw(self, rng):
        old = pick(rng, [1000, 1000, 100, 10])
        new = pick(rng, [c for c in (2, 3, 5, 10, 20) if c != old])
        if rng.random() < 0.7:
            c = pick(rng, [1, 3, 3])
            layers, f = [], pick(rng, [8, 16, 16, 32])
            for _ in range(pick(rng, [1, 2, 2, 3])):
                layers.append(TLayer(type="conv", size=f, kernel=pick(rng, [3, 3, 3, 5, 1])))
                f = min(2 * f, 128) if rng.random() < 0.6 else f
            pool = pick(rng, ["gap", "flatten"])
            spatial = pick(rng, [2, 4]) if pool == "flatten" else 1
        else:
            c = pick(rng, [784, 1024, 100, 64])
            layers, pool, spatial = [], "gap", 1
        for _ in range(pick(rng, [1, 1, 2]) if layers else pick(rng, [1, 2, 2, 3])):
            layers.append(TLayer(type="dense", size=pick(rng, [32, 64, 100, 128, 256])))
        layers.append(TLayer(type="dense", size=old))
        trained = pick(rng, [1, 2, 2, 3][: len(layers) - 1])
        return TransferGivens(in_channels=c, layers=layers, pool=pool, spatial=spatial,
                              new_classes=new, trained=trained)

    def _inputs(self, g):
        """Each layer's input size (channels for a conv, features for a dense layer)."""
        sizes, prev = [], g.in_channels
        for i, layer in enumerate(g.layers):
            if layer.type == "dense" and i > 0 and g.layers[i - 1].type == "conv" and g.pool == "flatten":
                prev = g.spatial ** 2 * prev
            sizes.append(prev)
            prev = layer.size
        return sizes

    def stem(self, g):
        L = len(g.layers)
        cnn = g.layers[0].type == "conv"
        lines = ["- Input: " + (f"an image with {g.in_channels} channel{'s' if g.in_channels > 1 else ''}"
                                if cnn else f"a vector of {g.in_channels} features")]
        for i, layer in enumerate(g.layers, 1):
            if layer.type == "dense" and i > 1 and g.layers[i - 2].type == "conv":
                if g.pool == "gap":
                    lines.append("- Global average pooling: one value per channel "
                                 f"({g.layers[i - 2].size} values)")
                else:
                    lines.append(f"- Pooling and flatten: each of the {g.layers[i - 2].size} feature maps of "
                                 f"the last convolution is pooled to {g.spatial}×{g.spatial}, and the "
                                 "result is flattened into a vector")
            extra = " (the classifier of the old task)" if i == L else ""
            lines.append(f"- Layer {i}: {layer.describe()}{extra}")
        frozen = L - g.trained
        if g.trained == 1:
            which = f"Only the new layer {L} is trained"
        else:
            which = f"Layers {L - g.trained + 1}–{L} (the new layer {L} included) are fine-tuned"
        rest = ("; layer 1 is frozen" if frozen == 1 else f"; layers 1–{frozen} are frozen") if frozen else \
            "; no layer is frozen"
        return (
            f"A {'convolutional' if cnn else 'dense'} network was pretrained on a dataset with "
            f"{g.layers[-1].size} classes. Its layers, in order:\n\n" + "\n".join(lines) + "\n\n"
            "Every convolution and dense layer has a bias (one per filter or unit), a convolution "
            "filter spans all its input channels, and activations, pooling and flattening have no "
            f"parameters. For a new task with {g.new_classes} classes, layer {L} is replaced by a new "
            f"dense layer with {g.new_classes} units. {which}{rest} (their parameters have "
            "requires_grad = False)."
        )

    def solve(self, s: Steps, g: TransferGivens):
        L = len(g.layers)
        inputs = self._inputs(g)
        s.part("Give the number of parameters (weights and biases) of every layer of the network "
               "for the new task.")
        counts = []
        bias_missing = s.mistake(BIASES_NOT_COUNTED)
        bias = 0 if bias_missing else 1
        for i, (layer, n_in) in enumerate(zip(g.layers, inputs), 1):
            out = g.new_classes if i == L else layer.size
            if i == L and s.mistake("old_head", "counted the old classifier; the new last layer has "
                                                "one unit per new class"):
                out = layer.size
            if layer.type == "conv":
                k2 = layer.kernel ** 2
                cin = n_in
                if n_in > 1 and s.mistake(INPUT_CHANNELS_IGNORED):
                    cin = 1
                p = s.step(f"p{i}", (k2 * cin + bias) * out, r"(k \cdot k \cdot C_{in} + 1) \cdot F",
                           lambda: rf"({layer.kernel} \cdot {layer.kernel} \cdot {n_in} + 1) \cdot {layer.size}",
                           label=f"parameters of layer {i}")
            else:
                fin = n_in
                flat = i > 1 and g.layers[i - 2].type == "conv" and g.pool == "flatten" and g.spatial > 1
                if flat and s.mistake(FLATTEN_SPATIAL_IGNORED):
                    fin = g.layers[i - 2].size
                p = s.step(f"p{i}", (fin + bias) * out, r"(n_{in} + 1) \cdot n_{out}",
                           lambda: (rf"({g.spatial} \cdot {g.spatial} \cdot {g.layers[i - 2].size} + 1)"
                                    rf" \cdot {out}"
                                    if flat else rf"({n_in} + 1) \cdot {out}"),
                           label=f"parameters of layer {i}")
            counts.append(p)

        s.part("How many parameters does the new network have in total, how many are trainable, "
               "and how many are frozen?")
        total = s.step("total", sum(counts), r"\sum_l \text{params}_l",
                       lambda: " + ".join(big(c) for c in counts), label="total parameters")
        first = L - g.trained  # index of the first trained layer
        if first > 0 and s.mistake("frozen_counted_trainable", "counted the frozen parameters as "
                                   "trainable; only the fine-tuned layers are trained"):
            trainable = sum(counts)
        else:
            trainable = sum(counts[first:])
        trainable = s.step("trainable", trainable, r"\sum_{l\ \text{fine-tuned}} \text{params}_l",
                           lambda: " + ".join(big(c) for c in counts[first:]), label="trainable parameters",
                           answer=True)
        s.step("frozen", total - trainable, r"\text{total} - \text{trainable}",
               lambda: rf"{big(total)} - {big(trainable)}", label="frozen parameters", answer=True)
