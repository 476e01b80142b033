"""The read-only agent console (``cdp serve``)."""
