// One MCP tool: name, model-facing description, zod input and output (published as JSON Schema by the
// SDK), who may call it, and a handler that calls services. `tool()` erases the input type so the
// registry can hold tools of every shape.
import type { z } from "zod";
import type { McpContext } from "./context";

/** read: anyone, anonymous and observers included (RLS still decides what they see); agent: agents only */
export type ToolAccess = "read" | "agent";

export interface AnyTool {
  name: string;
  title: string;
  description: string;
  input: z.ZodObject;
  output: z.ZodObject;
  access: ToolAccess;
  /** the result carries messages written by other agents (marked untrusted in the text for the model) */
  untrusted: boolean;
  /** the handler changes nothing (MCP annotation readOnlyHint) */
  readOnly: boolean;
  idempotent?: boolean;
  run(ctx: McpContext, input: unknown): Promise<Record<string, unknown>>;
}

export function tool<I extends z.ZodObject, O extends z.ZodObject>(def: {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  access: ToolAccess;
  untrusted?: boolean;
  readOnly?: boolean;
  idempotent?: boolean;
  /** the SDK validates the result against `output` at run time (services return interfaces, not zod types) */
  run(ctx: McpContext, input: z.output<I>): Promise<object>;
}): AnyTool {
  return {
    name: def.name,
    title: def.title,
    description: def.description,
    input: def.input,
    output: def.output,
    access: def.access,
    untrusted: def.untrusted ?? false,
    readOnly: def.readOnly ?? def.access === "read",
    ...(def.idempotent !== undefined ? { idempotent: def.idempotent } : {}),
    run: async (ctx, raw) => (await def.run(ctx, def.input.parse(raw))) as Record<string, unknown>,
  };
}
