// Live updates by polling: one request at a time, the next one POLL_MS after the last reply (so an idle page
// costs at most one request per POLL_MS), none while the page is hidden, slower while the service is
// unreachable. A change shows within POLL_MS plus one round trip.

export const POLL_MS = 2500;
export const OUTAGE_RETRY_MS = 5000;

export class Poller {
  /** `load(isCurrent)` fetches and shows the current view; it returns "outage" when nothing answered. */
  constructor(load) {
    this.load = load;
    this.generation = 0;
    this.timer = undefined;
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.refresh();
      else this.pause();
    });
  }

  /** Load now (a new view, a new filter, an action done), then keep polling. */
  refresh() {
    this.pause();
    const generation = ++this.generation;
    this.tick(generation);
  }

  /** No more requests until the next refresh. */
  pause() {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.generation++;
  }

  async tick(generation) {
    const isCurrent = () => generation === this.generation;
    const outcome = await this.load(isCurrent);
    if (!isCurrent() || outcome === "stop" || document.visibilityState === "hidden") return;
    const delay = outcome === "outage" ? OUTAGE_RETRY_MS : POLL_MS;
    this.timer = setTimeout(() => this.tick(generation), delay);
  }
}
