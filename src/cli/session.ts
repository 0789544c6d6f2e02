/** `warden session freeze|release|kill ID`: an operator's hands on a live session. */
import { Command } from 'commander';
import { existsSync, rmSync } from 'node:fs';
import type { Config } from '../config.js';
import { pinDir } from '../enforce/network.js';
import { cgroupPids, freezeCgroup, killCgroup, removeCgroup } from '../session/cgroup.js';
import { Store, type Session } from '../store/store.js';

function live(store: Store, id: string): Session {
  const s = store.session(id);
  if (!s) throw new Error(`no session ${id}`);
  if (!existsSync(s.cgroup)) throw new Error(`session ${s.id} has ended: its cgroup ${s.cgroup} is gone`);
  return s;
}

export function sessionCommand(config: () => Config): Command {
  const cmd = new Command('session').description('freeze, release or end a running session');
  const withStore = (fn: (store: Store) => void): void => {
    const store = Store.open(config().stateDir);
    try {
      fn(store);
    } finally {
      store.close();
    }
  };

  cmd
    .command('freeze')
    .description('quarantine: freeze every process of the session')
    .argument('<id>', 'session id (a unique prefix will do)')
    .action((id: string) =>
      withStore((store) => {
        const s = live(store, id);
        freezeCgroup(s.cgroup, true);
        store.updateSession(s.id, { status: 'quarantined' });
        console.log(`session ${s.id} frozen (${cgroupPids(s.cgroup).length} processes)`);
      }),
    );

  cmd
    .command('release')
    .description('thaw a frozen session')
    .argument('<id>', 'session id')
    .action((id: string) =>
      withStore((store) => {
        const s = live(store, id);
        freezeCgroup(s.cgroup, false);
        /* the kernel may have stopped the offender itself (SIGSTOP) before the freeze */
        for (const pid of cgroupPids(s.cgroup)) process.kill(pid, 'SIGCONT');
        store.updateSession(s.id, { status: 'running' });
        console.log(`session ${s.id} released`);
        if (s.status === 'quarantined' && s.endedUs !== null) {
          console.log(
            '  note: no warden run watches it any more: it resumes unmonitored; its launch floor and network limits still hold',
          );
        }
      }),
    );

  cmd
    .command('kill')
    .description('end every process of the session and remove it')
    .argument('<id>', 'session id')
    .action(async (id: string) => {
      const store = Store.open(config().stateDir);
      try {
        const s = live(store, id);
        /* cgroup.kill ends frozen tasks too (measured): never thaw a suspect session to end it */
        if (!(await killCgroup(s.cgroup))) throw new Error(`session ${s.id}: processes still alive after cgroup.kill`);
        removeCgroup(s.cgroup);
        rmSync(pinDir(s.id), { recursive: true, force: true });
        store.updateSession(s.id, { status: 'ended', endedUs: s.endedUs ?? Date.now() * 1000, exitSignal: 9 });
        console.log(`session ${s.id} ended; its cgroup and network pins are removed`);
      } finally {
        store.close();
      }
    });
  return cmd;
}
