"""OCR into PDF/A: the pool of OCR children (`pool`, `child`), one page turned, read and judged
(`page`, `orientation`, `readability`, `page_checks`, `raster`), a batch's pages (`batch`), a
softcopy read whole through ocrmypdf (`document`, `vector_pages`), and a document's PDF/A made
from its pages' results (`assemble`, `pdfa_job`)."""
