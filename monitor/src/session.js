// Sign-in with a user name and password for oVirt's SSO token (the service's user pool behind it), and who
// the signed-in user is, from the token's claims. The API checks the token itself: the claims only decide
// what the monitor offers (the End and Clear buttons), never what is allowed.
import { Outage } from "./api.js";

const STORAGE_KEY = "external-tasks-monitor.session";
const ADMINISTRATORS = "administrators";

/** A refused sign-in, worded for the person signing in. */
export class SignInRefused extends Error {}

function claims(token) {
  const payload = token.split(".")[1] ?? "";
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export class Session {
  constructor(token, name, groups, expires) {
    this.token = token;
    this.name = name;
    this.groups = groups;
    this.expires = expires; // epoch ms
  }

  static fromToken(token, fallbackExpiry) {
    const payload = claims(token);
    const name = payload["cognito:username"] ?? payload.username ?? payload.sub ?? "";
    const groups = payload["cognito:groups"] ?? [];
    const expires = payload.exp ? payload.exp * 1000 : fallbackExpiry;
    return new Session(token, name, groups, expires);
  }

  get administrator() {
    return this.groups.includes(ADMINISTRATORS);
  }

  get expired() {
    return Boolean(this.expires) && Date.now() >= this.expires;
  }

  /** The owner or an administrator may end and clear a job (the API refuses anyone else). */
  mayChange(job) {
    return this.administrator || job.owner?.id === `user/${this.name}`;
  }
}

/** Nobody signs in (the local server with AUTH=none): every caller is the local administrator. */
export const LOCAL_ADMINISTRATOR = {
  token: null,
  name: null,
  groups: [ADMINISTRATORS],
  administrator: true,
  expired: false,
  mayChange: () => true,
};

export function restore() {
  const token = sessionStorage.getItem(STORAGE_KEY);
  if (!token) return null;
  try {
    const session = Session.fromToken(token);
    return session.expired ? null : session;
  } catch {
    return null;
  }
}

export function forget() {
  sessionStorage.removeItem(STORAGE_KEY);
}

export async function signIn(tokenUrl, username, password) {
  const form = new URLSearchParams({ grant_type: "password", username, password, scope: "ovirt-app-api" });
  let reply;
  let data;
  try {
    reply = await fetch(tokenUrl, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: form,
      cache: "no-store",
    });
    data = await reply.json().catch(() => ({}));
  } catch (error) {
    throw new Outage(String(error?.message ?? error));
  }
  if (!reply.ok || !data.access_token) {
    const said = data.error_description ?? data.error ?? `the sign-in service answered ${reply.status}`;
    throw new SignInRefused(`Sign-in refused: ${said}`);
  }
  const exp = Number(data.exp);
  const session = Session.fromToken(data.access_token, Number.isFinite(exp) ? exp : undefined);
  sessionStorage.setItem(STORAGE_KEY, data.access_token);
  return session;
}
