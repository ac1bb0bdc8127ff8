"""Filing: one ingest from a source to filed documents (`ingest`), the writes into storage and
the database (`store`), softcopies checked and submitted (`softcopy`), and the kiosk's
hand-overs waiting for the queue (`uploads`)."""
