"""CDP core: settings, paths, the canonical schema, the lake writer and the CLI."""

__version__ = "0.1.0"
