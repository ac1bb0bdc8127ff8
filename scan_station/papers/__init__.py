"""Printed papers: text set within a page (`text`), the barcode cover sheet (`cover_sheet`) and
the berita acara (`berita_acara`)."""
