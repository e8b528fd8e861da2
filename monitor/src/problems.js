// What went wrong, said plainly: a refusal, a missing job, a bad search, an unreachable service.
import { Outage } from "./api.js";

export function problemMessage(error, { jobId } = {}) {
  if (error instanceof Outage) {
    return "The service cannot be reached: check the network connection. The monitor keeps trying.";
  }
  const said = error.detail ? `${error.reason}: ${error.detail}` : error.reason;
  switch (error.status) {
    case 400:
      return `The service refused the request (400): ${said}`;
    case 403:
      return `Not allowed (403): ${said}. Only a job's owner or an administrator may change it; reading needs the readers group.`;
    case 404:
      return jobId
        ? `There is no job ${jobId} (404): it may have been cleared away after it ended, or the link is wrong.`
        : `Not found (404): ${said}`;
    case 409:
      return `Conflict (409): ${said}`;
    default:
      return `The service answered ${error.status}: ${said}`;
  }
}
