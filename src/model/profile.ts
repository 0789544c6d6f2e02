/** An agent's learnt baseline: what it normally does, per agent CLI (detect/baseline.ts learns and scores it). */
import { z } from 'zod';

export const ProfileSchema = z.object({
  agent: z.string(),
  sessions: z.number().int().describe('sessions it was learnt from'),
  builtUs: z.number().int(),
  binaries: z.record(z.string(), z.number().int()).describe('program -> sessions that ran it'),
  reads: z.record(z.string(), z.number().int()).describe('canonical path pattern -> sessions that read there'),
  writes: z.record(z.string(), z.number().int()).describe('canonical path pattern -> sessions that wrote there'),
  destinations: z.record(z.string(), z.number().int()).describe('host or address:port -> sessions that reached it'),
  tools: z.record(z.string(), z.number().int()).describe('tool name -> sessions that used it'),
  upkeep: z
    .record(z.string(), z.number().int())
    .default({})
    .describe('program and subcommand the agent ran by itself, with no tool call behind it -> sessions'),
  rates: z
    .object({
      execs: z.object({ mean: z.number(), sd: z.number() }),
      writes: z.object({ mean: z.number(), sd: z.number() }),
    })
    .describe('per-session counts'),
});
export type Profile = z.infer<typeof ProfileSchema>;
