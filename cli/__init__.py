"""The ``cdp`` command line (sits on top of every stage)."""
