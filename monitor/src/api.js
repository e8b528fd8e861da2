// Calls to the jobs API in its oVirt v4 JSON shape, with the signed-in user's bearer token if there is one.

/** A reply the API refused: its status code and the fault's reason and detail. */
export class ApiError extends Error {
  constructor(status, reason, detail) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.status = status;
    this.reason = reason;
    this.detail = detail;
  }
}

/** No reply at all: the network, the browser or the service is unreachable. */
export class Outage extends Error {}

function fault(status, statusText, data) {
  // A fault is {reason, detail}; on an action it is wrapped ({status: "failed", fault: {…}}); API Gateway's
  // own refusals are {message} or {Message}.
  const body = data?.fault ?? data ?? {};
  const reason = body.reason ?? body.message ?? body.Message ?? (statusText || `HTTP ${status}`);
  return new ApiError(status, reason, body.detail ?? "");
}

export class Api {
  /** `base` is the API root (such as /api or https://…/ovirt-engine/api); `token()` the bearer token or null. */
  constructor(base, token) {
    this.base = base.replace(/\/+$/, "");
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let reply;
    let text;
    try {
      reply = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
      text = await reply.text();
    } catch (error) {
      throw new Outage(String(error?.message ?? error));
    }
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!reply.ok) throw fault(reply.status, reply.statusText, data);
    return data ?? {};
  }

  /** Jobs newest first. `status` and `search` may be empty; `max` caps the page. */
  async jobs({ status, search, max }) {
    const query = new URLSearchParams();
    if (status) query.set("status", status);
    if (search) query.set("search", search);
    query.set("max", String(max));
    const data = await this.call("GET", `/jobs?${query}`);
    return data.job ?? [];
  }

  /** One job with its steps (a flat list in tree order) under `steps.step`. */
  job(id) {
    return this.call("GET", `/jobs/${encodeURIComponent(id)}?follow=steps`);
  }

  end(id) {
    return this.call("POST", `/jobs/${encodeURIComponent(id)}/end`, { succeeded: true, force: true });
  }

  clear(id) {
    return this.call("POST", `/jobs/${encodeURIComponent(id)}/clear`, {});
  }
}

/** What a search box's text asks the API for: oVirt's search syntax as typed, else a correlation id. */
export function searchQuery(text) {
  const typed = text.trim();
  if (!typed) return "";
  return typed.includes("=") ? typed : `correlation_id=${typed}`;
}
