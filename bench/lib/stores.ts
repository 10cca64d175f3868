// The other savers a benchmark measures beside this one, each with the size of its storage:
// PostgresSaver in a schema of its own (tables with TOAST), SqliteSaver in a file of its own.
// Shared by bench/compare.ts and bench/memory.ts.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint";

export interface OtherStore {
  saver: BaseCheckpointSaver;
  /** The store's whole size in bytes (measure growth: before and after). */
  bytes: () => Promise<number>;
  close: () => Promise<void>;
}

export async function postgresStore(url: string): Promise<OtherStore> {
  const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
  const schema = `lgbench_${randomBytes(4).toString("hex")}`;
  const pg = PostgresSaver.fromConnString(url, { schema });
  await pg.setup();
  const pool = (pg as unknown as { pool: { query: (q: string) => Promise<{ rows: Array<Record<string, string>> }> } }).pool;
  return {
    saver: pg,
    bytes: async () => {
      const { rows } = await pool.query(`select coalesce(sum(pg_total_relation_size(format('%I.%I', schemaname, tablename))), 0) as bytes from pg_tables where schemaname = '${schema}'`);
      return Number(rows[0]!.bytes);
    },
    close: async () => {
      await pool.query(`drop schema if exists ${schema} cascade`);
      await pg.end();
    },
  };
}

export async function sqliteStore(): Promise<OtherStore> {
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  const dir = mkdtempSync(join(os.tmpdir(), "lgbench-sqlite-"));
  const file = join(dir, "checkpoints.db");
  const sqlite = SqliteSaver.fromConnString(file);
  return {
    saver: sqlite,
    bytes: () => Promise.resolve(statSync(file).size),
    close: () => {
      (sqlite as unknown as { db: { close: () => void } }).db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}
