#!/usr/bin/env bash
# Sets up the Microsoft Entra app that mailboxbot signs in as, with the az CLI:
# the app registration, a certificate credential, the service principal, every
# application permission the bot uses (docs/permissions.md says which operation
# needs which), admin consent, and the directory role Exchange Recipient
# Administrator. It can be run again: what exists is reused.
#
#   az login --tenant <your tenant>    # as a Global Administrator or Privileged Role Administrator
#   deploy/entra-setup.sh [--name mailboxbot] [--cert-pem public.pem] [--credential-roles]
#
#   --name NAME          display name of the app registration (default: mailboxbot)
#   --cert-pem FILE      upload this certificate (PEM, public part only; keep its
#                        private key for the bot). Without it, az creates a
#                        self-signed certificate valid for one year and writes it,
#                        with its private key, to a PEM file it names.
#   --credential-roles   also assign User Administrator and Authentication
#                        Administrator, which resetting a password (rules 9, 10)
#                        and creating a Temporary Access Pass (rule 9) need with
#                        application permissions; without them those steps get 403.
#
# Certificates are preferred over client secrets: the private key never leaves
# the bot's host (only the public part is uploaded), nothing that could be
# pasted into a chat or a log authenticates the app, and Entra ID accepts a
# certificate's signed assertion only briefly. If you must use a secret:
#   az ad app credential reset --id <appId> --append --display-name mailboxbot --years 1
# and set AZURE_CLIENT_SECRET (or AZURE_CLIENT_SECRET_FILE) instead.
set -euo pipefail

name=mailboxbot
cert_pem=
credential_roles=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --cert-pem) cert_pem="${2:?--cert-pem needs a file}"; shift 2 ;;
    --credential-roles) credential_roles=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -n "$cert_pem" && ! -r "$cert_pem" ]]; then
  echo "cannot read $cert_pem" >&2; exit 2
fi

graph_api=00000003-0000-0000-c000-000000000000    # Microsoft Graph
exchange_api=00000002-0000-0ff1-ce00-000000000000 # Office 365 Exchange Online

# Application permissions, exactly those of README.md's table.
graph_permissions=(
  User.Read.All
  User.EnableDisableAccount.All
  User.RevokeSessions.All
  LicenseAssignment.ReadWrite.All
  GroupMember.Read.All
  User-PasswordProfile.ReadWrite.All
  UserAuthenticationMethod.ReadWrite.All
  User.ReadWrite.All
)
exchange_permissions=(
  Exchange.ManageAsApp
)
roles=("Exchange Recipient Administrator")
if $credential_roles; then
  roles+=("User Administrator" "Authentication Administrator")
fi

say() { printf '==> %s\n' "$*" >&2; }

tenant_id=$(az account show --query tenantId -o tsv)
say "tenant $tenant_id"

app_id=$(az ad app list --display-name "$name" --query "[0].appId" -o tsv)
if [[ -z "$app_id" ]]; then
  say "creating the app registration $name"
  app_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId -o tsv)
else
  say "reusing the app registration $name ($app_id)"
fi

cert_file=
if [[ -n "$cert_pem" ]]; then
  say "uploading the certificate $cert_pem"
  az ad app credential reset --id "$app_id" --append --display-name "$name" --cert "@$cert_pem" -o none
else
  say "creating a self-signed certificate"
  cert_file=$(az ad app credential reset --id "$app_id" --append --display-name "$name" --create-cert --years 1 \
    --query fileWithCertAndPrivateKey -o tsv)
fi

sp_id=$(az ad sp list --filter "appId eq '$app_id'" --query "[0].id" -o tsv)
if [[ -z "$sp_id" ]]; then
  say "creating the service principal"
  sp_id=$(az ad sp create --id "$app_id" --query id -o tsv)
fi
say "service principal $sp_id"

# add_permissions API VALUE...: looks each role id up by its value in the API's
# own service principal (no hard-coded GUIDs) and adds it as an application
# permission (Role).
add_permissions() {
  local api=$1; shift
  local value id
  for value in "$@"; do
    id=$(az ad sp show --id "$api" --query "appRoles[?value=='$value'].id" -o tsv)
    if [[ -z "$id" ]]; then
      echo "the API $api has no application permission $value" >&2; exit 1
    fi
    say "permission $value ($id)"
    az ad app permission add --id "$app_id" --api "$api" --api-permissions "$id=Role" -o none
  done
}
add_permissions "$graph_api" "${graph_permissions[@]}"
add_permissions "$exchange_api" "${exchange_permissions[@]}"

say "granting admin consent"
for attempt in 1 2 3 4 5 6; do
  if az ad app permission admin-consent --id "$app_id"; then
    break
  fi
  if [[ $attempt -eq 6 ]]; then
    echo "admin consent failed; grant it in the portal: App registrations > $name > API permissions" >&2; exit 1
  fi
  say "the directory has not caught up yet; retrying in 10 s"
  sleep 10
done

graph=https://graph.microsoft.com/v1.0
for role in "${roles[@]}"; do
  role_id=$(az rest --method GET \
    --url "$graph/roleManagement/directory/roleDefinitions?\$filter=displayName eq '$role'" \
    --query "value[0].id" -o tsv)
  if [[ -z "$role_id" ]]; then
    echo "no directory role named $role" >&2; exit 1
  fi
  existing=$(az rest --method GET \
    --url "$graph/roleManagement/directory/roleAssignments?\$filter=principalId eq '$sp_id' and roleDefinitionId eq '$role_id'" \
    --query "value[0].id" -o tsv)
  if [[ -n "$existing" ]]; then
    say "role $role: already assigned"
    continue
  fi
  say "assigning the role $role"
  az rest --method POST --url "$graph/roleManagement/directory/roleAssignments" \
    --headers "Content-Type=application/json" \
    --body "{\"principalId\":\"$sp_id\",\"roleDefinitionId\":\"$role_id\",\"directoryScopeId\":\"/\"}" -o none
done

echo
echo "Set these for mailboxbot (README.md, \"Configuration\"):"
echo "AZURE_TENANT_ID=$tenant_id"
echo "AZURE_CLIENT_ID=$app_id"
if [[ -n "$cert_file" ]]; then
  echo "AZURE_CLIENT_CERTIFICATE_PATH=<where you mount $cert_file: it holds the certificate and its private key; keep it secret, delete this copy>"
else
  echo "AZURE_CLIENT_CERTIFICATE_PATH=<the PEM with the certificate and the private key that belongs to $cert_pem>"
fi
if ! $credential_roles; then
  echo
  echo "Converting back to a user mailbox (rule 9) and recovering a deleted user (rule 10) also need the roles"
  echo "User Administrator and Authentication Administrator: run again with --credential-roles."
fi
echo "Role assignments can take up to an hour to reach Exchange Online; 'mailboxbot doctor' checks them."
