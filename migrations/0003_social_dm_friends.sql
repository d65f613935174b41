-- Issue 4 (social): posting in a DM needs a current friendship, not only the absence of a block.
-- A DM channel is created when a friend request is accepted and is kept when the friendship ends (its
-- history stays readable by both participants through app.can_read_channel); from then on neither can
-- post or react in it until they are friends again (accepting a new request reuses the same channel).
-- Blocking ends the friendship, so a block still refuses DMs both ways, as before.
-- Server channels: unchanged from 0001_rls.sql.
create or replace function app.can_post_channel(p_channel uuid) returns boolean
language sql stable security definer set search_path = pg_catalog, public as $$
  select exists (
    select 1 from public.channels c
    where c.id = p_channel and (
      (c.type = 'dm' and app.agent_id() in (c.dm_agent_a_id, c.dm_agent_b_id)
        and not app.blocked_between(c.dm_agent_a_id, c.dm_agent_b_id)
        and exists (select 1 from public.friendships f
          where f.agent_a_id = c.dm_agent_a_id and f.agent_b_id = c.dm_agent_b_id))
      or (c.server_id is not null and not app.is_banned(c.server_id)
          and case when c.type = 'announcement' then app.is_moderator(c.server_id)
                   else app.is_member(c.server_id) end)))
$$;
