"""Theoretical receptive field with dilated and strided layers."""


from pydantic import Field

from ...registry import Generator, Givens, generator
from ...render.figures import layer_stack
from ...steps import Steps
from .._draw import pick
from .._mistakes import DILATION_IGNORED
from ._layers import WindowLayer


class RFLayer(WindowLayer):
    """A layer as far as receptive fields go: padding and channels do not matter."""

    dilation: int = Field(1, ge=1, le=32)

    def describe(self) -> str:
        if self.type == "conv":
            return f"{self.window} convolution, stride {self.stride}, dilation {self.dilation}"
        return f"{self.window} {self.pooling} pooling, stride {self.stride}"


class ReceptiveFieldGivens(Givens):
    layers: list[RFLayer] = Field(min_length=1, max_length=8)


def receptive_fields(layers: list[RFLayer]) -> list[tuple[int, int, int]]:
    """(effective kernel, receptive field, jump) after each layer: r_i = r_{i-1} + (k̂_i - 1) j_{i-1}."""
    out, r, j = [], 1, 1
    for layer in layers:
        ke = layer.dilation * (layer.kernel - 1) + 1
        r, j = r + (ke - 1) * j, j * layer.stride
        out.append((ke, r, j))
    return out


@generator(id="receptive_field", topic="cnn", goal="05.3", version=1,
           title="Theoretical receptive field with dilated and strided layers")
class ReceptiveField(Generator):
    """A stack of (dilated) convolutions and pooling layers: effective kernel sizes, jumps and the
    theoretical receptive field after every layer."""

    Givens = ReceptiveFieldGivens

    def draw(self, rng):
        while True:
            layers: list[RFLayer] = []
            style = pick(rng, ["context", "context", "mixed", "mixed", "mixed"])
            if style == "context":  # a context module: 3×3 convs with dilation growing by 2 each layer
                if rng.random() < 0.4:
                    layers.append(pick(rng, [RFLayer(type="conv", kernel=3, stride=2),
                                             RFLayer(type="maxpool", kernel=2, stride=2)]))
                start = pick(rng, [1, 1, 2])
                for i in range(pick(rng, [3, 3, 4]) - (len(layers) and 1)):
                    layers.append(RFLayer(type="conv", kernel=3, dilation=start * 2 ** i))
            else:
                for _ in range(pick(rng, [3, 3, 4])):
                    if rng.random() < 0.3:
                        k, st = pick(rng, [(2, 2), (2, 2), (3, 2)])
                        layers.append(RFLayer(type=pick(rng, ["maxpool", "avgpool"]), kernel=k, stride=st))
                    else:
                        layers.append(RFLayer(type="conv", kernel=pick(rng, [3, 3, 3, 5]),
                                              stride=pick(rng, [1, 1, 2]), dilation=pick(rng, [1, 1, 2, 3])))
                if not any(lay.stride > 1 for lay in layers[:-1]):
                    continue  # the jump must matter somewhere
            if not any(lay.dilation > 1 for lay in layers):
                continue
            if receptive_fields(layers)[-1][1] > 80:
                continue
            return ReceptiveFieldGivens(layers=layers)

    def draw_variant(self, rng, like):
        """A class variant asks what ``like`` asks: the same kinds of layers, with a dilation and a
        stride above 1 in the same places; the kernels, dilations and pooling are drawn again. (A
        plain redraw matches a drawn stack's structure about one time in thirty, and too few stacks
        share one structure: two students could get the same question.)"""
        for _ in range(100):
            layers = []
            for lay in like.layers:
                if lay.type == "conv":
                    layers.append(RFLayer(type="conv", kernel=pick(rng, [2, 3, 3, 4, 5]),
                                          stride=pick(rng, [2, 2, 3]) if lay.stride > 1 else 1,
                                          dilation=pick(rng, [2, 2, 3, 4, 5]) if lay.dilation > 1 else 1))
                else:
                    k, st = pick(rng, [(2, 2), (2, 2), (3, 2), (3, 3)])
                    layers.append(RFLayer(type=pick(rng, ["maxpool", "avgpool"]), kernel=k, stride=st))
            if receptive_fields(layers)[-1][1] <= 80:
                return ReceptiveFieldGivens(layers=layers)
        return self.draw(rng)

    def figure(self, g):
        blocks = [("Input", "1 channel")]
        for i, layer in enumerate(g.layers, 1):
            kind = "conv" if layer.type == "conv" else ("max pool" if layer.type == "maxpool" else "avg pool")
            blocks.append((f"{i}: {kind} {layer.kernel}×{layer.kernel}", f"stride {layer.stride}\ndilation {layer.dilation}"))
        return layer_stack(blocks)

    def stem(self, g):
        lines = "\n".join(f"- Layer {i}: {layer.describe()}" for i, layer in enumerate(g.layers, 1))
        return (
            "A CNN applies these layers, in order, to a one-channel input image:\n\n" + lines + "\n\n"
            "The theoretical receptive field $r$ of a unit is the side, in input pixels, of the square "
            "input region that can affect its value (an input pixel has $r_0 = 1$). A kernel of size $k$ "
            "with dilation $d$ takes its $k$ inputs $d$ pixels apart (dilation 1 is an ordinary kernel). "
            "The jump $j$ of a layer's output is the distance, in input pixels, between the centres of the "
            "receptive fields of two neighbouring output units (the input has $j_0 = 1$). Padding does not "
            "change receptive fields, and pooling windows count like kernels. All answers are whole numbers."
        )

    def solve(self, s: Steps, g: ReceptiveFieldGivens):
        r, j = 1, 1
        last = len(g.layers)
        for i, layer in enumerate(g.layers, 1):
            k, d, st = layer.kernel, layer.dilation, layer.stride
            wants = (["the effective size $\\hat k$ of its dilated kernel"] if d > 1 else []) + \
                    ["the theoretical receptive field $r$ of one of its output units"] + \
                    (["the jump $j$ of its output"] if st > 1 and i < last else [])
            s.part(f"Layer {i} ({layer.describe()}): give "
  + (", ".join(wants[:-1]) + " and " + wants[-1] if len(wants) > 1 else wants[0]) + ".")
            if d > 1:
                if s.mistake("k_times_d", "took k·d as the effective kernel size; a dilated kernel spans "
                                          "d(k-1)+1 inputs (its k taps are d apart)"):
                    ke = k * d
                elif s.mistake(DILATION_IGNORED):
                    ke = k
                else:
                    ke = d * (k - 1) + 1
                ke = s.step(f"k_eff{i}", ke, r"\hat k = d(k-1) + 1", rf"{d} \cdot ({k} - 1) + 1",
                            label=rf"$\hat k$ of layer {i}")
            else:
                ke = k
            r0, j0 = r, j
            if i > 1 and s.mistake("adds_k", "added the kernel size k; a new layer widens the field by "
                                             "(k-1)·jump, because neighbouring windows overlap in k-1 positions"):
                r = r0 + ke * j0
            elif j0 > 1 and s.mistake("jump_ignored", "added k-1 without the jump: after a strided layer "
                                                      "neighbouring units are j input pixels apart"):
                r = r0 + ke - 1
            elif st > 1 and s.mistake("own_stride_in_jump", "used the jump after this layer's own stride; "
                                                            "its kernel moves over the previous layer's output, "
                                                            "whose jump is the previous one"):
                r = r0 + (ke - 1) * j0 * st
            else:
                r = r0 + (ke - 1) * j0
            r = s.step(f"rf{i}", r, rf"r_{{{i}}} = r_{{{i - 1}}} + (\hat k_{{{i}}} - 1)\, j_{{{i - 1}}}",
                       lambda r0=r0, ke=ke, j0=j0: rf"{r0} + ({ke} - 1) \cdot {j0}",
                       label=f"receptive field $r_{{{i}}}$", answer=True)
            if st > 1 and i < last:
                if j0 > 1 and s.mistake("jump_not_cumulative", "took the stride alone as the jump; strides "
                                                              "multiply: the new jump is the previous jump times s"):
                    jn = st
                else:
                    jn = j0 * st
                j = s.step(f"jump{i}", jn, rf"j_{{{i}}} = j_{{{i - 1}}} \cdot s_{{{i}}}",
                           lambda j0=j0: rf"{j0} \cdot {st}", label=f"jump $j_{{{i}}}$")
