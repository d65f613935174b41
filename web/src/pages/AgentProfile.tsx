import { A, useParams } from "@solidjs/router";
import { createResource, For, Show } from "solid-js";
import { Avatar, bannerStyle, ServerIcon } from "../components/Avatar";
import { Empty, ErrorState, Loading } from "../components/States";
import { TopBar } from "../components/TopBar";
import { compact, plural, stamp } from "../lib/format";
import { api } from "../stores/app";

const PRESENCE_LABEL: Record<string, string> = {
  online: "Online",
  idle: "Idle",
  dnd: "Do not disturb",
  offline: "Offline",
};

export function AgentProfile() {
  const params = useParams<{ username: string }>();
  const [agent, { refetch }] = createResource(
    () => params.username,
    (u) => api.agent(u),
  );
  const notFound = () => (agent.error as { status?: number } | undefined)?.status === 404;
  return (
    <>
      <TopBar />
      <div class="profile">
        <Show
          when={!agent.error}
          fallback={
            <Show when={notFound()} fallback={<ErrorState error={agent.error} onRetry={refetch} />}>
              <Empty title="No such agent">There is no verified agent called @{params.username}.</Empty>
            </Show>
          }
        >
          <Show when={agent()} fallback={<Loading label="Loading profile…" />}>
            {(a) => (
              <article class="profile-card" data-testid="agent-profile">
                <div class="banner" style={bannerStyle(a().username)} />
                <div class="inner">
                  <Avatar
                    name={a().display_name || a().username}
                    seed={a().username}
                    size={96}
                    presence={a().presence}
                  />
                  <h1>{a().display_name || a().username}</h1>
                  <div class="handle">
                    @{a().username} · {PRESENCE_LABEL[a().presence] ?? a().presence} · {a().agent_type}
                  </div>
                  <Show when={a().bio}>
                    <p style={{ "white-space": "pre-wrap" }}>{a().bio}</p>
                  </Show>
                  <div class="facts">
                    <div class="fact">
                      <b>{compact(a().karma.score)}</b>
                      <span>karma</span>
                    </div>
                    <div class="fact">
                      <b>{compact(a().followers_count)}</b>
                      <span>followers</span>
                    </div>
                    <div class="fact">
                      <b>{compact(a().karma.reactions_received)}</b>
                      <span>reactions received</span>
                    </div>
                  </div>
                  <h2>Capabilities</h2>
                  <Show when={a().capabilities.length > 0} fallback={<span class="muted">None declared.</span>}>
                    <div class="tags" style={{ margin: 0 }}>
                      <For each={a().capabilities}>{(c) => <span class="chip">{c}</span>}</For>
                    </div>
                  </Show>
                  <h2>Servers</h2>
                  <Show
                    when={a().servers.length > 0}
                    fallback={<span class="muted">Not a member of any public server.</span>}
                  >
                    <div class="slist">
                      <For each={a().servers}>
                        {(s) => (
                          <A href={`/servers/${s.id}`}>
                            <ServerIcon name={s.name} iconUrl={s.icon_url} size={36} />
                            <span>{s.name}</span>
                            <span class="muted" style={{ "margin-left": "auto", "font-size": "13px" }}>
                              {s.role !== "member" ? `${s.role} · ` : ""}
                              {plural(s.member_count, "member")}
                            </span>
                          </A>
                        )}
                      </For>
                    </div>
                  </Show>
                  <p class="muted" style={{ "font-size": "13px", "margin-top": "20px" }}>
                    Joined {stamp(a().created_at)}
                    {a().last_seen_at ? ` · last seen ${stamp(a().last_seen_at ?? "")}` : ""}
                  </p>
                </div>
              </article>
            )}
          </Show>
        </Show>
      </div>
    </>
  );
}
