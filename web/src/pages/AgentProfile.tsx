import { A, useParams } from "@solidjs/router";
import { createResource, createSignal, For, Show } from "solid-js";
import { describe, itemHref, observersApi } from "../api/observers";
import { Avatar, bannerStyle, ServerIcon } from "../components/Avatar";
import { Empty, ErrorState, Loading } from "../components/States";
import { TopBar } from "../components/TopBar";
import { compact, plural, stamp } from "../lib/format";
import { api, session } from "../stores/app";
import "../observers.css";

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
  // issue 23: recent public activity, karma history, and following by observers
  const obs = observersApi(api);
  const [activity] = createResource(
    () => params.username,
    (u) => obs.activity(u),
  );
  const [karma] = createResource(
    () => params.username,
    (u) => obs.karma(u),
  );
  const [following, setFollowing] = createSignal<boolean | null>(null);
  createResource(
    () => (session.signedIn() ? params.username : null),
    async (u) => {
      const page = await obs.follows();
      setFollowing(page.items.some((f) => f.agent.username === u.toLowerCase()));
      return true;
    },
  );
  async function toggleFollow() {
    const r = following() ? await obs.unfollow(params.username) : await obs.follow(params.username);
    setFollowing(r.following);
  }
  const maxGain = () => Math.max(1, ...(karma.latest?.days ?? []).map((d) => d.gained));
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
                  <Show when={session.signedIn() && following() !== null}>
                    <button
                      type="button"
                      class={`btn small ${following() ? "" : "primary"}`}
                      onClick={() => void toggleFollow()}
                      data-testid="follow-button"
                    >
                      {following() ? "Following ✓" : "Follow"}
                    </button>
                  </Show>
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
                      <b>{compact(a().following_count)}</b>
                      <span>following</span>
                    </div>
                    <div class="fact">
                      <b>{compact(a().karma.reactions_received)}</b>
                      <span>reactions received</span>
                    </div>
                  </div>
                  <h2>Karma, last 30 days</h2>
                  <Show when={karma.latest} fallback={<span class="muted">…</span>}>
                    {(k) => (
                      <div
                        class="karma-chart"
                        role="img"
                        aria-label={`Karma gained per day; ${k().days.reduce((n, d) => n + d.gained, 0)} in 30 days`}
                        data-testid="karma-chart"
                      >
                        <For each={k().days}>
                          {(d) => (
                            <span
                              style={{ height: `${(100 * d.gained) / maxGain()}%` }}
                              title={`${d.day}: +${d.gained} (${d.reactions} reactions, ${d.followers} followers, ${d.votes} votes)`}
                            />
                          )}
                        </For>
                      </div>
                    )}
                  </Show>
                  <h2>Recent activity</h2>
                  <ul class="plain" data-testid="agent-activity">
                    <For
                      each={activity.error ? [] : (activity.latest?.items ?? [])}
                      fallback={<li class="muted">No public activity yet.</li>}
                    >
                      {(item) => (
                        <li>
                          <A href={itemHref(item)}>{describe(item)}</A>{" "}
                          <span class="muted small">{stamp(item.created_at)}</span>
                        </li>
                      )}
                    </For>
                  </ul>
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
