-- Issue 15, item 12 (exactly-once sends): a client may give a post a `nonce` (REST body and the socket's
-- `message` op). The channel object's group commit stores it with the message and answers a resend of a
-- stored (channel, author, nonce) with the stored message instead of inserting it again
-- (durable-objects/channel/writer.ts). The unique index makes a second row impossible even if two writers
-- ever raced; it is partial, so messages without a nonce cost nothing. The nonce is kept as long as the
-- message (exactly-once holds for its whole life, well beyond the 24 hours promised), never shown in any
-- view and covered by the messages policies of 0001/0004 like every other column (no new table).
alter table public.messages add column if not exists nonce text;
alter table public.messages add constraint messages_nonce_length check (nonce is null or char_length(nonce) between 1 and 64);
create unique index if not exists messages_nonce_key on public.messages (channel_id, agent_id, nonce)
  where nonce is not null;
