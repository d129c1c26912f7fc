"""Build the math font embedded in examgen's HTML pages (run by hand, not at install time).

Source: STIX Two Math 2.x, as packaged on npm by Fontsource (``npm pack @fontsource/stix-two-math@5.3.0``,
file ``files/stix-two-math-latin-400-normal.woff2``), SIL Open Font License 1.1 (the license travels
with the font: ``examgen/render/fonts/STIXTwoMath-OFL.txt``).

The full font is 400 KB; this keeps the code points examgen's formulas can produce (Latin, Greek,
the math italic/bold/double-struck alphabets, operators, arrows, brackets) with the OpenType MATH
table, so stretchy brackets, radicals and fractions lay out properly:

    pip install fonttools brotli
    python tools/build_math_font.py path/to/stix-two-math-latin-400-normal.woff2
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

RANGES = [
    (0x0020, 0x007E), (0x00A0, 0x00FF), (0x0300, 0x036F), (0x0370, 0x03FF), (0x2000, 0x206F),
    (0x2070, 0x209F), (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2300, 0x23FF),
    (0x27E6, 0x27EF),
    (0x1D400, 0x1D467),  # bold and italic Latin
    (0x1D538, 0x1D56B),  # double-struck Latin
    (0x1D6A8, 0x1D71B),  # bold and italic Greek
    (0x1D7CE, 0x1D7E1),  # bold and double-struck digits
]
OUT = Path(__file__).resolve().parent.parent / "examgen" / "render" / "fonts" / "STIXTwoMath-subset.woff2"


def main(source: str) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for lo, hi in RANGES for c in range(lo, hi + 1)])
    subsetter.subset(font)
    assert "MATH" in font, "the MATH table must survive"
    font.save(OUT)
    print(f"{OUT}: {OUT.stat().st_size:,} bytes, {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    main(sys.argv[1])
