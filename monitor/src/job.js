// One job: its facts, its step tree, its timeline, and End / Clear for its owner or an administrator.
import { html, nothing } from "lit-html";
import { elapsed, ownerName, progress, seconds, statusBadge, statusWord, time } from "./format.js";
import { problemMessage } from "./problems.js";
import { timeline } from "./timeline.js";
import { stepTree } from "./tree.js";

const TYPES = {
  validating: "Validating",
  executing: "Executing",
  finalizing: "Finalizing",
  rebalancing_volume: "Rebalancing volume",
  removing_bricks: "Removing bricks",
  unknown: "Unknown",
};

function fact(name, value) {
  return html`<div class="fact"><dt>${name}</dt><dd>${value}</dd></div>`;
}

const KINDS = {
  "states:execution": "Step Functions execution",
  "codebuild:build": "CodeBuild build",
  "batch:job": "AWS Batch job",
  "ecs:task": "ECS task",
};

function consoleLink(url) {
  // Only a web address is a link (never javascript: or data:).
  return typeof url === "string" && url.startsWith("https://") ? url : null;
}

function execution(step, label) {
  const bound = step.execution;
  if (!bound) return nothing;
  const link = consoleLink(bound.console_url);
  return html`<div class="execution">
    <span class="tag">Execution</span>
    ${bound.kind ? html`<span class="kind">${KINDS[bound.kind] ?? bound.kind}</span>` : nothing}
    <code class="arn">${bound.arn}</code>
    ${link
      ? html`<a href=${link} target="_blank" rel="noopener noreferrer"
          >Open in the AWS console<span class="visually-hidden"> (step ${label})</span></a
        >`
      : nothing}
  </div>`;
}

function stepList(nodes, now, top) {
  return html`<ol class="steps" aria-label=${top ? "Step tree" : nothing}>
    ${nodes.map(({ step, children, label }) => html`<li class="step" data-step=${step.id}>
      <div class="step-line">
        <span class="number"><span class="visually-hidden">Step </span>${label}</span>
        <span class="step-description">${step.description}</span>
        ${statusBadge(step.status)}
        <span class="type"><span class="visually-hidden">Type: </span>${TYPES[step.type] ?? step.type}</span>
        <span class="times"
          ><span class="visually-hidden">Ran from </span>${time(step.start_time)}
          <span aria-hidden="true"> → </span><span class="visually-hidden"> to </span>${step.end_time ? time(step.end_time) : html`<span class="none">now</span>`}</span
        >
        <span class="duration">${elapsed(step, now)}</span>
        ${progress(step.progress, `Progress of step ${label}`)}
      </div>
      ${execution(step, label)}
      ${children.length ? stepList(children, now, false) : nothing}
    </li>`)}
  </ol>`;
}

function confirmation(state, actions) {
  if (!state.confirm) return nothing;
  const ending = state.confirm === "end";
  return html`<dialog class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text"
    @close=${actions.cancel}>
    <h2 id="confirm-title">${ending ? "End this job?" : "Clear this job?"}</h2>
    <p id="confirm-text">${ending
      ? "The job ends now as finished; every step still running is aborted. This cannot be undone."
      : "The job will disappear from the monitor once it has ended and its clean-up delay has passed."}</p>
    <div class="buttons">
      <button type="button" class="danger" @click=${actions.confirm}>${ending ? "Yes, end the job" : "Yes, clear the job"}</button>
      <button type="button" @click=${actions.cancel} autofocus>Cancel</button>
    </div>
  </dialog>`;
}

function controls(state, actions) {
  const { job, session, busy } = state;
  if (state.gone || !session.mayChange(job)) return nothing;
  return html`<div class="actions">
    ${job.status === "started"
      ? html`<button type="button" class="danger" data-asks="end" ?disabled=${busy} @click=${actions.askEnd}>End job</button>`
      : nothing}
    <button type="button" data-asks="clear" ?disabled=${busy} @click=${actions.askClear}>Clear job</button>
  </div>`;
}

export function jobView(state, actions) {
  const { job, jobProblem } = state;
  // One heading element whatever is known yet: it keeps the focus given on arrival.
  const title = job ? job.description : jobProblem ? "Job not available" : "Job";
  return html`<nav aria-label="Breadcrumb" class="crumbs"><a href="#/">All jobs</a></nav>
    <h1 tabindex="-1">${title}</h1>
    ${job ? jobDetails(state, actions) : jobMissing(state)}`;
}

function jobMissing({ jobProblem, route }) {
  return jobProblem
    ? html`<div class="problem" role="alert">${problemMessage(jobProblem, { jobId: route.id })}</div>`
    : html`<p class="loading">Loading the job…</p>`;
}

function jobDetails(state, actions) {
  const { job, now } = state;
  const steps = job.steps?.step ?? [];
  const roots = stepTree(steps);
  return html`${state.gone
      ? html`<div class="problem" role="alert">
          This job is gone: it was cleared away after it ended. What you see is its last known state.
        </div>`
      : nothing}
    ${state.actionProblem
      ? html`<div class="problem" role="alert">${problemMessage(state.actionProblem)}</div>`
      : nothing}
    <div class="notice" role="status">${state.notice ?? ""}</div>
    <div class="summary">${statusBadge(job.status)} ${controls(state, actions)}</div>
    <dl class="facts">
      ${fact("Status", statusWord(job.status))}
      ${fact("Owner", html`<span title=${job.owner?.id ?? ""}>${ownerName(job.owner)}</span>`)}
      ${fact("Correlation id", html`<code>${job.correlation_id ?? "—"}</code>`)}
      ${fact("Started", time(job.start_time))}
      ${fact("Ended", job.end_time ? time(job.end_time) : html`<span class="none">not yet</span>`)}
      ${fact("Duration", elapsed(job, now))}
      ${fact("Progress", progress(job.progress, "Progress of the job"))}
      ${job.timeout !== undefined ? fact("Timeout", seconds(job.timeout)) : nothing}
      ${job.deadline !== undefined ? fact("Deadline", time(job.deadline)) : nothing}
      ${fact("Last updated", time(job.last_updated))}
      ${fact("Cleared automatically", job.auto_cleared ? "Yes" : "No")}
      ${fact("Id", html`<code>${job.id}</code>`)}
    </dl>
    <section aria-labelledby="steps-heading">
      <h2 id="steps-heading">Steps</h2>
      ${roots.length ? stepList(roots, now, true) : html`<p>No steps yet.</p>`}
    </section>
    <section aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">Timeline</h2>
      ${timeline(job, roots, now)}
    </section>
    ${confirmation(state, actions)}`;
}
