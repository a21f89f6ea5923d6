"""The project's PDF toolkit: shaped Thai text (``text``, ``font``, ``fonts``), boxes of lines (``drawing``),
incremental overlays of boxes onto any page of an existing PDF near an anchor (``update``, ``placement``),
tables (``table``), images made into PDFs (``images``) and PDF checks (``reading``).

It draws boxes of lines and tables; what the lines say is its users' business (the receive stamp:
``service.receiving.stamp``; the printed register: ``service.registers.printing``).

Public API::

    overlay_pdf(src, [Overlay(TextBox(lines=[...], colour=(200, 16, 46)), page=1, anchor=Anchor.BOTTOM_RIGHT)])
    overlay_pdf_to(src, dst, overlays, tmp_dir=None) -> Placed(length, rects)
    Anchor.TOP_RIGHT / BOTTOM_RIGHT / TOP_CENTRE / Anchor.below(rect) / Anchor.parse("below:x0,y0,x1,y1")
    choose_rect(page, size, anchor, margin=..., avoid=...)
    TextBox, TextLine, render_box, thai_fonts
"""
