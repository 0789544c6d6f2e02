/**
 * The `warden` command's entry. For a standalone `warden run` (root, no daemon to host it) it
 * starts the sensor's loader first, then loads the CLI: each takes ~130 ms, and they overlap
 * (sensor/prestart.ts). The loader's arguments come from the config unchecked (no zod yet);
 * `Sensor.start()` adopts the loader only when its own arguments are the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sessionLevel } from '../enforce/cgroup.js';
import { rawConfig } from '../config-env.js';
import { loaderArgs, prestart } from '../sensor/prestart.js';

/** A daemon whose record is there and whose pid lives: the run would be hosted, no loader needed. */
function daemonRuns(stateDir: string): boolean {
  try {
    const pid = (JSON.parse(readFileSync(join(stateDir, 'run', 'daemon.json'), 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && process.kill(pid, 0);
  } catch {
    return false;
  }
}

function startLoaderEarly(argv: string[]): void {
  if (argv[0] !== 'run' || process.getuid?.() !== 0) return;
  const own = argv.slice(1, argv.includes('--') ? argv.indexOf('--') : undefined);
  if (own.some((a) => a === '-h' || a === '--help')) return;
  try {
    const cfg = rawConfig();
    if (!own.includes('--standalone') && daemonRuns(cfg.stateDir)) return;
    if (!existsSync(cfg.sensorBin)) return;
    prestart(
      cfg.sensorBin,
      loaderArgs({
        sessionLevel: sessionLevel(),
        ringbufMb: cfg.ringbufMb,
        gateDeadlineMs: cfg.gateDeadlineMs,
        verbose: own.includes('-v') || own.includes('--verbose'),
      }),
    );
  } catch {
    /* the start proper says what is wrong */
  }
}

startLoaderEarly(process.argv.slice(2));
await import('./main.js');
