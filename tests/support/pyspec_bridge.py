"""The stakework ↔ reference-spec bridge lives in the package (`stakework.conformance.pyspec_bridge`), so that
`stakework bench epoch` and the official-test runner can use it; tests import it from here as before."""

from stakework.conformance.pyspec_bridge import *  # noqa: F403
