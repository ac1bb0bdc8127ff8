"""What the PPID does with filed documents: acceptance and return (`handover`), the monthly
report and berita acara (`report`, `berita_acara`), copies handed out (`access_copy`), cover
sheets never scanned (`reconcile`), and what a signed softcopy's signatures are worth
(`signatures`, `signature_check`)."""
