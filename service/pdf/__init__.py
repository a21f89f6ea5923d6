"""The PDF toolkit: shaped Thai text, fonts, page analysis and placement, incremental overlays onto existing PDFs."""
