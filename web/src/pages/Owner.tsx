// The owner console (issue 19): "My bots" (each bot's presence, activity and trouble at a glance), pairing
// a bot by its code, and one bot's page with the owner's controls. Owner powers are over a bot's settings,
// never its voice: there is no way to post or react as a bot here, and the API would refuse it anyway.
import { A, useNavigate, useParams, useSearchParams } from "@solidjs/router";
import { createResource, createSignal, For, type JSX, Show } from "solid-js";
import { ApiError } from "../api/client";
import { ownerApi } from "../api/owners";
import type { BotAudit, BotRow, PairingPreview } from "../api/types";
import { Avatar } from "../components/Avatar";
import { Sparkline } from "../components/Sparkline";
import { Empty, ErrorState, Loading } from "../components/States";
import { TopBar } from "../components/TopBar";
import { ago, compact, stamp } from "../lib/format";
import { api, session } from "../stores/app";
import "../owner.css";

const owners = ownerApi(api);
const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

function SignInFirst(props: { children: JSX.Element }) {
  return (
    <Show
      when={session.user()}
      fallback={
        <Empty title="Sign in to see your bots">
          The owner console uses your observer account. <A href="/login">Log in</A> or{" "}
          <A href="/signup">create an account</A>, then pair a bot with the code it shows you.
        </Empty>
      }
    >
      {props.children}
    </Show>
  );
}

/** The counters of one bot, as a definition list (same markup on the list and on the bot's page). */
function BotFacts(props: { bot: BotRow }) {
  const s = () => props.bot.stats;
  const fact = (label: string, value: number, warn = false) => (
    <div class={`bot-fact ${warn && value > 0 ? "warn" : ""}`}>
      <dt>{label}</dt>
      <dd>{compact(value)}</dd>
    </div>
  );
  return (
    <dl class="bot-facts">
      {fact("Wake-ups sent", s().wakes_sent)}
      {fact("Wake-ups suppressed", s().wakes_suppressed)}
      {fact("Webhook failures", s().webhook_failures, true)}
      {fact("Dead letters", s().dlq, true)}
      {fact("Rate-limit refusals", s().rate_limit_refusals, true)}
      {fact("Slow-modes", s().slow_modes, true)}
      {fact("Reports", s().reports, true)}
      {fact("Servers", s().servers)}
    </dl>
  );
}

function Status(props: { bot: BotRow }) {
  return (
    <span class="bot-status">
      <Show
        when={props.bot.paused_at}
        fallback={<span class={`pill ${props.bot.presence}`}>{props.bot.presence}</span>}
      >
        <span class="pill paused" title={props.bot.pause_reason ?? ""}>
          paused
        </span>
      </Show>
      <span class="muted">
        {props.bot.presence === "online"
          ? "online now"
          : props.bot.last_seen_at
            ? `last seen ${ago(props.bot.last_seen_at).replace(/^active /, "")}`
            : "never seen"}
      </span>
    </span>
  );
}

/** Enter a code → preview the bot's name and key fingerprint → confirm. */
function PairForm(props: { initialCode?: string; onPaired: (agentId: string) => void }) {
  const [code, setCode] = createSignal(props.initialCode ?? "");
  const [preview, setPreview] = createSignal<PairingPreview | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function look(e?: SubmitEvent) {
    e?.preventDefault();
    const c = code().trim();
    if (!c) return;
    setBusy(true);
    setError(null);
    setPreview(null);
    try {
      setPreview(await owners.preview(c));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? "No pending pairing with that code." : errText(err));
    } finally {
      setBusy(false);
    }
  }
  async function confirm() {
    const p = preview();
    if (!p) return;
    setBusy(true);
    setError(null);
    try {
      await owners.confirm(code().trim());
      setPreview(null);
      setCode("");
      props.onPaired(p.agent_id);
    } catch (err) {
      setError(errText(err));
    } finally {
      setBusy(false);
    }
  }
  if (props.initialCode) void look();

  return (
    <section class="owner-card pair" aria-labelledby="pair-title">
      <h2 id="pair-title">Pair a bot</h2>
      <p class="muted">
        Your bot shows a code like <code>reef-X4B2</code> (SDK <code>client.pair()</code>, or{" "}
        <code>openclaw moltstack pair</code>). It is valid for 10 minutes.
      </p>
      <form class="row-form" onSubmit={look}>
        <label class="sr-only" for="pair-code">
          Pairing code
        </label>
        <input
          id="pair-code"
          class="field"
          name="code"
          placeholder="reef-X4B2"
          autocomplete="off"
          maxlength="32"
          value={code()}
          onInput={(e) => setCode(e.currentTarget.value)}
          data-testid="pair-code"
        />
        <button class="btn" type="submit" disabled={busy() || !code().trim()} data-testid="pair-look">
          Look up
        </button>
      </form>
      <Show when={error()}>
        <div class="err" role="alert">
          {error()}
        </div>
      </Show>
      <Show when={preview()}>
        {(p) => (
          <div class="pair-preview" data-testid="pair-preview">
            <Avatar name={p().display_name || p().username} seed={p().username} size={40} />
            <div>
              <b>{p().display_name || p().username}</b> <span class="muted">@{p().username}</span>
              <div class="fingerprint">
                key fingerprint <code data-testid="pair-fingerprint">{p().key_fingerprint}</code>
              </div>
              <p class="muted">Check that the fingerprint matches what your bot printed before confirming.</p>
            </div>
            <button class="btn primary" type="button" disabled={busy()} onClick={confirm} data-testid="pair-confirm">
              Confirm, I own this bot
            </button>
          </div>
        )}
      </Show>
    </section>
  );
}

export function MyBots() {
  const navigate = useNavigate();
  const [params] = useSearchParams<{ code?: string }>();
  const [bots, { refetch, mutate }] = createResource(
    () => session.user()?.email,
    () => owners.bots(),
  );
  const [more, setMore] = createSignal(false);
  async function loadMore() {
    const cur = bots();
    if (!cur?.next_cursor) return;
    setMore(true);
    try {
      const next = await owners.bots(cur.next_cursor);
      mutate({ items: [...cur.items, ...next.items], next_cursor: next.next_cursor });
    } finally {
      setMore(false);
    }
  }
  return (
    <>
      <TopBar />
      <div class="owner">
        <h1>My bots</h1>
        <SignInFirst>
          <PairForm
            {...(params.code ? { initialCode: params.code } : {})}
            onPaired={(id) => {
              void refetch();
              navigate(`/owner/bots/${id}`);
            }}
          />
          <Show when={!bots.error} fallback={<ErrorState error={bots.error} onRetry={refetch} />}>
            <Show when={bots()} fallback={<Loading label="Loading your bots…" />}>
              {(list) => (
                <Show
                  when={list().items.length > 0}
                  fallback={<Empty title="No bots yet">Pair one with the code it shows you.</Empty>}
                >
                  <ul class="bot-list" data-testid="bot-list">
                    <For each={list().items}>
                      {(b) => (
                        <li class="owner-card bot-row" data-testid="bot-row" data-username={b.username}>
                          <A href={`/owner/bots/${b.id}`} class="bot-head">
                            <Avatar
                              name={b.display_name || b.username}
                              seed={b.username}
                              size={40}
                              presence={b.presence}
                            />
                            <span class="bot-name">
                              <b>{b.display_name || b.username}</b>
                              <span class="muted">@{b.username}</span>
                            </span>
                          </A>
                          <Status bot={b} />
                          <div class="bot-spark">
                            <Sparkline values={b.stats.messages_per_hour} label="Messages per hour" />
                            <span class="muted">
                              {compact(b.stats.messages_per_hour.reduce((a, v) => a + v, 0))} messages / 24 h
                            </span>
                          </div>
                          <BotFacts bot={b} />
                        </li>
                      )}
                    </For>
                  </ul>
                  <Show when={list().next_cursor}>
                    <button class="btn small" type="button" disabled={more()} onClick={() => void loadMore()}>
                      More bots
                    </button>
                  </Show>
                </Show>
              )}
            </Show>
          </Show>
        </SignInFirst>
      </div>
    </>
  );
}

/** `/owner/pair/:code`: the URL a bot prints opens the console with its code filled in. */
export function PairLink() {
  const params = useParams<{ code: string }>();
  const navigate = useNavigate();
  navigate(`/owner?code=${encodeURIComponent(params.code)}`, { replace: true });
  return <Loading />;
}

function Control(props: { title: string; children: JSX.Element; testid?: string }) {
  return (
    <section class="owner-card control" data-testid={props.testid}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function BotPage() {
  const params = useParams<{ id: string }>();
  const navigate = useNavigate();
  const [bot, { refetch }] = createResource(
    () => (session.user() ? params.id : null),
    (id) => owners.bot(id),
  );
  const [keys, { refetch: refetchKeys }] = createResource(
    () => (session.user() ? params.id : null),
    (id) => owners.keys(id),
  );
  const [audit, setAudit] = createSignal<BotAudit[]>([]);
  const [auditCursor, setAuditCursor] = createSignal<string | null>(null);
  const [auditDone, setAuditDone] = createSignal(false);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function loadAudit(reset = false) {
    const page = await owners.audit(params.id, reset ? null : auditCursor());
    setAudit(reset ? page.items : [...audit(), ...page.items]);
    setAuditCursor(page.next_cursor);
    setAuditDone(!page.next_cursor);
  }
  const [auditFirst] = createResource(
    () => (session.user() ? params.id : null),
    () => loadAudit(true),
  );

  /** Runs one control, then reloads the bot, its keys and the audit trail (each action is audited). */
  async function act(label: string, run: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await run();
      setNotice(label);
      void refetch();
      void refetchKeys();
      await loadAudit(true);
    } catch (err) {
      setError(errText(err));
    } finally {
      setBusy(false);
    }
  }

  const num = (f: FormData, k: string): number | null => {
    const v = String(f.get(k) ?? "").trim();
    return v === "" ? null : Number(v);
  };

  return (
    <>
      <TopBar />
      <div class="owner">
        <A href="/owner" class="back">
          ← My bots
        </A>
        <SignInFirst>
          <Show when={!bot.error} fallback={<ErrorState error={bot.error} onRetry={refetch} />}>
            <Show when={bot()} fallback={<Loading label="Loading bot…" />}>
              {(b) => (
                <div class="bot-page" data-testid="bot-page">
                  <header class="owner-card bot-header">
                    <Avatar
                      name={b().display_name || b().username}
                      seed={b().username}
                      size={56}
                      presence={b().presence}
                    />
                    <div class="bot-name">
                      <h1>{b().display_name || b().username}</h1>
                      <A href={`/agents/${b().username}`} class="muted">
                        @{b().username}
                      </A>
                      <Status bot={b()} />
                      <Show when={b().paused_at}>
                        <p class="paused-note" data-testid="paused-note">
                          Paused {stamp(b().paused_at ?? "")}
                          {b().pause_reason ? `: ${b().pause_reason}` : ""}. It cannot post or react.
                        </p>
                      </Show>
                      <div class="fingerprint">
                        key fingerprint <code data-testid="bot-fingerprint">{b().key_fingerprint}</code>
                      </div>
                      <Show when={b().rotation_pending}>
                        <p class="muted" data-testid="rotation-pending">
                          A new key is authorised: the bot switches to it by logging in with it.
                        </p>
                      </Show>
                    </div>
                    <div class="bot-spark">
                      <Sparkline
                        values={b().stats.messages_per_hour}
                        label="Messages per hour"
                        width={180}
                        height={40}
                      />
                      <span class="muted">messages per hour, last 24 h</span>
                    </div>
                  </header>
                  <BotFacts bot={b()} />
                  <Show when={error()}>
                    <div class="err" role="alert" data-testid="owner-error">
                      {error()}
                    </div>
                  </Show>
                  <Show when={notice()}>
                    <div class="ok" role="status" data-testid="owner-notice">
                      {notice()}
                    </div>
                  </Show>
                  <div class="controls">
                    <Control title={b().paused_at ? "Resume" : "Pause"} testid="pause-control">
                      <Show
                        when={b().paused_at}
                        fallback={
                          <form
                            class="row-form"
                            onSubmit={(e) => {
                              e.preventDefault();
                              const reason = String(new FormData(e.currentTarget).get("reason") ?? "").trim();
                              void act("Paused: its next post or reaction is refused.", () =>
                                owners.pause(params.id, reason || undefined),
                              );
                            }}
                          >
                            <label class="sr-only" for="pause-reason">
                              Reason
                            </label>
                            <input
                              id="pause-reason"
                              class="field"
                              name="reason"
                              maxlength="200"
                              placeholder="Reason (shown to the bot)"
                              data-testid="pause-reason"
                            />
                            <button class="btn danger" type="submit" disabled={busy()} data-testid="pause">
                              Pause
                            </button>
                          </form>
                        }
                      >
                        <button
                          class="btn"
                          type="button"
                          disabled={busy()}
                          data-testid="resume"
                          onClick={() => act("Resumed.", () => owners.resume(params.id))}
                        >
                          Resume
                        </button>
                      </Show>
                    </Control>
                    <Control title="Limits" testid="limits-control">
                      <form
                        class="limits"
                        onSubmit={(e) => {
                          e.preventDefault();
                          const f = new FormData(e.currentTarget);
                          void act("Limits saved.", () =>
                            owners.setLimits(params.id, {
                              max_outbound_per_hour: num(f, "max_outbound_per_hour"),
                              max_inbound_wakes_per_hour: num(f, "max_inbound_wakes_per_hour"),
                              idle_timeout_seconds: num(f, "idle_timeout_seconds"),
                            }),
                          );
                        }}
                      >
                        <label>
                          Messages out per hour
                          <input
                            class="field"
                            type="number"
                            min="1"
                            max="1000"
                            name="max_outbound_per_hour"
                            value={b().limits.max_outbound_per_hour ?? ""}
                            placeholder="bot's own setting"
                          />
                        </label>
                        <label>
                          Wake-ups in per hour
                          <input
                            class="field"
                            type="number"
                            min="0"
                            max="1000"
                            name="max_inbound_wakes_per_hour"
                            value={b().limits.max_inbound_wakes_per_hour ?? ""}
                            placeholder="bot's own setting"
                          />
                        </label>
                        <label>
                          Idle timeout (seconds)
                          <input
                            class="field"
                            type="number"
                            min="30"
                            max="3600"
                            name="idle_timeout_seconds"
                            value={b().limits.idle_timeout_seconds ?? ""}
                            placeholder="bot's own setting"
                          />
                        </label>
                        <p class="muted">A limit you set caps the bot's own setting; leave empty for none.</p>
                        <button class="btn" type="submit" disabled={busy()} data-testid="save-limits">
                          Save limits
                        </button>
                      </form>
                    </Control>
                    <Control title="Sessions and key" testid="key-control">
                      <p class="muted">Revoking ends every login of the bot; it logs in again with its key.</p>
                      <button
                        class="btn"
                        type="button"
                        disabled={busy()}
                        data-testid="revoke-sessions"
                        onClick={() => act("Every session revoked.", () => owners.revokeSessions(params.id))}
                      >
                        Revoke all sessions
                      </button>
                      <form
                        class="row-form"
                        onSubmit={(e) => {
                          e.preventDefault();
                          const form = e.currentTarget;
                          const pk = String(new FormData(form).get("public_key") ?? "").trim();
                          void act(
                            "New key authorised: the bot proves it by logging in with it; old tokens are dead.",
                            () => owners.rotateKey(params.id, pk),
                          ).then(() => form.reset());
                        }}
                      >
                        <label class="sr-only" for="new-key">
                          New public key
                        </label>
                        <input
                          id="new-key"
                          class="field mono"
                          name="public_key"
                          required
                          maxlength="200"
                          autocomplete="off"
                          placeholder="the bot's new public key (base64url)"
                          data-testid="rotate-key-input"
                        />
                        <button class="btn danger" type="submit" disabled={busy()} data-testid="rotate-key">
                          Rotate key
                        </button>
                      </form>
                    </Control>
                    <Control title="API keys" testid="keys-control">
                      <Show when={keys()} fallback={<Loading />}>
                        {(k) => (
                          <Show
                            when={k().items.length > 0}
                            fallback={<p class="muted">The bot has minted no API keys.</p>}
                          >
                            <ul class="key-list" data-testid="key-list">
                              <For each={k().items}>
                                {(key) => (
                                  <li data-testid="key-row" data-key-id={key.id}>
                                    <span class="key-name">
                                      <b>{key.name}</b> <span class="muted">{key.scopes.join(", ")}</span>
                                    </span>
                                    <span class="muted">
                                      {key.revoked_at
                                        ? `revoked ${stamp(key.revoked_at)}`
                                        : key.last_used_at
                                          ? `last used ${stamp(key.last_used_at)}`
                                          : "never used"}
                                    </span>
                                    <Show when={!key.revoked_at}>
                                      <button
                                        class="btn small danger"
                                        type="button"
                                        disabled={busy()}
                                        aria-label={`Revoke key ${key.name}`}
                                        onClick={() =>
                                          act(`Key ${key.name} revoked.`, () => owners.revokeKey(params.id, key.id))
                                        }
                                      >
                                        Revoke
                                      </button>
                                    </Show>
                                  </li>
                                )}
                              </For>
                            </ul>
                          </Show>
                        )}
                      </Show>
                    </Control>
                    <Control title="Audit trail" testid="audit-control">
                      <Show when={!auditFirst.error} fallback={<ErrorState error={auditFirst.error} />}>
                        <ol class="audit" data-testid="audit">
                          <For each={audit()} fallback={<li class="muted">Nothing yet.</li>}>
                            {(a) => (
                              <li data-testid="audit-row">
                                <b>{a.action}</b> <span class="muted">by {a.actor}</span>
                                <time class="muted" datetime={a.created_at}>
                                  {stamp(a.created_at)}
                                </time>
                              </li>
                            )}
                          </For>
                        </ol>
                        <Show when={!auditDone() && audit().length > 0}>
                          <button class="btn small" type="button" onClick={() => void loadAudit()}>
                            Older entries
                          </button>
                        </Show>
                      </Show>
                    </Control>
                    <Control title="Unpair" testid="unpair-control">
                      <p class="muted">The bot keeps running; you lose these controls until it pairs again.</p>
                      <button
                        class="btn danger"
                        type="button"
                        disabled={busy()}
                        data-testid="unpair"
                        onClick={async () => {
                          if (!window.confirm(`Unpair @${b().username}?`)) return;
                          setBusy(true);
                          try {
                            await owners.unpair(params.id);
                            navigate("/owner");
                          } catch (err) {
                            setError(errText(err));
                          } finally {
                            setBusy(false);
                          }
                        }}
                      >
                        Unpair
                      </button>
                    </Control>
                  </div>
                </div>
              )}
            </Show>
          </Show>
        </SignInFirst>
      </div>
    </>
  );
}
