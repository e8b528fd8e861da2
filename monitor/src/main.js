// The web task monitor: a hash router (#/ the jobs, #/jobs/<id> one job: links that can be shared), one
// state object rendered by lit-html, and a poller that keeps the current view up to date.
import { html, nothing, render } from "lit-html";
import { Api, Outage, searchQuery } from "./api.js";
import { statusWord } from "./format.js";
import { jobView } from "./job.js";
import { listView } from "./list.js";
import { Poller } from "./poller.js";
import { problemMessage } from "./problems.js";
import * as sessions from "./session.js";
import { signInView } from "./signin.js";

const PAGE = 50;
const MOST = 1000; // the API's largest page
const SEARCH_PAUSE_MS = 300;

const root = document.getElementById("app");

const state = {
  config: null,
  session: null,
  route: { name: "list", status: "", search: "" },
  jobs: null,
  max: PAGE,
  moreJobs: false,
  listProblem: null,
  job: null,
  jobProblem: null,
  gone: false,
  notice: null,
  actionProblem: null,
  confirm: null,
  busy: false,
  outage: false,
  signIn: { problem: null, busy: false, note: null },
  now: Date.now(),
};

let api = null;
let searchTimer;
let focusHeading = true;

function parseRoute() {
  const [path, query = ""] = (location.hash.replace(/^#/, "") || "/").split("?");
  const job = /^\/jobs\/([^/?]+)$/.exec(path);
  if (job) return { name: "job", id: decodeURIComponent(job[1]) };
  const params = new URLSearchParams(query);
  return { name: "list", status: params.get("status") ?? "", search: params.get("search") ?? "" };
}

function listHash(status, search) {
  const params = new URLSearchParams();
  if (status) params.set("status", status);
  if (search.trim()) params.set("search", search.trim());
  const query = params.toString();
  return query ? `#/?${query}` : "#/";
}

function needsSignIn() {
  return state.config.signIn && (!state.session || state.session.expired);
}

function signedOut(note) {
  sessions.forget();
  state.session = null;
  state.signIn = { problem: null, busy: false, note };
  focusHeading = true;
  poller.pause();
}

async function load(isCurrent) {
  if (needsSignIn()) return "stop";
  const route = state.route;
  let outcome = "ok";
  try {
    if (route.name === "list") {
      const jobs = await api.jobs({ status: route.status, search: searchQuery(route.search), max: state.max });
      if (!isCurrent()) return "stop";
      state.jobs = jobs;
      state.moreJobs = jobs.length >= state.max && state.max < MOST;
      state.listProblem = null;
    } else {
      const job = await api.job(route.id);
      if (!isCurrent()) return "stop";
      if (state.job?.id === job.id && state.job.status === "started" && job.status !== "started") {
        state.notice = `This job ended: ${statusWord(job.status)}.`;
      }
      state.job = job;
      state.jobProblem = null;
    }
    state.outage = false;
  } catch (error) {
    if (!isCurrent()) return "stop";
    if (error instanceof Outage) {
      state.outage = true;
      outcome = "outage";
    } else {
      state.outage = false;
      if (error.status === 401) {
        signedOut("Your session has ended: sign in again.");
        outcome = "stop";
      } else if (route.name === "job") {
        state.gone = error.status === 404 && state.job !== null;
        state.jobProblem = error;
        outcome = error.status >= 500 || error.status === 429 ? "outage" : "stop";
      } else {
        state.listProblem = error;
        state.jobs = state.jobs ?? [];
        outcome = error.status >= 500 || error.status === 429 ? "outage" : "stop";
      }
    }
  }
  state.now = Date.now();
  update();
  return outcome;
}

const poller = new Poller(load);

function onRoute() {
  const route = parseRoute();
  const previous = state.route;
  clearTimeout(searchTimer); // the address now says what to show
  if (route.name !== previous.name || route.id !== previous.id) {
    focusHeading = true;
    state.job = null;
    state.jobProblem = null;
    state.gone = false;
    state.notice = null;
    state.actionProblem = null;
    state.confirm = null;
  }
  if (route.name === "list" && (route.status !== previous.status || route.search !== previous.search)) {
    state.max = PAGE;
  }
  state.route = route;
  update();
  if (!needsSignIn()) poller.refresh();
}

function navigateList(status, search) {
  history.replaceState(null, "", listHash(status, search));
  onRoute();
}

const actions = {
  filter(status) {
    navigateList(status, state.route.search);
  },
  search(text) {
    state.route = { ...state.route, search: text };
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      if (state.route.name === "list") navigateList(state.route.status, text);
    }, SEARCH_PAUSE_MS);
  },
  more() {
    state.max = Math.min(MOST, state.max + PAGE);
    poller.refresh();
  },
  askEnd() {
    state.confirm = "end";
    update();
  },
  askClear() {
    state.confirm = "clear";
    update();
  },
  cancel() {
    if (!state.confirm) return;
    const asked = state.confirm;
    state.confirm = null;
    update();
    root.querySelector(`.actions button[data-asks="${asked}"]`)?.focus();
  },
  async confirm() {
    const asked = state.confirm;
    const id = state.job.id;
    state.confirm = null;
    state.busy = true;
    state.actionProblem = null;
    update();
    try {
      await (asked === "end" ? api.end(id) : api.clear(id));
      state.notice =
        asked === "end"
          ? "The job was ended."
          : "The job was cleared: it disappears once it has ended and its clean-up delay has passed.";
    } catch (error) {
      if (error.status === 401) signedOut("Your session has ended: sign in again.");
      else state.actionProblem = error;
    } finally {
      state.busy = false;
      update();
      root.querySelector(state.actionProblem ? ".problem" : "h1")?.focus();
      if (!needsSignIn()) poller.refresh();
    }
  },
  async signIn(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    state.signIn = { problem: null, busy: true, note: null };
    update();
    try {
      state.session = await sessions.signIn(state.config.tokenUrl, form.get("username"), form.get("password"));
      state.signIn = { problem: null, busy: false, note: null };
      focusHeading = true;
      update();
      poller.refresh();
    } catch (error) {
      const problem = error instanceof Outage ? problemMessage(error) : error.message;
      state.signIn = { problem, busy: false, note: null };
      update();
      root.querySelector("#password")?.focus();
    }
  },
  signOut() {
    signedOut("You are signed out.");
    update();
  },
};

function who() {
  if (!state.config.signIn || !state.session?.name) return nothing;
  const roles = state.session.groups.join(", ") || "no group";
  return html`<div class="who">
    <span>Signed in as <strong>${state.session.name}</strong> <span class="groups">(${roles})</span></span>
    <button type="button" @click=${actions.signOut}>Sign out</button>
  </div>`;
}

function view() {
  if (needsSignIn()) return signInView(state, actions);
  return state.route.name === "job" ? jobView(state, actions) : listView(state, actions);
}

function app() {
  return html`<header class="top">
      <a class="brand" href="#/">External Tasks <span>monitor</span></a>
      ${who()}
    </header>
    ${state.outage
      ? html`<div class="banner outage" role="alert">
          The service cannot be reached: check the network connection. Retrying every few seconds; what is
          shown may be out of date.
        </div>`
      : nothing}
    <main>${view()}</main>`;
}

function update() {
  render(app(), root);
  const dialog = root.querySelector("dialog.confirm");
  if (dialog && !dialog.open) dialog.showModal();
  if (focusHeading) {
    focusHeading = false;
    root.querySelector("main h1")?.focus();
  }
}

async function start() {
  root.replaceChildren(); // the page's "Loading…" placeholder
  try {
    const reply = await fetch("config.json", { cache: "no-store" });
    if (!reply.ok) throw new Error(`config.json answered ${reply.status}`);
    const config = await reply.json();
    state.config = { api: config.api, tokenUrl: config.token_url, signIn: Boolean(config.sign_in) };
  } catch (error) {
    render(html`<main><h1>The monitor cannot start</h1>
      <p class="problem" role="alert">Its settings (config.json) could not be read: ${String(error.message ?? error)}</p></main>`, root);
    return;
  }
  state.session = state.config.signIn ? sessions.restore() : sessions.LOCAL_ADMINISTRATOR;
  api = new Api(state.config.api, () => state.session?.token ?? null);
  state.route = parseRoute();
  window.addEventListener("hashchange", onRoute);
  update();
  if (!needsSignIn()) poller.refresh();
}

start();
