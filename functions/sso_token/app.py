"""POST /ovirt-engine/sso/oauth/token: oVirt's SSO password grant, a user name and password for a token."""

from external_tasks import signin
from external_tasks.http import sso


@sso.token_endpoint
def handler(grant: sso.PasswordGrant) -> signin.Token:
    return signin.sign_in(grant.user_name, grant.password)
