"""One module per external program: a probe ("installed and recent enough") apart from running it."""


def tool_versions() -> dict[str, str]:
    """Versions of everything that shaped a filed document, for its sidecar and test reports."""
    import pikepdf
    import PIL

    from .. import __version__
    from ..barcodes import zbar_version
    from . import ocrmypdf, tesseract

    return {
        "scan-station": __version__,
        "ocrmypdf": ocrmypdf.version(),
        "tesseract": tesseract.version(),
        "pikepdf": pikepdf.__version__,
        "qpdf": pikepdf.__libqpdf_version__,
        "zbar": zbar_version(),
        "pillow": PIL.__version__,
    }
