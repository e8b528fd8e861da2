"""Input and size limits of SPEC.md, in one place; GET /capabilities reports them."""

MAX_BODY_BYTES = 65_536
MAX_NESTING_DEPTH = 32
MAX_DESCRIPTION_LENGTH = 4_000
MAX_CORRELATION_ID_LENGTH = 50
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000
# A job's steps live in one DynamoDB item collection and the job item records its closed subtrees, so both
# are bounded: these keep the job item far below DynamoDB's 400 KB and a follow=steps read to a few MB.
MAX_STEPS_PER_JOB = 5_000
MAX_STEP_DEPTH = 10
