/** `warden session freeze|release|kill ID`: an operator's hands on a live session. */
import { Command } from 'commander';
import type { Config } from '../config.js';
import { freezeSession, killSession, releaseSession } from '../session/operator.js';
import { openStore, useStore } from '../session/reconcile.js';

export function sessionCommand(config: () => Config): Command {
  const cmd = new Command('session').description('freeze, release or end a running session');

  cmd
    .command('freeze')
    .description('quarantine: freeze every process of the session')
    .argument('<id>', 'session id (a unique prefix will do)')
    .option('--unwatched', "what watched it is gone (its run's daemon): record it ended too")
    .action((id: string, o: { unwatched?: boolean }) =>
      useStore(config().stateDir, (store) => {
        const r = freezeSession(store, id, { unwatched: o.unwatched === true });
        console.log(`session ${r.session} frozen (${r.processes} processes)`);
      }),
    );

  cmd
    .command('release')
    .description('thaw a frozen session')
    .argument('<id>', 'session id')
    .action((id: string) =>
      useStore(config().stateDir, (store) => {
        const r = releaseSession(store, id);
        console.log(`session ${r.session} released`);
        if (r.unwatched) {
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
      const store = openStore(config().stateDir);
      try {
        const r = await killSession(store, id);
        console.log(`session ${r.session} ended; its cgroup and network pins are removed`);
      } finally {
        store.close();
      }
    });
  return cmd;
}
