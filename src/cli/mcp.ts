/**
 * `warden mcp -- SERVER_CMD...`: an MCP server behind Warden's proxy. Put it
 * in any agent's MCP config in place of the server command. Outside a session
 * the server runs as its own Warden session (its cgroup, its policy); inside
 * `warden run` it joins the agent's session and asks that session to decide.
 */
import { Command } from 'commander';
import type { Config } from '../config.js';
import { DEFAULT_POLICY } from '../policy/builtin.js';
import type { McpFlags } from './mcp-proxy.js'; /* the proxies load when the command runs */
import { table } from './render.js';
import { useStore } from '../session/reconcile.js';

function approve(cfg: Config, server: string, tools: string[]): void {
  useStore(cfg.stateDir, (store) => {
    const pending = store.app
      .mcpTools(server)
      .filter((t) => t.pendingHash && (!tools.length || tools.includes(t.tool)));
    if (!pending.length) throw new Error(`no changed tool definitions waiting for approval on server ${server}`);
    for (const t of pending) {
      store.app.putMcpTool({
        ...t,
        hash: t.pendingHash ?? t.hash,
        description: t.pendingDescription ?? t.description,
        pendingHash: null,
        pendingDescription: null,
      });
      console.log(`approved ${server}/${t.tool}: ${(t.pendingDescription ?? '').slice(0, 200)}`);
    }
  });
}

/** `warden mcp tools`: the pinned definitions, and those waiting for approval. */
function listTools(cfg: Config, o: { server?: string; json?: boolean }): void {
  useStore(cfg.stateDir, (store) => {
    const tools = store.app.mcpTools(o.server);
    if (o.json) for (const t of tools) console.log(JSON.stringify(t));
    else if (!tools.length) console.log('no MCP tools pinned yet');
    else {
      const rows = [['SERVER', 'TOOL', 'STATUS', 'DESCRIPTION']];
      for (const t of tools) {
        rows.push([
          t.server,
          t.tool,
          t.pendingHash ? 'CHANGED: blocked' : 'pinned',
          t.description.slice(0, 60).replace(/\s+/g, ' '),
        ]);
      }
      console.log(table(rows));
    }
  });
}

export function mcpCommand(config: () => Config): Command {
  const cmd = new Command('mcp')
    .description('run an MCP server behind Warden: tool calls decided, definitions pinned, actions attributed')
    .usage('[options] -- SERVER_CMD... | approve | tools')
    .option('--name <server>', 'the server name used in tool names (mcp__NAME__tool) and pins')
    .option(
      '--url <url>',
      'a remote streamable-HTTP MCP server: serve it on a local endpoint instead of running a command',
    )
    .option(
      '--listen <host:port>',
      'with --url: where the local endpoint listens (default 127.0.0.1 and any free port)',
    )
    .option('-p, --policy <file>', `policy file or built-in name (default: ${DEFAULT_POLICY})`)
    .option('--no-policy', 'record only')
    .option('-w, --workspace <dir>', 'the workspace ${workspace} stands for (default: the current directory)')
    .argument('[command...]', 'the server command, after --')
    .action(async (command: string[], o: McpFlags) => {
      if (o.url) {
        if (command.length) throw new Error('give a server command or --url, not both');
        const { proxyHttp } = await import('./mcp-proxy.js');
        process.exitCode = await proxyHttp(config(), { ...o, url: o.url });
        return;
      }
      if (!command.length)
        throw new Error('no server command: warden mcp -- npx -y @modelcontextprotocol/server-filesystem DIR');
      const { proxyStdio } = await import('./mcp-proxy.js');
      process.exitCode = await proxyStdio(config(), command, o);
    });
  cmd
    .command('approve')
    .description('accept the changed definitions of MCP tools (all pending ones of the server if no tool is named)')
    .requiredOption('--server <name>', 'the server name')
    .argument('[tools...]', 'tool names')
    .action((tools: string[], o: { server: string }) => approve(config(), o.server, tools));
  cmd
    .command('tools')
    .description('the pinned MCP tool definitions, and those waiting for approval')
    .option('--server <name>', 'only this server')
    .option('--json', 'one JSON object per line')
    .action((o: { server?: string; json?: boolean }) => listTools(config(), o));
  return cmd;
}
