// The sign-in form: a user name, a password, and oVirt's SSO token endpoint behind them.
import { html, nothing } from "lit-html";

export function signInView(state, actions) {
  const { problem, busy, note } = state.signIn;
  return html`<h1 tabindex="-1">Sign in</h1>
    ${note ? html`<p class="notice" role="status">${note}</p>` : nothing}
    <form class="sign-in" @submit=${actions.signIn} aria-describedby=${problem ? "sign-in-problem" : nothing}>
      <div class="field">
        <label for="username">User name</label>
        <input id="username" name="username" autocomplete="username" required autocapitalize="off" spellcheck="false">
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
      </div>
      ${problem ? html`<div id="sign-in-problem" class="problem" role="alert">${problem}</div>` : nothing}
      <button type="submit" ?disabled=${busy}>Sign in</button>
    </form>`;
}
