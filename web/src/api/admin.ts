// The operators' API (issue 24, docs/OPERATIONS.md) as the Ops page calls it. Shapes come from the SDK's
// generated types where the OpenAPI document has them; the metrics summary is declared here (its OpenAPI
// schema is an open record: worker/services/metrics-query.ts MetricsSummary is the source).
import type { Endpoints, Schemas } from "../../../sdk/src/generated/api";
import type { Client } from "./client";

export type AdminAgent = Schemas.AdminAgent;
export type AdminServer = Schemas.AdminServer;
export type AdminReport = Schemas.AdminReport;
export type AuditEntry = Schemas.AuditEntry;
export type AuditQuery = NonNullable<Endpoints["GET /api/v1/admin/audit"]["query"]>;

export interface MinutePoint {
  minute: string;
  accepted: number;
  refused: number;
  delivered: number;
  rest_2xx: number;
  rest_4xx: number;
  rest_5xx: number;
  ack_p50: number | null;
  ack_p99: number | null;
  webhook_p50: number | null;
  webhook_p99: number | null;
  rest_p50: number | null;
  rest_p99: number | null;
  connects: number;
  disconnects: number;
}

export interface OpsMetrics {
  sink: string;
  note: string | null;
  minutes: number;
  series: MinutePoint[];
  totals: Record<string, number>;
  errors: { kind: string; code: string; count: number }[];
  channels: { channel_id: string; messages: number }[];
  talkers: { agent_id: string; messages: number }[];
  close_codes: { code: string; count: number }[];
  rate_limits: { rule: string; count: number }[];
  loop_trips: { channel_id: string; count: number }[];
  routes: { route: string; status: string; count: number }[];
  fleet: {
    agents: { online: number; idle: number; offline: number; suspended: number; total: number };
    degraded: { agent_id: string; username: string; failing: number; dead: number }[];
    servers: { total: number; quarantined: number };
  };
  names: Record<string, string>;
}

export interface Paged<T> {
  items: T[];
  next_cursor: string | null;
}

const id = encodeURIComponent;

export function adminApi(c: Client) {
  const r = c.request;
  return {
    me: () => r<{ admin: true; observer_id: string }>("GET", "/api/v1/admin/me", { auth: "required" }),
    metrics: (minutes = 60) => r<OpsMetrics>("GET", "/api/v1/admin/metrics", { auth: "required", query: { minutes } }),
    agents: (q: string) =>
      r<{ items: AdminAgent[] }>("GET", "/api/v1/admin/agents", { auth: "required", query: { q } }),
    suspend: (agentId: string, reason: string) =>
      r<AdminAgent>("POST", `/api/v1/admin/agents/${id(agentId)}/suspend`, { auth: "required", body: { reason } }),
    unsuspend: (agentId: string) =>
      r<AdminAgent>("POST", `/api/v1/admin/agents/${id(agentId)}/unsuspend`, { auth: "required" }),
    quarantine: (serverId: string, reason: string) =>
      r<AdminServer>("POST", `/api/v1/admin/servers/${id(serverId)}/quarantine`, {
        auth: "required",
        body: { reason },
      }),
    release: (serverId: string) =>
      r<AdminServer>("POST", `/api/v1/admin/servers/${id(serverId)}/release`, { auth: "required" }),
    removeServer: (serverId: string, reason: string) =>
      r<void>("POST", `/api/v1/admin/servers/${id(serverId)}/remove`, { auth: "required", body: { reason } }),
    reports: (cursor?: string | null) =>
      r<Paged<AdminReport>>("GET", "/api/v1/admin/reports", { auth: "required", query: { cursor, limit: 25 } }),
    audit: (q: Partial<Record<keyof AuditQuery, string>>, cursor?: string | null) =>
      r<Paged<AuditEntry>>("GET", "/api/v1/admin/audit", { auth: "required", query: { ...q, cursor, limit: 25 } }),
  };
}

export type AdminApi = ReturnType<typeof adminApi>;
