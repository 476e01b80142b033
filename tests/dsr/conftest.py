"""The simulated installation of tests/privacy (`cdp generate` + `cdp run`), for the request tests."""

from tests.privacy.conftest import base_install, install  # noqa: F401  (the fixtures)
