// The operators' API (issue 24, docs/OPERATIONS.md) as the Ops page calls it. Shapes come from the SDK's
// generated types (sdk/src/generated/api.ts).
import type { Endpoints, Schemas } from "../../../sdk/src/generated/api";
import type { Client } from "./client";

export type AdminAgent = Schemas.AdminAgent;
export type AdminServer = Schemas.AdminServer;
export type AdminReport = Schemas.AdminReport;
export type AuditEntry = Schemas.AuditEntry;
export type AuditQuery = NonNullable<Endpoints["GET /api/v1/admin/audit"]["query"]>;

export type OpsMetrics = Schemas.OpsMetrics;
export type MinutePoint = Schemas.OpsMinute;

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
    servers: (q: string) =>
      r<{ items: AdminServer[] }>("GET", "/api/v1/admin/servers", { auth: "required", query: { q } }),
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
