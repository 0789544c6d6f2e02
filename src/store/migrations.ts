/**
 * Numbered schema migrations, applied in order inside one transaction each.
 * Never edit a released migration: add the next number.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'sessions, processes, events',
    sql: `
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        command TEXT NOT NULL,          -- JSON argv
        cwd TEXT NOT NULL,
        cgroup TEXT NOT NULL,
        cgroup_id TEXT NOT NULL,
        status TEXT NOT NULL,           -- running | ended | failed
        started_us INTEGER NOT NULL,
        ended_us INTEGER,
        exit_code INTEGER,
        exit_signal INTEGER,
        root_pid INTEGER,
        events INTEGER NOT NULL DEFAULT 0,
        lost INTEGER NOT NULL DEFAULT 0, -- events the kernel could not deliver
        lingering TEXT                  -- JSON: processes that outlived the session
      );
      CREATE INDEX sessions_started ON sessions(started_us);

      CREATE TABLE processes (
        exec_id TEXT PRIMARY KEY,
        session_id TEXT REFERENCES sessions(id) ON DELETE CASCADE,
        pid INTEGER NOT NULL,
        ppid INTEGER NOT NULL,
        parent_exec_id TEXT,
        origin TEXT NOT NULL,
        comm TEXT NOT NULL,
        exe TEXT NOT NULL,
        argv TEXT NOT NULL,             -- JSON
        cwd TEXT NOT NULL,
        uid INTEGER NOT NULL,
        start_us INTEGER NOT NULL,
        end_us INTEGER,
        exit_code INTEGER,
        exit_signal INTEGER
      );
      CREATE INDEX processes_session ON processes(session_id);

      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        time_us INTEGER NOT NULL,
        type TEXT NOT NULL,
        pid INTEGER NOT NULL,
        exec_id TEXT NOT NULL,
        data TEXT NOT NULL              -- the whole event as JSON (EventSchema)
      );
      CREATE INDEX events_session ON events(session_id, id);
      CREATE INDEX events_exec ON events(exec_id);
    `,
  },
  {
    version: 2,
    name: 'enforcement mechanisms per session',
    sql: `
      ALTER TABLE sessions ADD COLUMN policy TEXT;      -- policy name, NULL: monitor only
      ALTER TABLE sessions ADD COLUMN mechanisms TEXT;  -- JSON: what enforced it, and what was unavailable
    `,
  },
  {
    version: 3,
    name: 'application layer: turns, tool calls, alerts, MCP pins; events linked to tool calls',
    sql: `
      CREATE TABLE turns (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        started_us INTEGER NOT NULL,
        data TEXT NOT NULL,              -- the whole turn as JSON (TurnSchema)
        PRIMARY KEY (session_id, seq)
      );
      CREATE TABLE tool_calls (
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        started_us INTEGER NOT NULL,
        data TEXT NOT NULL,              -- JSON (ToolCallSchema)
        PRIMARY KEY (session_id, id)
      );
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT REFERENCES sessions(id) ON DELETE CASCADE,
        time_us INTEGER NOT NULL,
        detector TEXT NOT NULL,
        severity TEXT NOT NULL,
        tool_call TEXT,
        data TEXT NOT NULL               -- JSON (AlertSchema)
      );
      CREATE INDEX alerts_session ON alerts(session_id, id);
      CREATE TABLE mcp_tools (
        server TEXT NOT NULL,
        tool TEXT NOT NULL,
        data TEXT NOT NULL,              -- JSON (McpToolSchema)
        PRIMARY KEY (server, tool)
      );
      ALTER TABLE events ADD COLUMN tool_call TEXT;
      CREATE INDEX events_tool_call ON events(session_id, tool_call);
    `,
  },
  {
    version: 4,
    name: 'provenance: find the writers of a file across sessions',
    sql: `
      CREATE INDEX events_open_path ON events(json_extract(data, '$.path')) WHERE type = 'open';
    `,
  },
  {
    version: 5,
    name: 'agents: baselines and slow-burn accumulators',
    sql: `
      ALTER TABLE sessions ADD COLUMN agent TEXT;     -- the agent role the session ran as (warden run --agent)
      CREATE INDEX sessions_agent ON sessions(agent, started_us);
      CREATE TABLE baselines (
        agent TEXT PRIMARY KEY,
        data TEXT NOT NULL                            -- JSON (ProfileSchema)
      );
      CREATE TABLE accumulators (
        agent TEXT NOT NULL,
        key TEXT NOT NULL,                            -- e.g. egress:host:443, deviation
        total REAL NOT NULL,
        sessions INTEGER NOT NULL,
        alerted INTEGER NOT NULL DEFAULT 0,
        updated_us INTEGER NOT NULL,
        PRIMARY KEY (agent, key)
      );
    `,
  },
  {
    version: 6,
    name: 'sessions: who keeps each one, so that one whose keeper died is never shown running',
    sql: `
      ALTER TABLE sessions ADD COLUMN owner TEXT;     -- boot id/pid/start ticks of its warden run or daemon
    `,
  },
  {
    version: 7,
    name: "sessions: the LLM proxy's port, where the agent's own model traffic goes (a replay needs it)",
    sql: `
      ALTER TABLE sessions ADD COLUMN proxy_port INTEGER;
    `,
  },
  {
    version: 8,
    name: 'provenance: the writers of a file by a column set only on successful opens for writing',
    /* the index on json_extract(data, '$.path') over every open cost each stored event two thirds
     * of the store's time (55k -> 159k events/s without it); most events now touch no index of it */
    sql: `
      ALTER TABLE events ADD COLUMN written_path TEXT;  -- the path of a successful open for writing, else NULL
      UPDATE events SET written_path = json_extract(data, '$.path')
        WHERE type = 'open' AND (json_extract(data, '$.flags') & 3) != 0 AND json_extract(data, '$.result') >= 0;
      DROP INDEX events_open_path;
      CREATE INDEX events_written_path ON events(written_path, time_us) WHERE written_path IS NOT NULL;
    `,
  },
];
