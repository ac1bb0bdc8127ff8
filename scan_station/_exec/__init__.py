"""One module per external program or library: how to run it, and a probe (`probe(settings)`:
"present and usable, version X", or a one-line fix) that `doctor` checks before work starts."""


def tool_versions() -> dict[str, str]:
    """Versions of everything that shaped a filed document, for its sidecar and test reports."""
    import pikepdf
    import PIL

    from .. import __version__
    from . import libtesseract, ocrmypdf, tesseract, zbar, zxing

    return {
        "scan-station": __version__,
        "ocrmypdf": ocrmypdf.version(),
        "tesseract": tesseract.version(),
        "libtesseract": libtesseract.version(),  # what read the scanned pages
        "pikepdf": pikepdf.__version__,
        "qpdf": pikepdf.__libqpdf_version__,
        "zbar": zbar.version(),
        "zxing-cpp": zxing.version(),
        "pillow": PIL.__version__,
    }
