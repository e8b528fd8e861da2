"""Input and size limits of docs/api.md, in one place; GET /capabilities reports them."""

from collections.abc import Sequence

MAX_BODY_BYTES = 65_536
MAX_NESTING_DEPTH = 32
MAX_DESCRIPTION_LENGTH = 4_000
MAX_CORRELATION_ID_LENGTH = 50
CORRELATION_ID_CHARACTERS = "0-9A-Za-z_-"  # a regular expression character class's contents
MAX_PAGE_SIZE = 1_000
# Without max, a listing holds every item, as oVirt's does (its clients never follow a continuation), up to
# what fits in one reply.
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE
# A job's steps live in one DynamoDB item collection (with the step index, at most 10 GB): bounded.
MAX_STEPS_PER_JOB = 5_000
MAX_STEP_DEPTH = 10
# follow=steps embeds at most this many steps, and only while they fit in one reply (reply_bytes_bound); a
# larger job is listed a page at a time.
MAX_FOLLOWED_STEPS = 1_000
# A job's lease (timeout), in seconds: a minute to a week. Progress is a percentage.
MIN_JOB_TIMEOUT_SECONDS = 60
MAX_JOB_TIMEOUT_SECONDS = 604_800
MAX_PROGRESS = 100

# Lambda delivers a synchronous reply of at most 6 MB: 6,291,556 bytes of the JSON its runtime makes of what
# the handler returns (status, headers, and the body as one JSON string), or API Gateway answers 502.
LAMBDA_REPLY_BYTES = 6_291_556
# What a reply takes besides its jobs and steps: the envelope, the headers, the XML declaration, the
# collection's wrappers, and a next page's address twice (Link header, JSON link), which repeats the query
# (API Gateway takes URLs of at most 10,240 bytes). A bound, with room to spare.
_REPLY_FRAME_BYTES = 65_536
# What the jobs and steps of one reply may take, counted by reply_bytes_bound.
MAX_REPLY_BYTES = LAMBDA_REPLY_BYTES - _REPLY_FRAME_BYTES
# What one job or step takes in a reply besides its texts: ids, hrefs, links, actions, times, status, type
# and number, in either format, inside the envelope (about 800 bytes at most: tests/unit/test_reply_size.py).
_ITEM_FRAME_BYTES = 1_000

# The ASCII characters both formats write as themselves, and the runtime's JSON leaves alone.
_PLAIN = frozenset(chr(code) for code in range(0x20, 0x7F)) - set('"\\&<>')
# The most any other character takes, written in either format and then escaped again in the runtime's JSON:
# ``"`` is ``&quot;`` in XML (6) and ``\\\"`` in JSON (4); ``&``, ``<``, ``>``, TAB, CR and LF take less; a
# control character (never stored: docs/api.md, Input limits) is ``\\u0001`` in JSON (7). A character outside
# ASCII
# is its UTF-8 (at most 4 bytes) in Python 3.12+ runtimes, which write the reply with ensure_ascii=False, but
# ``\uXXXX`` (6) or a surrogate pair of them (12) in earlier ones: the bound holds for either.
_ESCAPED_BYTES = 7
_ASTRAL_BYTES = 12


def _char_bytes_bound(char: str) -> int:
    """The most one character of a text can take in a reply, in either format, inside Lambda's envelope."""
    if char in _PLAIN:
        return 1
    return _ASTRAL_BYTES if ord(char) > 0xFFFF else _ESCAPED_BYTES


def reply_bytes_bound(texts: Sequence[str]) -> int:
    """An upper bound of what one job or step adds to a reply, in either format, inside Lambda's envelope: its
    fixed members, and its texts character by character."""
    return _ITEM_FRAME_BYTES + sum(_char_bytes_bound(char) for text in texts for char in text)
