"""Rules for files the platform writes for people to open (XLSX, CSV), in one place."""

# A spreadsheet runs a cell that starts with one of these as a formula (CSV/XLSX formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; numbers pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
