"""The personas of the clinic tests (tests/clinic/conftest.py), as fixtures for the security tests."""

from clinic.conftest import (  # noqa: F401  (re-exported fixtures)
    admin,
    clinician,
    clinician2,
    deactivated,
    reception,
    respondent_a,
    respondent_b,
)
