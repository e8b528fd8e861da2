// The jobs list: newest first, filtered by status, searched by correlation id.
import { html } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { elapsed, ownerName, progress, STATUSES, statusBadge, statusWord, time } from "./format.js";
import { problemMessage } from "./problems.js";

function row(job, now) {
  return html`<tr data-job=${job.id}>
    <td>${statusBadge(job.status)}</td>
    <td class="description"><a href=${`#/jobs/${encodeURIComponent(job.id)}`}>${job.description}</a></td>
    <td class="owner" title=${job.owner?.id ?? ""}>${ownerName(job.owner)}</td>
    <td>${time(job.start_time)}</td>
    <td class="duration">${elapsed(job, now)}</td>
    <td>${progress(job.progress, `Progress of ${job.description}`)}</td>
  </tr>`;
}

function table(state, actions) {
  const { jobs, route, now } = state;
  if (jobs === null) return html`<p class="loading">Loading jobs…</p>`;
  if (jobs.length === 0) {
    const filtered = route.status || route.search.trim();
    return html`<p class="empty">${filtered ? "No job matches." : "No jobs yet."}</p>`;
  }
  return html`<table class="jobs">
      <caption class="visually-hidden">Jobs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Status</th>
          <th scope="col">Description</th>
          <th scope="col">Owner</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Progress</th>
        </tr>
      </thead>
      <tbody>
        ${repeat(jobs, (job) => job.id, (job) => row(job, now))}
      </tbody>
    </table>
    ${state.moreJobs ? html`<p><button type="button" @click=${actions.more}>Show older jobs</button></p>` : ""}`;
}

export function listView(state, actions) {
  const { route, listProblem } = state;
  return html`<h1 tabindex="-1">Jobs</h1>
    <form class="filters" role="search" aria-label="Filter jobs" @submit=${(event) => event.preventDefault()}>
      <div class="field">
        <label for="status">Status</label>
        <select id="status" @change=${(event) => actions.filter(event.target.value)}>
          <option value="" .selected=${!route.status}>All statuses</option>
          ${STATUSES.map((status) => html`<option value=${status} .selected=${route.status === status}>${statusWord(status)}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="search">Search</label>
        <input id="search" type="search" autocomplete="off" spellcheck="false" placeholder="Correlation id"
          aria-describedby="search-hint" .value=${route.search} @input=${(event) => actions.search(event.target.value)}>
        <span id="search-hint" class="hint">A correlation id, or an oVirt search such as <code>owner=user/writer</code></span>
      </div>
    </form>
    ${listProblem ? html`<div class="problem" role="alert">${problemMessage(listProblem)}</div>` : ""}
    ${table(state, actions)}`;
}
