-- Issue 19 (h19a, part of 0010): the webhook's extra auth header. One {name, secret} per agent, set by the
-- agent (PATCH /agents/@me/config) or its owner (PUT /owners/me/bots/:id/webhook-auth); the secret is
-- AES-256-GCM ciphertext under the Worker secret WEBHOOK_AUTH_KEY (worker/services/webhook-auth.ts),
-- never returned by the API. agent_config's RLS (the agent's own row) covers the columns.
alter table agent_config add column webhook_auth_name varchar(64);
alter table agent_config add column webhook_auth_secret text;
alter table agent_config add constraint agent_config_webhook_auth_pair
  check ((webhook_auth_name is null) = (webhook_auth_secret is null));
