"""Input and size limits of SPEC.md, in one place; GET /capabilities reports them."""

from collections.abc import Sequence

MAX_BODY_BYTES = 65_536
MAX_NESTING_DEPTH = 32
MAX_DESCRIPTION_LENGTH = 4_000
MAX_CORRELATION_ID_LENGTH = 50
CORRELATION_ID_CHARACTERS = "0-9A-Za-z_-"  # a regular expression character class's contents
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000
# A job's steps live in one DynamoDB item collection and the job item records its closed subtrees, so both
# are bounded: these keep the job item far below DynamoDB's 400 KB.
MAX_STEPS_PER_JOB = 5_000
MAX_STEP_DEPTH = 10
# follow=steps embeds at most this many steps; larger jobs are listed a page at a time.
MAX_FOLLOWED_STEPS = 1_000

# Lambda returns at most 6 MB, the reply's body inside its own JSON envelope; a page stops short of this.
MAX_REPLY_BYTES = 4_500_000


def reply_bytes_bound(texts: Sequence[str]) -> int:
    """An upper bound of what one job or step adds to a reply, in either format, inside Lambda's envelope:
    its fixed members, and 12 bytes a character of its texts (an emoji is 4 bytes of UTF-8 in the body and
    a 12-byte surrogate pair escape in the envelope; ``"`` becomes ``&quot;`` in XML)."""
    return 2_000 + 12 * sum(len(text) for text in texts)
