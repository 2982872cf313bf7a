"""What the schema says beyond what drf-spectacular reads from the views: the
error answers every operation can give, so that a client generated from the
schema (and the fuzzing run in .ci/run) knows them; and the API tokens'
scheme (imported by ``ApiConfig.ready``, which registers it)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR = {
    "type": "object",
    "description": "What went wrong: `detail` for the request as a whole, or "
    "each wrong parameter or field with its messages.",
    "properties": {"detail": {"type": "string"}},
    # A field's messages; a list's by the number of its wrong item (the
    # rows of a sign-in sheet).
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
        ]
    },
}


def error(description):
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    }


def server_refusal(description):
    """An answer of the HTTP server itself (gunicorn, and the proxy in front
    of it), before the application reads the request: an HTML page."""
    return {
        "description": description,
        "content": {"text/html": {"schema": {"type": "string"}}},
    }


ANSWERS = {
    "401": error("No credentials, or a token that is wrong or revoked."),
    "403": error("A role that may not do this."),
    "414": server_refusal(
        "A request line (method, path and query) longer than the server takes: "
        "gunicorn's limit is 4,094 bytes."
    ),
    "431": server_refusal(
        "A header longer than the server takes, or too many: gunicorn's limits "
        "are 8,190 bytes and 100 headers."
    ),
    "429": error("Too many requests: wait as long as `Retry-After` says."),
}
LIST_ANSWERS = {
    "400": error("A parameter with a wrong value, named with its message."),
    "404": error("A cursor that is not one of this list's."),
}
RECORD_ANSWERS = {
    "304": {"description": "Unchanged since the `ETag` sent in `If-None-Match`."},
    "404": error("No such record."),
}
WRITE_ANSWERS = {
    "400": error("A field with a wrong value, named with its message."),
}
CHANGE_ANSWERS = {
    "412": error(
        "The record changed since the version in `If-Match`: nothing was written."
    ),
    "428": error("No version in `If-Match`: send the record's `ETag`."),
}
DELETE_ANSWERS = {
    "409": error("Other records refer to this one."),
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": "The record's `ETag` (its version) as last read.",
    "schema": {"type": "string"},
}


def error_answers(result, generator, request, public):
    """drf-spectacular's postprocessing hook: the answers above, on every
    operation of /api/v1/ that does not say otherwise."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            answers = operation.setdefault("responses", {})
            extra = dict(ANSWERS)
            if "{id}" in path:
                extra.update(RECORD_ANSWERS)
            elif operation.get("operationId", "").endswith("_list"):
                extra.update(LIST_ANSWERS)
            if method in ("post", "put", "patch"):
                extra.update(WRITE_ANSWERS)
            if method in ("put", "patch", "delete"):
                extra.update(CHANGE_ANSWERS)
                operation.setdefault("parameters", []).append(IF_MATCH)
            if method == "delete":
                extra.update(DELETE_ANSWERS)
            for status, answer in extra.items():
                answers.setdefault(status, answer)
    return result


class TokenScheme(OpenApiAuthenticationExtension):
    """The tokens of /accounts/api-tokens/ in the schema: HTTP bearer."""

    target_class = "api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token made on /accounts/api-tokens/.",
        }
