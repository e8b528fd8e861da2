"""Input and size limits of SPEC.md, in one place; GET /capabilities reports them."""

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
# follow=steps embeds at most this many steps; larger jobs are listed a page at a time.
MAX_FOLLOWED_STEPS = 1_000

# Lambda returns at most 6 MB, the reply's body inside its own JSON envelope; a page stops short of this.
MAX_REPLY_BYTES = 4_500_000


_PLAIN = frozenset(chr(code) for code in range(0x20, 0x7F)) - set("\"\\&<>'")


def _char_bytes_bound(char: str) -> int:
    """What one character of a text can take in a reply, in either format, inside Lambda's envelope: a plain
    ASCII character itself; an escaped one (``&quot;``, ``\\"`` escaped again) at most 7; a character of the
    Basic Multilingual Plane ``\\uXXXX`` escaped again, 7; another a surrogate pair of those, 14."""
    if char in _PLAIN:
        return 1
    return 7 if ord(char) <= 0xFFFF else 14


def reply_bytes_bound(texts: Sequence[str]) -> int:
    """An upper bound of what one job or step adds to a reply, in either format, inside Lambda's envelope: its
    fixed members (ids, links, times, statuses), and its texts character by character."""
    return 2_000 + sum(_char_bytes_bound(char) for text in texts for char in text)
