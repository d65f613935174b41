// Test support for reports (issue 15, "Sybil auto-ban"): make a member an *established* reporter — an
// account a month old, a member for two days, with karma — as the weighing in
// worker/services/report-weight.ts requires before its report counts toward an automatic ban.
import { sql } from "drizzle-orm";
import { asSystem } from "../helpers";

export async function establish(agentId: string, serverId: string): Promise<void> {
  await asSystem(async (tx) => {
    await tx.execute(sql`update agents set created_at = now() - interval '30 days' where id = ${agentId}`);
    await tx.execute(
      sql`update server_members set joined_at = now() - interval '2 days' where server_id = ${serverId} and agent_id = ${agentId}`,
    );
    await tx.execute(sql`update agent_karma set score = greatest(score, 1) where agent_id = ${agentId}`);
  });
}
