"""Rendering checks that look: HTML and PDF for every generator, pages as pictures, a real browser.
The tests that typeset PDFs or start Chromium are marked slow."""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from functools import lru_cache

import numpy as np
import pytest

import examgen
from examgen import registry
from examgen.fmt import num
from examgen.render.html import exam_html, solutions_html
from examgen.registry import Generator
from examgen.render.pdf import exam_pdf, solutions_pdf

from .conftest import needs_module, needs_tool

LATEX_COMMAND = re.compile(r"\\[A-Za-z]{2,}")
LAYOUT_ATTRIBUTE = re.compile(r'\b(width|height|lspace|rspace|linethickness|x|y|x1|y1|x2|y2|cx|cy|r|rx|'
                              r'viewBox|points|stroke-width|font-size|stroke-dasharray|fill-opacity)="[^"]*"')


@lru_cache(maxsize=None)
def every_generator_exam(seed: int = 11):
    gens = [g.id for g in registry.all_generators() if not g.needs_torch]
    return examgen.generate(generators=gens, seed=seed)


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("seed", [11, 12])
def test_html_has_no_raw_latex(seed):
    exam = every_generator_exam(seed)
    for page in (exam_html(exam), solutions_html(exam)):
        leaks = LATEX_COMMAND.findall(visible_text(page))
        assert not leaks, leaks[:10]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12])
def test_pdfs_have_the_questions_and_no_raw_latex(seed):
    exam = every_generator_exam(seed)
    for data in (exam_pdf(exam), solutions_pdf(exam)):
        assert data.startswith(b"%PDF")
        text = pdf_text(data)
        leaks = LATEX_COMMAND.findall(text)
        assert not leaks, leaks[:10]
        squashed = _squash(text)
        for q in exam.questions:
            assert _squash(q.title) in squashed, q.title
    assert "Page 1 of" in pdf_text(exam_pdf(exam))


def test_pages_embed_the_math_font_intact():
    exam = examgen.generate(generators=["adam"], seed=1)
    for page in (exam_html(exam), solutions_html(exam)):
        style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
        assert '@font-face { font-family: "examgen math"' in style and "&#34;" not in style
        assert re.search(r"url\(data:font/woff2;base64,[A-Za-z0-9+/=]{100000,}\)", style)


def _squash(text: str) -> str:
    """Text without spaces, hyphens (a hyphen at a line break is extracted as a soft hyphen)
    and typographic quotes (Typst makes quotes smart)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"[\s\u00ad\-\u201c\u201d\"]+", "", text)


def _significant_values(q):
    """Reference values a student must compute (not integers, which collide with indices), other
    than numbers the question itself prints (its givens, and e.g. a table of tanh values)."""
    given = json.dumps(q.givens) + q.stem + " ".join(p.prompt for p in q.parts)
    for st in q.steps:
        if st.kind in ("scalar", "vector", "matrix", "tensor"):
            for v in np.ravel(np.asarray(st.value, dtype=float)):
                text = num(v)
                if not float(v).is_integer() and len(text.lstrip("-").replace(".", "").lstrip("0")) >= 2 \
                        and text not in given:
                    yield st.name, text


def test_exam_html_holds_no_key_data():
    for seed in (11, 12, 13):
        exam = every_generator_exam(seed)
        page = exam_html(exam)
        for q in exam.questions:
            section = re.search(rf'<section class="question" id="{q.id}">.*?</section>', page, re.S).group(0)
            section = LAYOUT_ATTRIBUTE.sub("", section)  # MathML spacing and SVG geometry are not data
            numbers = set(re.findall(r"-?\d+(?:\.\d+)?", visible_text(section) + " " + section))
            leaked = [(name, text) for name, text in _significant_values(q) if text in numbers]
            assert not leaked, (q.generator, leaked[:5])
        assert "Worked solutions" not in page and "solution" not in visible_text(page).lower()


@pytest.mark.slow
def test_pdf_pages_as_pictures_are_not_blank(tmp_path):
    pdftoppm = needs_tool("pdftoppm")
    exam = examgen.generate(topics=["rl", "cnn", "training"], seed=5)
    for name, data in (("exam", exam_pdf(exam)), ("solutions", solutions_pdf(exam))):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(data)
        subprocess.run([pdftoppm, "-gray", "-r", "30", str(path), str(tmp_path / name)], check=True)
        pages = sorted(tmp_path.glob(f"{name}-*.pgm"))
        assert pages
        for page in pages:
            ink = _ink(page.read_bytes())
            assert ink > 0.001, (page.name, ink)


def _ink(pgm: bytes) -> float:
    """Fraction of dark pixels in a binary PGM (P5) image."""
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", pgm)
    pixels = np.frombuffer(pgm[header.end():], dtype=np.uint8)
    return float(np.mean(pixels < 200))


def _chromium(*args):
    return subprocess.run([needs_tool("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--disable-quic", *args], capture_output=True, timeout=120)


@pytest.mark.slow
def test_chromium_renders_the_exam_math(tmp_path):
    from PIL import Image

    needs_tool("chromium")

    exam = examgen.generate(topics=["training", "unsupervised"], seed=3)
    page = tmp_path / "exam.html"
    page.write_text(exam_html(exam))
    shot, printed = tmp_path / "shot.png", tmp_path / "printed.pdf"
    _chromium(f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1600", f"--screenshot={shot}",
              page.as_uri())
    _chromium(f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={printed}", "--no-pdf-header-footer",
              page.as_uri())
    image = np.asarray(Image.open(shot).convert("L"))
    assert image.shape[0] >= 1000 and np.mean(image < 128) > 0.005, "the screenshot is blank"
    text = pdf_text(printed.read_bytes())
    assert "\\" not in text, re.findall(r".{20}\\.{20}", text)[:5]
    assert "ADAM" in text or "Batch" in text or "latent" in text
    assert "μ" in text or "σ" in text or "𝜇" in text or "𝜎" in text, "Greek letters did not render"


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def test_every_figure_is_drawn_for_every_seed_and_shown_in_the_exam():
    """Every registered generator that draws a figure (its class defines ``figure``) draws a
    well-formed SVG for every seed, and the exam page shows it in that question."""
    drawing = [g for g in registry.all_generators() if type(g).figure is not Generator.figure]
    assert drawing, "no generator draws a figure"
    for gen in drawing:
        if gen.needs_torch:
            needs_module("torch")
        for seed in range(15):
            svg = gen.generate(seed).figure
            assert svg is not None, (gen.id, seed)
            assert ET.fromstring(svg).tag.endswith("svg"), (gen.id, seed)
    exam = every_generator_exam(11)
    page = exam_html(exam)
    for q in exam.questions:
        section = re.search(rf'<section class="question" id="{q.id}">.*?</section>', page, re.S).group(0)
        assert ("<svg" in section) == (q.figure is not None), q.generator


def test_figures_show_the_numbers_of_the_question():
    """Every number written in a figure is one the question prints (or a small index)."""
    for gen in registry.all_generators():
        if gen.needs_torch or gen.concept:
            continue
        for seed in range(15):
            q = gen.generate(seed)
            svg = q.figure
            if svg is None:
                break
            shown = {float(x) for t in re.findall(r">([^<]*)</text>", svg) for x in NUMBER.findall(html.unescape(t))}
            printed = {float(x) for x in NUMBER.findall(json.dumps(q.givens) + " " + q.stem)}
            extra = shown - printed - set(range(0, 11))
            assert not extra, (gen.id, seed, sorted(extra)[:5])


PROSE = ("discounted the first reward too (gamma^{k+1}); G_t counts R_t, h_{t-1} stays; no_discount is a name; "
         "m_H(2N) = 2^N. Then rho^0.5 and W^[l]")


def test_prose_scripts_become_real_super_and_subscripts():
    from examgen.render.markup import inline_html
    from examgen.render.pdf import markup as typst_markup, typeset

    page = inline_html(PROSE)
    assert "gamma<sup>k+1</sup>" in page and "G<sub>t</sub>" in page and "h<sub>t-1</sub>" in page
    assert "no_discount" in page and "^" not in page
    source = typst_markup(PROSE)
    assert "#super[k\\+1]" in source and "G#sub[t]" in source and "no\\_discount" in source
    assert "2<sup>N</sup>." in page, "a sentence's full stop is not a superscript"
    assert "rho<sup>0.5</sup>" in page and "W<sup>[l]</sup>" in page
    text = pdf_text(typeset(source))
    assert "no_discount" in text and "^" not in text and "G_t" not in text and "(2N)" in text
