"""Suite-wide settings.

Property tests explore new random inputs on every local run (that is how
they find bugs); under CI (CI=true) they run derandomized, so a landing
is judged on the same examples every time and a new counterexample shows
up locally first instead of failing an unrelated submission.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
