#!/usr/bin/env node
// The agent daemon's entry (`kumo agent` runs the same): one per hypervisor host.
import { pathToFileURL } from 'node:url';
import { readAgentConfig } from './config.js';
import { runAgentDaemon } from './server/daemon.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await runAgentDaemon(readAgentConfig(env));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`kumo-agent: ${err.message}`);
      process.exit(1);
    },
  );
}
