"""The pages of a batch before OCR: reading a batch in (`batch_input`, `source`), measuring a page
image (`images`), reading barcodes (`barcodes`), telling cover, blank and content pages apart
(`classify`, `blank`, `show_through`, `cover_payload`, `cover_mark`), and splitting the batch at
its covers (`split`). `samples` draws scanned-looking pages for the demo, tests and benchmarks."""
