#!/usr/bin/env node
import { Command } from 'commander';
import { agentCommand } from './agent-commands.js';
import {
  bootstrapCommand,
  migrateCommand,
  rotateKeysCommand,
  SERVICE_NAMES,
  serveCommand,
} from './commands.js';
import { readConfig } from './config.js';

const program = new Command('kumo')
  .description('Kumo — an OpenStack-compatible cloud. Settings come from KUMO_* environment variables.')
  .showHelpAfterError();

program
  .command('db')
  .description('database tasks')
  .command('migrate')
  .description('apply every service schema migration (safe to run twice)')
  .action(async () => migrateCommand(readConfig()));

program
  .command('bootstrap')
  .description(
    'create the Default domain, roles, admin and demo users and projects, region and catalog (idempotent)',
  )
  .action(async () => bootstrapCommand(readConfig()));

program
  .command('up')
  .description('run every implemented service in one process (the all-in-one)')
  .action(async () =>
    serveCommand(readConfig(), SERVICE_NAMES, { localAgent: readConfig().env.KUMO_LOCAL_AGENT }),
  );

program
  .command('serve')
  .description(`run one service (${SERVICE_NAMES.join(', ')})`)
  .argument('<service>', 'the service to run')
  .action(async (service: string) => serveCommand(readConfig(), [service]));

program
  .command('agent')
  .description("run this host's agent daemon (KUMO_AGENT_* settings; SIGTERM stops it, guests keep running)")
  .action(async () => {
    await agentCommand();
    process.exit(0);
  });

program
  .command('identity')
  .description('identity tasks')
  .command('rotate-keys')
  .description('promote the staged token key to primary and stage a new one (Fernet-style rotation)')
  .action(() => rotateKeysCommand(readConfig()));

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`kumo: ${err.message}`);
  process.exit(1);
});
