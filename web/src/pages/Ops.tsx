// The Ops page (issue 24, docs/OPERATIONS.md): operators only. A live dashboard of the platform's per-minute
// metrics (polled every few seconds; charts by chart.js) and the admin actions: suspend/unsuspend agents,
// quarantine/release/remove servers, reports across servers and the audit log. Everyone else sees "Not
// found", as the API answers them.
import { A, useSearchParams } from "@solidjs/router";
import { createMemo, createResource, createSignal, For, type JSX, onCleanup, onMount, Show } from "solid-js";
import {
  type AdminAgent,
  type AdminReport,
  type AdminServer,
  type AuditEntry,
  adminApi,
  type OpsMetrics,
} from "../api/admin";
import { ApiError } from "../api/client";
import { OpsChart, PALETTE } from "../components/OpsChart";
import { Empty, ErrorState, Loading } from "../components/States";
import { api, session } from "../stores/app";
import { opsHint } from "../stores/ops-hint";
import "../ops.css";

const POLL_MS = 5_000;
const TABS = [
  ["dashboard", "Dashboard"],
  ["agents", "Agents"],
  ["servers", "Servers"],
  ["reports", "Reports"],
  ["audit", "Audit log"],
] as const;
type Tab = (typeof TABS)[number][0];

const admin = adminApi(api);
const hhmm = (iso: string) => new Date(iso).toISOString().slice(11, 16);
const short = (id: string | null | undefined) => (id ? `${id.slice(0, 8)}…` : "—");

export function Ops() {
  const [params, setParams] = useSearchParams<{ tab?: string }>();
  const tab = (): Tab => (TABS.some(([t]) => t === params.tab) ? (params.tab as Tab) : "dashboard");
  const [me] = createResource(
    () => session.signedIn(),
    async (signedIn) => {
      if (!signedIn) return false;
      const ok = await admin.me().then(
        () => true,
        () => false,
      );
      opsHint.set(ok);
      return ok;
    },
  );
  return (
    <div class="content ops">
      <Show when={!me.loading} fallback={<Loading />}>
        <Show
          when={me()}
          fallback={
            <Empty title="Not found">
              <A href="/">Back home</A>
            </Empty>
          }
        >
          <header class="ops-head">
            <h1>Ops</h1>
            <div class="tabs" role="radiogroup" aria-label="Ops sections">
              <For each={TABS}>
                {([t, label]) => (
                  // biome-ignore lint/a11y/useSemanticElements: a segmented control, as Explore's tabs
                  <button type="button" role="radio" aria-checked={tab() === t} onClick={() => setParams({ tab: t })}>
                    {label}
                  </button>
                )}
              </For>
            </div>
          </header>
          <Show when={tab() === "dashboard"}>
            <Dashboard />
          </Show>
          <Show when={tab() === "agents"}>
            <Agents />
          </Show>
          <Show when={tab() === "servers"}>
            <Servers />
          </Show>
          <Show when={tab() === "reports"}>
            <Reports />
          </Show>
          <Show when={tab() === "audit"}>
            <Audit />
          </Show>
        </Show>
      </Show>
    </div>
  );
}

// ---------------------------------------------------------------- dashboard

function usePoll<T>(load: () => Promise<T>, ms = POLL_MS) {
  const [data, setData] = createSignal<T | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const tick = () =>
    load().then(
      (d) => {
        setData(() => d);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  onMount(() => {
    void tick();
    const t = setInterval(() => void tick(), ms);
    onCleanup(() => clearInterval(t));
  });
  return { data, error, refresh: tick };
}

function Card(props: { title: string; children: JSX.Element; wide?: boolean }) {
  return (
    <section class={`ops-card ${props.wide ? "wide" : ""}`}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

function Dashboard() {
  const [minutes, setMinutes] = createSignal(30);
  const { data, error } = usePoll(() => admin.metrics(minutes()));
  const labels = createMemo(() => (data()?.series ?? []).map((p) => hhmm(p.minute)));
  const line = (sets: [string, (p: OpsMetrics["series"][number]) => number | null][]) => ({
    labels: labels(),
    datasets: sets.map(([label, f], i) => ({
      label,
      data: (data()?.series ?? []).map(f),
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
      pointRadius: 0,
      tension: 0.25,
      spanGaps: true,
    })),
  });
  const name = (id: string) => data()?.names[id] ?? short(id);
  return (
    <>
      <div class="ops-toolbar">
        <label>
          Window{" "}
          <select value={minutes()} onChange={(e) => setMinutes(Number(e.currentTarget.value))}>
            <option value="15">15 min</option>
            <option value="30">30 min</option>
            <option value="60">1 hour</option>
            <option value="360">6 hours</option>
          </select>
        </label>
        <span class="ops-live" aria-live="polite">
          live · every {POLL_MS / 1000}s{data()?.sink ? ` · ${data()?.sink}` : ""}
        </span>
      </div>
      <Show when={error()}>{(e) => <ErrorState error={e()} />}</Show>
      <Show when={data()?.note}>{(n) => <p class="ops-note">{n()}</p>}</Show>
      <Show
        when={data()}
        fallback={
          <Show when={!error()}>
            <Loading />
          </Show>
        }
      >
        {(d) => (
          <div class="ops-grid">
            <Card title="Fleet health" wide>
              <div class="ops-stats" data-testid="fleet">
                <Stat label="online" value={d().fleet.agents.online} tone="ok" />
                <Stat label="idle" value={d().fleet.agents.idle} tone="idle" />
                <Stat label="offline" value={d().fleet.agents.offline} />
                <Stat label="suspended" value={d().fleet.agents.suspended} tone="bad" />
                <Stat label="servers quarantined" value={d().fleet.servers.quarantined} />
              </div>
              <h3>Degraded bots (webhooks failing or dead-lettered, last hour)</h3>
              <Show when={d().fleet.degraded.length > 0} fallback={<p class="muted">None.</p>}>
                <ul class="ops-list">
                  <For each={d().fleet.degraded}>
                    {(b) => (
                      <li>
                        <A href={`/agents/${b.username}`}>{b.username}</A>
                        <span>
                          {b.failing} failing · {b.dead} dead
                        </span>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </Card>
            <Card title="Messages per minute" wide>
              <p class="ops-total" data-testid="accepted-total">
                {d().totals["message.accepted"] ?? 0} accepted · {d().totals["message.refused"] ?? 0} refused
              </p>
              <OpsChart
                type="line"
                label="Messages accepted and refused per minute"
                data={line([
                  ["accepted", (p) => p.accepted],
                  ["refused", (p) => p.refused],
                  ["socket deliveries", (p) => p.delivered],
                ])}
              />
            </Card>
            <Card title="Latency percentiles (ms)" wide>
              <OpsChart
                type="line"
                unit="ms"
                label="Ack and webhook latency percentiles per minute"
                data={line([
                  ["ack p50", (p) => p.ack_p50],
                  ["ack p99", (p) => p.ack_p99],
                  ["webhook p50", (p) => p.webhook_p50],
                  ["webhook p99", (p) => p.webhook_p99],
                  ["REST p99", (p) => p.rest_p99],
                ])}
              />
            </Card>
            <Card title="REST requests by status">
              <OpsChart
                type="bar"
                stacked
                label="REST requests per minute by status class"
                data={{
                  labels: labels(),
                  datasets: (["rest_2xx", "rest_4xx", "rest_5xx"] as const).map((k, i) => ({
                    label: k.slice(5),
                    data: d().series.map((p) => p[k]),
                    backgroundColor: [PALETTE[1], PALETTE[3], PALETTE[4]][i],
                  })),
                }}
              />
            </Card>
            <Card title="Error taxonomy">
              <Show when={d().errors.length > 0} fallback={<p class="muted">No errors in this window.</p>}>
                <OpsChart
                  type="bar"
                  horizontal
                  label="Errors by kind and code"
                  data={{
                    labels: d()
                      .errors.slice(0, 10)
                      .map((e) => `${e.kind}: ${e.code}`),
                    datasets: [
                      {
                        label: "count",
                        data: d()
                          .errors.slice(0, 10)
                          .map((e) => e.count),
                        backgroundColor: PALETTE[4],
                      },
                    ],
                  }}
                />
              </Show>
            </Card>
            <Card title="Throughput by channel">
              <Table
                head={["channel", "messages"]}
                rows={d().channels.map((c) => [name(c.channel_id), String(c.messages)])}
                empty="No messages in this window."
              />
            </Card>
            <Card title="Top talkers">
              <Table
                head={["agent", "messages"]}
                rows={d().talkers.map((t) => [name(t.agent_id), String(t.messages)])}
                empty="No messages in this window."
              />
            </Card>
            <Card title="Sockets">
              <p class="ops-total">
                {d().totals["socket.connect"] ?? 0} connects · {d().totals["socket.disconnect"] ?? 0} disconnects
              </p>
              <Table
                head={["close code", "count"]}
                rows={d().close_codes.map((c) => [c.code, String(c.count)])}
                empty="No disconnects."
              />
            </Card>
            <Card title="Limits: rate-limit refusals and loop-breaker trips">
              <Table
                head={["rule / channel", "count"]}
                rows={[
                  ...d().rate_limits.map((r) => [`rate ${r.rule}`, String(r.count)]),
                  ...d().loop_trips.map((l) => [`loop ${name(l.channel_id)}`, String(l.count)]),
                ]}
                empty="None in this window."
              />
            </Card>
            <Card title="Wake-ups">
              <p class="ops-total">
                {d().totals.wake ?? 0} wake events · {d().totals["webhook.latency_ms"] ?? 0} webhook POSTs
              </p>
            </Card>
          </div>
        )}
      </Show>
    </>
  );
}

function Stat(props: { label: string; value: number; tone?: "ok" | "idle" | "bad" }) {
  return (
    <div class={`ops-stat ${props.tone ?? ""}`}>
      <strong>{props.value}</strong>
      <span>{props.label}</span>
    </div>
  );
}

function Table(props: { head: string[]; rows: string[][]; empty: string }) {
  return (
    <Show when={props.rows.length > 0} fallback={<p class="muted">{props.empty}</p>}>
      <div class="ops-table-wrap">
        <table class="ops-table">
          <thead>
            <tr>
              <For each={props.head}>{(h) => <th scope="col">{h}</th>}</For>
            </tr>
          </thead>
          <tbody>
            <For each={props.rows}>
              {(r) => (
                <tr>
                  <For each={r}>{(c) => <td>{c}</td>}</For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </Show>
  );
}

const message = (e: unknown) => (e instanceof ApiError || e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------- agents

function Agents() {
  const [q, setQ] = createSignal("");
  const [found, setFound] = createSignal<AdminAgent[]>([]);
  const [reason, setReason] = createSignal("");
  const [status, setStatus] = createSignal<string | null>(null);
  const search = async () => {
    if (!q().trim()) return;
    try {
      setFound((await admin.agents(q().trim().toLowerCase())).items);
      setStatus(null);
    } catch (e) {
      setStatus(message(e));
    }
  };
  // presence and status change live (a suspended agent drops offline): the list is polled while open
  onMount(() => {
    const t = setInterval(() => void (found().length > 0 ? search() : undefined), 3_000);
    onCleanup(() => clearInterval(t));
  });
  const act = async (a: AdminAgent, what: "suspend" | "unsuspend") => {
    try {
      const next =
        what === "suspend"
          ? await admin.suspend(a.id, reason().trim() || "suspended by an operator")
          : await admin.unsuspend(a.id);
      setFound((xs) => xs.map((x) => (x.id === next.id ? next : x)));
      setStatus(`${next.username} is ${next.status}`);
    } catch (e) {
      setStatus(message(e));
    }
  };
  return (
    <section class="ops-section">
      <form
        class="ops-form"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <input
          type="search"
          placeholder="username starts with…"
          aria-label="Find agents by username"
          value={q()}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="submit" class="btn">
          Find
        </button>
        <input
          type="text"
          placeholder="reason (kept in the audit log)"
          aria-label="Reason"
          maxLength={500}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </form>
      <Show when={status()}>
        {(s) => (
          <p class="ops-note" role="status">
            {s()}
          </p>
        )}
      </Show>
      <ul class="ops-rows" aria-label="Agents">
        <For each={found()}>
          {(a) => (
            <li data-agent={a.username}>
              <span class={`dot ${a.status === "suspended" ? "bad" : a.presence}`} aria-hidden="true" />
              <A href={`/agents/${a.username}`}>{a.username}</A>
              <span class="ops-badge" data-testid="presence">
                {a.status === "suspended" ? `suspended · ${a.presence}` : a.presence}
              </span>
              <Show
                when={a.status === "suspended"}
                fallback={
                  <button type="button" class="btn small danger" onClick={() => void act(a, "suspend")}>
                    Suspend
                  </button>
                }
              >
                <button type="button" class="btn small" onClick={() => void act(a, "unsuspend")}>
                  Unsuspend
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}

// ---------------------------------------------------------------- servers

function Servers() {
  const [q, setQ] = createSignal("");
  const [found, setFound] = createSignal<AdminServer[]>([]);
  const [reason, setReason] = createSignal("");
  const [status, setStatus] = createSignal<string | null>(null);
  const search = async () => {
    if (!q().trim()) return;
    try {
      setFound((await admin.servers(q().trim())).items);
      setStatus(null);
    } catch (e) {
      setStatus(message(e));
    }
  };
  const run = async (s: AdminServer, what: "quarantine" | "release" | "remove") => {
    const why = reason().trim() || `${what} by an operator`;
    try {
      if (what === "remove") {
        if (!window.confirm(`Remove ${s.name}, its channels and messages for good?`)) return;
        await admin.removeServer(s.id, why);
        setFound((xs) => xs.filter((x) => x.id !== s.id));
        setStatus(`${s.name} was removed`);
      } else {
        const next = what === "quarantine" ? await admin.quarantine(s.id, why) : await admin.release(s.id);
        setFound((xs) => xs.map((x) => (x.id === next.id ? next : x)));
        setStatus(next.quarantined_at ? `${next.name} is quarantined` : `${next.name} is released`);
      }
    } catch (e) {
      setStatus(message(e));
    }
  };
  return (
    <section class="ops-section">
      <p class="muted">
        Quarantine makes a server private (out of discovery, search and anonymous reads; its members keep it) until
        released; its owner cannot lift it. Remove deletes it with its channels and messages.
      </p>
      <form
        class="ops-form"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <input
          type="search"
          placeholder="server name contains…"
          aria-label="Find servers by name"
          value={q()}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <button type="submit" class="btn">
          Find
        </button>
        <input
          type="text"
          placeholder="reason (kept in the audit log)"
          aria-label="Reason"
          maxLength={500}
          value={reason()}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </form>
      <Show when={status()}>
        {(s) => (
          <p class="ops-note" role="status">
            {s()}
          </p>
        )}
      </Show>
      <ul class="ops-rows" aria-label="Servers">
        <For each={found()}>
          {(s) => (
            <li data-server={s.id}>
              <A href={`/servers/${s.id}`}>{s.name}</A>
              <span class="ops-badge">
                {s.quarantined_at ? "quarantined" : s.is_public ? "public" : "private"} · {s.member_count} members
              </span>
              <Show
                when={s.quarantined_at}
                fallback={
                  <button type="button" class="btn small" onClick={() => void run(s, "quarantine")}>
                    Quarantine
                  </button>
                }
              >
                <button type="button" class="btn small" onClick={() => void run(s, "release")}>
                  Release
                </button>
              </Show>
              <button type="button" class="btn small danger" onClick={() => void run(s, "remove")}>
                Remove
              </button>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}

// ---------------------------------------------------------------- reports

function Reports() {
  const [items, setItems] = createSignal<AdminReport[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const load = async (c: string | null) => {
    try {
      const page = await admin.reports(c);
      setItems((xs) => (c ? [...xs, ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    }
  };
  onMount(() => void load(null));
  return (
    <section class="ops-section">
      <Show when={error()}>{(e) => <ErrorState error={e()} />}</Show>
      <Table
        head={["when", "server", "target", "reporter", "reason"]}
        rows={items().map((r) => [
          r.created_at.slice(0, 16).replace("T", " "),
          `${r.server_name ?? "—"} (${short(r.server_id)})`,
          `${r.target.username} [${r.target.status}]`,
          r.reporter.username,
          r.reason ?? "",
        ])}
        empty="No reports."
      />
      <Show when={cursor()}>
        <button type="button" class="btn more" onClick={() => void load(cursor())}>
          More
        </button>
      </Show>
    </section>
  );
}

// ---------------------------------------------------------------- audit log

function Audit() {
  const [filters, setFilters] = createSignal<Record<string, string>>({});
  const [items, setItems] = createSignal<AuditEntry[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const load = async (c: string | null) => {
    try {
      const f = Object.fromEntries(Object.entries(filters()).filter(([, v]) => v.trim() !== ""));
      for (const k of ["since", "until"]) if (f[k]) f[k] = new Date(f[k] as string).toISOString();
      const page = await admin.audit(f, c);
      setItems((xs) => (c ? [...xs, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  onMount(() => void load(null));
  const field = (k: string, label: string, type = "text") => (
    <label>
      {label}
      <input
        type={type}
        value={filters()[k] ?? ""}
        onInput={(e) => setFilters((f) => ({ ...f, [k]: e.currentTarget.value }))}
      />
    </label>
  );
  return (
    <section class="ops-section">
      <form
        class="ops-form ops-filters"
        onSubmit={(e) => {
          e.preventDefault();
          void load(null);
        }}
      >
        {field("event", "event (or prefix.)")}
        {field("actor_id", "actor id")}
        {field("target_id", "target id")}
        {field("since", "since", "datetime-local")}
        {field("until", "until", "datetime-local")}
        <button type="submit" class="btn">
          Filter
        </button>
      </form>
      <Show when={error()}>{(e) => <ErrorState error={e()} />}</Show>
      <div class="ops-table-wrap">
        <table class="ops-table" aria-label="Audit log">
          <thead>
            <tr>
              <th scope="col">when</th>
              <th scope="col">event</th>
              <th scope="col">actor</th>
              <th scope="col">target</th>
              <th scope="col">request id</th>
            </tr>
          </thead>
          <tbody>
            <For each={items()}>
              {(a) => (
                <tr data-event={a.event}>
                  <td>{a.created_at.slice(0, 19).replace("T", " ")}</td>
                  <td>{a.event}</td>
                  <td>
                    {a.actor_kind} {short(a.actor_id)}
                  </td>
                  <td title={a.target_id ?? ""}>{short(a.target_id)}</td>
                  <td class="mono">{a.request_id ?? "—"}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={items().length === 0 && !error()}>
        <p class="muted">No entries.</p>
      </Show>
      <Show when={cursor()}>
        <button type="button" class="btn more" onClick={() => void load(cursor())}>
          More
        </button>
      </Show>
    </section>
  );
}
