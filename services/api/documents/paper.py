"""The page every PDF document is drawn on: A4, DejaVu Sans (vendored in ``fonts/`` with
its licence, so å, ä, ö and whatever else a name holds print), headings, paragraphs,
tables and figures, and a footer naming the document and the page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from services.api.documents.words import Words

FONTS = Path(__file__).with_name("fonts")
FONT = "DejaVu"
HEADINGS = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))


class Paper(FPDF):
    """A4 portrait, DejaVu, a footer with the document's name and the page number."""

    def __init__(self, words: Words, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.words = words
        self.footer_text = title
        self.on_labels = False  # a sheet of labels runs to its edges: no footer
        self.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.set_font(FONT, size=10)
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_creator("Samlast")
        self.set_lang(words.language)
        self.alias_nb_pages()

    def footer(self) -> None:
        if self.on_labels:
            return
        self.set_y(-12)
        self.set_font(FONT, size=8)
        page = self.words("page {page} of {pages}", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, f"{self.footer_text} · {page}", align="C")
        self.set_font(FONT, size=10)

    def h1(self, text: str) -> None:
        self.set_font(FONT, "B", 16)
        self.multi_cell(0, 8, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def h2(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT, "B", 12.5)
        self.multi_cell(0, 7, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def h3(self, text: str) -> None:
        self.ln(1)
        self.set_font(FONT, "B", 10.5)
        self.multi_cell(0, 5.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)

    def para(self, text: str, size: float = 10) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)
        self.ln(1)

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        right: Sequence[int] = (),
        total: Sequence[str] | None = None,
    ) -> None:
        """A table; ``right``: the columns of numbers; ``total``: a last row in bold."""
        align = tuple("RIGHT" if n in right else "LEFT" for n in range(len(headings)))
        with self.table(
            col_widths=tuple(widths),
            text_align=align,
            headings_style=HEADINGS,
            line_height=5,
            padding=1,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for row in [headings, *rows]:
                cells = table.row()
                for text in row:
                    cells.cell(text)
            if total is not None:  # its label spans the empty cells after it
                cells = table.row(style=FontFace(emphasis="BOLD"))
                label, *rest = total
                span = 1 + next((n for n, text in enumerate(rest) if text), len(rest))
                cells.cell(label, colspan=span, align="LEFT")
                for text in rest[span - 1 :]:
                    cells.cell(text)
        self.ln(1)

    def figures(self, pairs: Sequence[tuple[str, str]], bold_last: bool = False) -> None:
        for index, (label, value) in enumerate(pairs):
            bold = bold_last and index == len(pairs) - 1
            self.set_font(FONT, "B" if bold else "", 10)
            self.cell(70, 6, label)
            self.cell(35, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, size=10)


def fit(paper: Paper, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` in the current font."""
    if paper.get_string_width(text) <= width:
        return text
    while text and paper.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
