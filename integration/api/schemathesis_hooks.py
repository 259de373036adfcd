"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by the positive-only run of
test_schemathesis.py): each upload to an image endpoint carries a real image, in the
`image` part or as the raw body, so the cases reach the models and their success answers
are checked against the schema."""
import schemathesis

from api_wire import JPEG, PNG


@schemathesis.hook
def map_case(context, case):
    if case.media_type == "multipart/form-data" and isinstance(case.body, dict):
        case.body = {**case.body, "image": PNG}  # a copy: generated bodies may be shared between cases
    elif case.media_type == "image/jpeg":
        case.body = JPEG
    elif case.media_type in ("image/png", "application/octet-stream"):
        case.body = PNG
    return case
