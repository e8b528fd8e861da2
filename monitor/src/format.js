// How jobs and steps read: statuses as words with an icon (never colour alone), times, durations, owners.
import { html, svg } from "lit-html";

export const STATUSES = ["started", "finished", "failed", "aborted", "unknown"];

const WORDS = {
  started: "Started",
  finished: "Finished",
  failed: "Failed",
  aborted: "Aborted",
  unknown: "Unknown",
};

const ICONS = {
  started: svg`<circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="2"/><path d="M8 4v4l3 2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`,
  finished: svg`<path d="M3 8.5l3.2 3.2L13 5" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>`,
  failed: svg`<path d="M4 4l8 8M12 4l-8 8" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round"/>`,
  aborted: svg`<circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="2"/><path d="M4 12L12 4" stroke="currentColor" stroke-width="2"/>`,
  unknown: svg`<circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="2"/><path d="M6.2 6.3a1.9 1.9 0 1 1 2.6 1.8c-.6.3-.8.7-.8 1.3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/><circle cx="8" cy="11.6" r="1" fill="currentColor"/>`,
};

export function statusWord(status) {
  return WORDS[status] ?? status;
}

/** The status as an icon and a word, coloured by status. */
export function statusBadge(status) {
  const known = status in WORDS ? status : "unknown";
  return html`<span class="status status-${known}"
    ><svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">${ICONS[known]}</svg
    >${statusWord(status)}</span
  >`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** An epoch-millisecond timestamp as a <time>, or a dash when absent. */
export function time(ms) {
  if (ms === undefined || ms === null) return html`<span class="none">—</span>`;
  const when = new Date(Number(ms));
  return html`<time datetime=${when.toISOString()}>${timeFormat.format(when)}</time>`;
}

/** Milliseconds as "4 s", "2 min 05 s", "3 h 07 min", "2 d 4 h". */
export function duration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const pad = (n) => String(n).padStart(2, "0");
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${pad(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${pad(minutes % 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** How long a job or step ran, or has been running. */
export function elapsed(item, now) {
  if (item.start_time === undefined) return "—";
  const end = item.end_time ?? (item.status === "started" ? now : item.start_time);
  return duration(Number(end) - Number(item.start_time));
}

/** Seconds, as a job's timeout is given. */
export function seconds(value) {
  return duration(Number(value) * 1000);
}

/** An owner as people read it: a user's name, an IAM role or user without the account's ARN prefix. */
export function ownerName(owner) {
  const id = owner?.id ?? "";
  if (id.startsWith("user/")) return id.slice("user/".length);
  const arn = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$/.exec(id);
  return arn ? arn[1] : id || "—";
}

/** A progress bar with its value as text, or a dash when none was reported. */
export function progress(value, label) {
  if (value === undefined || value === null) {
    return html`<span class="none" title="No progress reported">—</span>`;
  }
  const percent = Math.max(0, Math.min(100, Number(value)));
  return html`<span class="progress"
    ><progress max="100" .value=${percent} aria-label=${label}>${percent}%</progress
    ><span class="percent">${percent}%</span></span
  >`;
}
