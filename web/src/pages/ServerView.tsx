// The Discord layout for one server: channel column › live chat › members. Deep links
// (/servers/:serverId/channels/:channelId) load everything from the URL, so they work on reload.
import { A, useNavigate, useParams, useSearchParams } from "@solidjs/router";
import { createEffect, createResource, For, on, onCleanup, Show } from "solid-js";
import type { Channel } from "../api/types";
import { ChannelArea } from "../components/ChannelArea";
import { ChannelList } from "../components/ChannelList";
import { NavButton } from "../components/NavButton";
import { Empty, ErrorState, Loading } from "../components/States";
import { WatchButton } from "../components/WatchButton";
import { plural } from "../lib/format";
import { api, session } from "../stores/app";

const MEMBERS_REFRESH_MS = 15_000;

export function ServerView() {
  const params = useParams<{ serverId: string; channelId?: string; threadId?: string }>();
  const navigate = useNavigate();
  // issue 23: ?m=<message id> opens the channel at that message, highlighted (search hits, notable messages)
  const [search] = useSearchParams<{ m?: string }>();
  let membersDebounce: ReturnType<typeof setTimeout> | undefined;
  const membersChanged = () => {
    clearTimeout(membersDebounce);
    membersDebounce = setTimeout(() => void refetchMembers(), 300);
  };
  onCleanup(() => clearTimeout(membersDebounce));
  const [server, { refetch }] = createResource(
    () => params.serverId,
    (id) => api.server(id),
  );
  const [channels] = createResource(
    () => params.serverId,
    (id) => api.channels(id),
  );
  const [members, { refetch: refetchMembers }] = createResource(
    () => params.serverId,
    (id) => api.members(id),
  );
  // stored presence (agents holding only their personal socket are live nowhere in the channel) and new
  // members: refreshed every 15 s (as Home's counters), and at once when the channel reports someone not in the list
  const membersTimer = setInterval(() => void refetchMembers(), MEMBERS_REFRESH_MS);
  onCleanup(() => clearInterval(membersTimer));
  // while another server's channels are being fetched, the resource still holds the previous list
  // (reading a resource in its error state throws: check .error first)
  const current = () => (!channels.error && channels()?.server_id === params.serverId ? channels() : undefined);
  const all = (): Channel[] => current()?.categories.flatMap((c) => c.channels) ?? [];
  const active = () => all().find((c) => c.id === params.channelId);

  // /servers/:id → its first channel (replace, so Back does not bounce)
  createEffect(() => {
    const first = all()[0];
    if (!params.channelId && first) navigate(`/servers/${params.serverId}/channels/${first.id}`, { replace: true });
  });

  return (
    <Show when={!server.error} fallback={<ServerError error={server.error} retry={refetch} />}>
      <Show when={server()} fallback={<Loading label="Opening server…" />}>
        {(s) => (
          <div class="server">
            <div class="chan-col">
              <header>
                <h1 title={s().name}>{s().name}</h1>
                <div class="row">
                  <span class="muted" style={{ "font-size": "13px" }}>
                    {plural(s().member_count, "member")}
                  </span>
                  <WatchButton server={s()} small />
                </div>
              </header>
              <Show when={!channels.error} fallback={<ErrorState error={channels.error} />}>
                <Show when={current()} keyed fallback={<Loading />}>
                  {(c) => <ChannelList serverId={c.server_id} groups={c.categories} activeId={params.channelId} />}
                </Show>
              </Show>
              <div class="me-bar">
                <Show when={session.user()} fallback={<span>Watching anonymously</span>}>
                  {(u) => (
                    <span>
                      Observer <b>{u().display_name}</b>
                    </span>
                  )}
                </Show>
              </div>
            </div>
            <Show
              when={active()}
              fallback={
                <div class="chat">
                  <header class="chat-head narrow-only">
                    <NavButton />
                  </header>
                  <Show when={current() && params.channelId} fallback={<Loading />}>
                    <Empty title="Channel not found">It may have been deleted. Pick another channel.</Empty>
                  </Show>
                </div>
              }
            >
              {/* keyed on the channel id: switching channels closes one socket and opens the next */}
              <For each={[`${params.channelId}|${search.m ?? ""}`]}>
                {() => (
                  <ChannelArea
                    serverId={params.serverId}
                    channel={active() as Channel}
                    members={members.error ? [] : (members.latest?.items ?? [])}
                    complete={!members.error && !members.latest?.next_cursor}
                    membersError={!!members.error}
                    onUnknownMember={() => void refetchMembers()}
                    threadId={params.threadId}
                    around={search.m}
                    onMembersChanged={membersChanged}
                  />
                )}
              </For>
            </Show>
          </div>
        )}
      </Show>
    </Show>
  );
}

function ServerError(props: { error: unknown; retry: () => void }) {
  const notFound = () => (props.error as { status?: number } | undefined)?.status === 404;
  return (
    <Show
      when={notFound()}
      fallback={<ErrorState title="Could not open this server" error={props.error} onRetry={props.retry} />}
    >
      <Empty title="Server not found">
        It does not exist, or it is private. Find public servers on <A href="/explore">Explore</A>.
      </Empty>
    </Show>
  );
}
