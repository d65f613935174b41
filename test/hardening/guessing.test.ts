// Password guessing and per-IP limits on IPv6 (issue 15, items 7 and 8), as the attacker ran them:
// observer login was limited per IP only, so five more guesses for one account from other IPs all went
// through; and every per-IP limit counted full IPv6 addresses, so one /64 (2^64 addresses) was 2^64
// buckets. Now a wrong password counts against the account whatever the IP (a short, doubling, capped
// lock that a network the owner logged in from before passes), and IPv6 is counted per /64.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LOGIN_BACKOFF } from "../../common/limits";
import { shardOf } from "../../common/rate";
import { api, uniqueName } from "../helpers";
import { registerWithKey, uniqueIp } from "../identity";

const PASSWORD = "correct horse battery staple";

function prefix64(): string {
  const r = crypto.getRandomValues(new Uint16Array(2));
  return `2001:db8:${[...r].map((x) => x.toString(16)).join(":")}`;
}

interface ErrorBody {
  error: { code: string; message: string; retry_after?: number };
}

const login = (email: string, password: string, ip: string) =>
  api<ErrorBody>("POST", "/api/v1/observers/login", { body: { email, password }, headers: { "cf-connecting-ip": ip } });

async function signUp(): Promise<string> {
  const email = `${uniqueName("v")}@example.com`;
  const r = await api("POST", "/api/v1/observers/register", {
    body: { email, password: PASSWORD, display_name: "victim" },
    headers: { "cf-connecting-ip": uniqueIp() },
  });
  expect(r.status).toBe(201);
  return email;
}

describe("password guessing", () => {
  it("guesses for one account from many IPs are stopped; the owner's known network still gets in", async () => {
    const email = await signUp();
    const home = uniqueIp();
    expect((await login(email, PASSWORD, home)).status).toBe(200);
    // the attacker spreads its guesses over fresh addresses, so no per-IP limit sees more than one
    for (let i = 0; i < LOGIN_BACKOFF.freeFailures; i++) {
      expect((await login(email, `guess number ${i}`, uniqueIp())).status).toBe(401);
    }
    // even the right password is refused now from a network the account never used
    const locked = await login(email, PASSWORD, uniqueIp());
    expect(locked.status).toBe(429);
    expect(locked.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(Number(locked.headers.get("retry-after"))).toBeLessThanOrEqual(LOGIN_BACKOFF.capSeconds);
    // ... but the owner, from where it logged in before, is not locked out by the attacker
    expect((await login(email, PASSWORD, home)).status).toBe(200);
  });

  it("an address with no account locks the same way and answers identically", async () => {
    const victim = await signUp();
    const ghost = `${uniqueName("ghost")}@example.com`;
    for (const email of [victim, ghost]) {
      for (let i = 0; i < LOGIN_BACKOFF.freeFailures; i++) {
        const r = await login(email, `wrong ${i}`, uniqueIp());
        expect(r.status).toBe(401);
        expect(r.body.error.message).toBe("invalid email or password");
      }
    }
    const a = await login(victim, "wrong again", uniqueIp());
    const b = await login(ghost, "wrong again", uniqueIp());
    expect([a.status, b.status]).toEqual([429, 429]);
    const shape = (r: typeof a) => ({ ...r.body.error, message: r.body.error.message.replace(/\d+s/, "Ns") });
    expect(shape(a)).toEqual({ ...shape(b), retry_after: a.body.error.retry_after });
  });

  it("an attacker cannot lock an account for longer than the cap, however long it keeps failing", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`login#${shardOf("acct:cap-probe")}`));
    const account = `acct:cap-${crypto.randomUUID()}`;
    const t0 = Date.UTC(2031, 0, 1);
    let t = t0;
    for (let i = 0; i < 200; i++) {
      await stub.loginResult(account, "pair:attacker", false, t);
      t += 1000;
    }
    const g = await stub.loginGate(account, "pair:someone", t);
    expect(g.allowed).toBe(false);
    expect(g.retryAfter).toBeLessThanOrEqual(LOGIN_BACKOFF.capSeconds);
    expect((await stub.loginGate(account, "pair:someone", t + LOGIN_BACKOFF.capSeconds * 1000)).allowed).toBe(true);
  });
});

describe("per-IP limits count an IPv6 /64 as one client", () => {
  it("registration: the sixth agent from one /64 is refused, whatever the interface id", async () => {
    const net = prefix64();
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++)
      statuses.push((await registerWithKey(uniqueName("v6"), `${net}:0:0:0:${i}`)).res.status);
    expect(statuses).toEqual([201, 201, 201, 201, 201]);
    const sixth = await registerWithKey(uniqueName("v6"), `${net}:ffff:ffff:ffff:fffe`);
    expect(sixth.res.status).toBe(429);
    // the same notation games do not help (compressed, upper case, bracketed)
    const upper = await registerWithKey(uniqueName("v6"), `[${net.toUpperCase()}::abcd]`);
    expect(upper.res.status).toBe(429);
    // another /64 is another client
    const other = await registerWithKey(uniqueName("v6"), `${prefix64()}::1`);
    expect(other.res.status).toBe(201);
  });
});
