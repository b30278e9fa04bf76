"""HTTP parsing toolkit for tools: one tested place for what several tools need to read and write.

The successor of CherryPy's ``cherrypy.lib.httputil``. Every parser here takes
header values as the WSGI server hands them over (``str``, Latin-1 characters)
and either returns a documented "invalid" value (None) or raises
:class:`HeaderError`, a :class:`ValueError`, and nothing else, whatever the
input. See ``docs/httputil.md`` for a guide with examples.

- Field grammar: :func:`is_token`, :func:`quote_string`, :func:`unquote_string`,
  :func:`split_list`, :func:`parse_parameters`, :func:`check_field_value` ...
- Negotiation (RFC 9110 §12): :func:`parse_accept` and friends, :func:`best_media`,
  :func:`best_encoding`, :func:`best_charset`, :func:`best_language`.
- Validators and conditions (RFC 9110 §8.8, §13): :class:`EntityTag`,
  :func:`parse_entity_tag_list`, :func:`entity_tags_match`,
  :func:`evaluate_preconditions`, :func:`if_range_matches`.
- Dates (RFC 9110 §5.6.7): :func:`parse_http_date`, :func:`format_http_date`.
- Ranges (RFC 9110 §14): :func:`parse_range`, :func:`format_content_range`.
- Media types and charsets: :func:`parse_media_type`, :class:`MediaTypeMatcher`,
  :func:`charset_codec`.
- Caching (RFC 9111 §5.2): :func:`parse_cache_control`.
- Credentials (RFC 9110 §11): :func:`parse_authorization`, :func:`parse_auth_params`.
- :data:`NO_BODY_STATUSES`.
"""

from ._accept import (
    Accept,
    AcceptCharset,
    AcceptEncoding,
    AcceptLanguage,
    MediaRange,
    QualityItem,
    best_charset,
    best_encoding,
    best_language,
    best_media,
    parse_accept,
    parse_accept_charset,
    parse_accept_encoding,
    parse_accept_language,
    parse_qvalue,
    ranked_encodings,
)
from ._auth import Credentials, parse_auth_params, parse_authorization
from ._cachecontrol import (
    DELTA_SECONDS_MAX,
    CacheControl,
    parse_cache_control,
    parse_delta_seconds,
)
from ._charsets import charset_codec
from ._conditions import (
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    evaluate_preconditions,
    if_range_matches,
)
from ._dates import format_http_date, parse_http_date
from ._etags import (
    EntityTag,
    entity_tags_match,
    format_entity_tag,
    parse_entity_tag,
    parse_entity_tag_list,
    strong_compare,
    weak_compare,
)
from ._fields import (
    HeaderError,
    check_field_value,
    is_token,
    is_valid_field_value,
    parse_field_names,
    parse_parameters,
    quote_if_needed,
    quote_string,
    split_list,
    unquote_string,
)
from ._mediatypes import MediaType, MediaTypeMatcher, is_media_pattern, parse_media_type
from ._ranges import (
    MAX_RANGES,
    ByteRange,
    format_content_range,
    format_unsatisfied_range,
    parse_range,
)
from ._status import NO_BODY_STATUSES

__all__ = [
    "DELTA_SECONDS_MAX",
    "MAX_RANGES",
    "NOT_MODIFIED",
    "NO_BODY_STATUSES",
    "PRECONDITION_FAILED",
    "Accept",
    "AcceptCharset",
    "AcceptEncoding",
    "AcceptLanguage",
    "ByteRange",
    "CacheControl",
    "Credentials",
    "EntityTag",
    "HeaderError",
    "MediaRange",
    "MediaType",
    "MediaTypeMatcher",
    "QualityItem",
    "best_charset",
    "best_encoding",
    "best_language",
    "best_media",
    "charset_codec",
    "check_field_value",
    "entity_tags_match",
    "evaluate_preconditions",
    "format_content_range",
    "format_entity_tag",
    "format_http_date",
    "format_unsatisfied_range",
    "if_range_matches",
    "is_media_pattern",
    "is_token",
    "is_valid_field_value",
    "parse_accept",
    "parse_accept_charset",
    "parse_accept_encoding",
    "parse_accept_language",
    "parse_auth_params",
    "parse_authorization",
    "parse_cache_control",
    "parse_delta_seconds",
    "parse_entity_tag",
    "parse_entity_tag_list",
    "parse_field_names",
    "parse_http_date",
    "parse_media_type",
    "parse_parameters",
    "parse_qvalue",
    "parse_range",
    "quote_if_needed",
    "quote_string",
    "ranked_encodings",
    "split_list",
    "strong_compare",
    "unquote_string",
    "weak_compare",
]
